import ArgumentParser
import TokendClient

struct Revoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Revoke a token at its provider now.",
        discussion: "Without --wait the logoff is queued and the answer comes at once (state revoking).")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Token id (tok_…).") var id: String

    @Flag(help: "Wait for the provider's final outcome.") var wait = false
    @Option(help: "Free-text reason, recorded in the audit trail.") var reason: String?
    @Option(help: ArgumentHelp("With --wait: give up waiting after this long (e.g. 30s).", valueName: "duration"))
    var timeout: String?

    func run() async throws {
        var body: [String: JSONValue] = [:]
        if let reason { body["reason"] = .string(reason) }
        if wait { body["wait"] = .bool(true) }
        if let timeout {
            do {
                body["timeout_seconds"] = .integer(Int64(try DurationParser.seconds(timeout)))
            } catch {
                throw CLIFailure(error)
            }
        }
        let session = global.session()
        let response = try await session.call("POST", Session.tokenPath(id, "/revoke"), body: body)
        try session.emit(response, human: Session.recordBlock)
        if wait && response.status == 202 && !session.json {
            Console.err("tokenctl: still revoking when the wait ended; see `tokenctl show \(id)`\n")
        }
    }
}
