import ArgumentParser

struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show one token record.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Token id (tok_…).") var id: String

    func run() async throws {
        let session = global.session()
        try session.emit(try await session.call("GET", Session.tokenPath(id)), human: Session.recordBlock)
    }
}
