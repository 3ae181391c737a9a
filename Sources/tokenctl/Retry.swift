import ArgumentParser

struct Retry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Put a failed token back into revoking with its attempts reset (operator).")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Token id (tok_…).") var id: String

    func run() async throws {
        let session = global.session()
        try session.emit(try await session.call("POST", Session.tokenPath(id, "/retry")), human: Session.recordBlock)
    }
}
