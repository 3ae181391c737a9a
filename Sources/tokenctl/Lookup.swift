import ArgumentParser
import TokendClient

struct Lookup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find the record of a raw token you hold (read from stdin or --token-file).")

    @OptionGroup var global: GlobalOptions

    @Option(
        name: .customLong("token-file"),
        help: ArgumentHelp("Read the token from this file ('-' for stdin) instead of stdin.", valueName: "file"),
        completion: .file())
    var tokenFile: String?

    func run() async throws {
        let token = try TokenReader.read(file: tokenFile)
        let session = global.session()
        let response = try await session.call("POST", "/v1/tokens:lookup", body: ["token": .string(token)])
        try session.emit(response, human: Session.recordBlock)
    }
}
