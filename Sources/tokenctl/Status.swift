import ArgumentParser
import TokendClient

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the daemon's status: version, hold flag, counts, backlog, provider health.")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let session = global.session()
        try session.emit(try await session.call("GET", "/v1/status"), human: statusBlock)
    }
}

/// The status body as an aligned block (also printed by hold and resume).
func statusBlock(_ value: JSONValue) -> String {
    RecordFormatter.block(value, order: RecordFormatter.statusFieldOrder)
}
