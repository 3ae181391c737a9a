import ArgumentParser
import TokendClient

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the daemon's status: state, hold, uptime, backlog, provider health, counts.",
        discussion: "A short summary; --verbose lists every key of the status body, --json prints it unchanged.")

    @OptionGroup var global: GlobalOptions

    @Flag(name: .shortAndLong, help: "Every key of the status body, not the summary.")
    var verbose = false

    func run() async throws {
        let session = global.session()
        try session.emit(try await session.call("GET", "/v1/status"), human: verbose ? statusBlock : StatusSummary.render)
    }
}

/// The status body as an aligned block (also printed by hold and resume).
func statusBlock(_ value: JSONValue) -> String {
    RecordFormatter.block(value, order: RecordFormatter.statusFieldOrder)
}
