import TokendClient

/// Polls `GET /v1/revocations/{job}` until the job is `done`, redrawing a progress bar with rate and ETA when
/// stdout is a terminal, then prints the final figures.
enum JobWaiter {
    static let pollInterval: Duration = .milliseconds(500)

    static func path(_ job: String) -> String { "/v1/revocations/\(QueryEncoding.escape(job))" }

    static func wait(for job: String, session: Session) async throws {
        let live = Console.stdoutIsTerminal && !session.json
        var response = try await session.call("GET", path(job))
        var value = try session.parse(response)
        var progress = JobProgress()
        while value["state"]?.stringValue != "done" {
            if live { Console.out("\r\u{1B}[K" + progress.line(value)) }
            try await Task.sleep(for: pollInterval)
            response = try await session.call("GET", path(job))
            value = try session.parse(response)
        }
        if live { Console.out("\r\u{1B}[K") }
        try session.emit(response) { RecordFormatter.block($0, order: RecordFormatter.jobFieldOrder) }
    }
}
