import ArgumentParser

struct Forget: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Drop a token from custody without calling its provider (admin).")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Token id (tok_…).") var id: String

    func run() async throws {
        let session = global.session()
        try session.emit(try await session.call("POST", Session.tokenPath(id, "/forget")), human: Session.recordBlock)
    }
}
