import ArgumentParser
import TokendClient

struct Job: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a bulk revocation job's progress (operator).")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Job id (job_…).") var id: String
    @Flag(help: "Wait until the job is done, showing progress on a terminal.") var wait = false

    func run() async throws {
        let session = global.session()
        if wait {
            try await JobWaiter.wait(for: id, session: session)
        } else {
            try session.emit(try await session.call("GET", JobWaiter.path(id))) {
                RecordFormatter.block($0, order: RecordFormatter.jobFieldOrder)
            }
        }
    }
}
