import ArgumentParser
import TokendClient

struct Sweep: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the expiry scheduler now (operator).")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let session = global.session()
        let response = try await session.call("POST", "/v1/sweep")
        if !session.json && response.body.isEmpty {
            Console.out("sweep started\n")
            return
        }
        try session.emit(response) { value in
            value.objectValue?.isEmpty == false ? RecordFormatter.block(value) : "sweep started\n"
        }
    }
}
