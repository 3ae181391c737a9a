import ArgumentParser

struct Resume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Leave hold mode; provider calls start again (admin).")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let session = global.session()
        try session.emit(try await session.call("POST", "/v1/resume"), human: statusBlock)
    }
}
