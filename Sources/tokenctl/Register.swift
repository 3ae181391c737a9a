import ArgumentParser
import TokendClient

struct Register: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Register a token (read from stdin or --token-file) for custody and timely revocation.",
        discussion: "The token is never accepted on the command line: `tokenctl register --provider box < token.txt`.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "Provider: fogbugz or box.")
    var provider: String

    @Option(help: "Configured provider account (required when the provider has several).")
    var account: String?

    @Option(help: "Owner (default: your user name).")
    var owner: String?

    @Option(name: .customLong("label"), help: ArgumentHelp("A label k=v (repeatable).", valueName: "k=v"))
    var labels: [String] = []

    @Option(help: ArgumentHelp("Time to live, e.g. 8h, 30m, 1d.", valueName: "duration"))
    var ttl: String?

    @Option(name: .customLong("expires-at"), help: ArgumentHelp("Expiry time (RFC 3339).", valueName: "time"))
    var expiresAt: String?

    @Option(
        name: .customLong("token-file"),
        help: ArgumentHelp("Read the token from this file ('-' for stdin) instead of stdin.", valueName: "file"),
        completion: .file())
    var tokenFile: String?

    func validate() throws {
        if ttl != nil && expiresAt != nil { throw ValidationError("give --ttl or --expires-at, not both") }
    }

    func run() async throws {
        var body: [String: JSONValue] = ["provider": .string(provider)]
        if let account { body["account"] = .string(account) }
        if let owner { body["owner"] = .string(owner) }
        do {
            if !labels.isEmpty { body["labels"] = .object(try LabelParser.map(labels).mapValues { .string($0) }) }
            if let ttl { body["ttl_seconds"] = .integer(Int64(try DurationParser.seconds(ttl))) }
        } catch {
            throw CLIFailure(error)
        }
        if let expiresAt { body["expires_at"] = .string(expiresAt) }
        body["token"] = .string(try TokenReader.read(file: tokenFile))
        let session = global.session()
        let response = try await session.call("POST", "/v1/tokens", body: body)
        try session.emit(response, human: Session.recordBlock)
        if response.status == 200 && !session.json {
            Console.err("tokenctl: this token was already registered; that record is shown\n")
        }
    }
}
