import ArgumentParser
import TokendClient

struct Hold: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Enter hold mode: no provider calls until resume; due work waits (admin).")

    @OptionGroup var global: GlobalOptions
    @Option(help: "Why, shown in status as hold_reason.") var reason: String?

    func run() async throws {
        let session = global.session()
        let body: [String: JSONValue]? = reason.map { ["reason": .string($0)] }
        try session.emit(try await session.call("POST", "/v1/hold", body: body), human: statusBlock)
    }
}
