import ArgumentParser
import TokendClient

struct Login: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Have tokend log on to FogBugz and take the new token straight into custody.",
        discussion: """
            tokend performs FogBugz cmd=logon for the configured account with your email (or full name) and \
            password; the password is read from the terminal without echo or from --password-file, is never \
            stored, logged or audited, and the raw token is printed only with --print-token.

              tokenctl login fogbugz --account acme --email me@example.com
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The provider: fogbugz.") var provider: String

    @Option(help: "Configured FogBugz account (required when there are several).")
    var account: String?

    @Option(help: ArgumentHelp("FogBugz email or full name (else asked at the terminal).", valueName: "email"))
    var email: String?

    @Option(
        name: .customLong("password-file"),
        help: ArgumentHelp("Read the password from this file (else asked at the terminal, without echo).", valueName: "file"),
        completion: .file())
    var passwordFile: String?

    @Option(help: ArgumentHelp("Time to live, e.g. 8h (default: the account's).", valueName: "duration"))
    var ttl: String?

    @Flag(name: .customLong("print-token"), help: "Also print the raw token (it is shown nowhere else, ever).")
    var printToken = false

    func validate() throws {
        guard provider == "fogbugz" else { throw ValidationError("login supports fogbugz only, not '\(provider)'") }
    }

    func run() async throws {
        var body: [String: JSONValue] = ["provider": .string("fogbugz"), "print_token": .bool(printToken)]
        if let account { body["account"] = .string(account) }
        do {
            if let ttl { body["ttl_seconds"] = .integer(Int64(try DurationParser.seconds(ttl))) }
        } catch {
            throw CLIFailure(error)
        }
        let who: String
        if let email {
            who = email
        } else {
            guard let typed = try Terminal.readLine(prompt: "FogBugz email: ", echo: true), !typed.isEmpty else {
                throw CLIFailure(status: .usage, message: "no email given")
            }
            who = typed
        }
        body["email"] = .string(who)
        body["password"] = .string(try PasswordReader.read(file: passwordFile, prompt: "FogBugz password for \(who): "))
        let session = global.session()
        let response = try await session.call("POST", "/v1/logons", body: body)
        // The token, when asked for, is the block's last line `token: …` (or the JSON's `token`).
        try session.emit(response) { record in
            var text = RecordFormatter.block(record, order: RecordFormatter.tokenFieldOrder, omit: ["warnings", "token"])
            if let token = record["token"]?.stringValue { text += "token: \(token)\n" }
            return text
        }
    }
}
