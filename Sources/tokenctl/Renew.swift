import ArgumentParser
import TokendClient

struct Renew: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Extend a token's life, counted from now (clamped to the configured maximum).")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Token id (tok_…).") var id: String

    @Option(help: ArgumentHelp("New time to live from now, e.g. 8h.", valueName: "duration"))
    var ttl: String?

    @Option(name: .customLong("expires-at"), help: ArgumentHelp("New expiry time (RFC 3339).", valueName: "time"))
    var expiresAt: String?

    func validate() throws {
        if (ttl == nil) == (expiresAt == nil) { throw ValidationError("give exactly one of --ttl or --expires-at") }
    }

    func run() async throws {
        var body: [String: JSONValue] = [:]
        if let ttl {
            do {
                body["ttl_seconds"] = .integer(Int64(try DurationParser.seconds(ttl)))
            } catch {
                throw CLIFailure(error)
            }
        }
        if let expiresAt { body["expires_at"] = .string(expiresAt) }
        let session = global.session()
        let response = try await session.call("POST", Session.tokenPath(id, "/renew"), body: body)
        try session.emit(response, human: Session.recordBlock)
    }
}
