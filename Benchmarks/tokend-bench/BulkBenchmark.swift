import Crypto
import Foundation
import TokendClient
import TokendFakeProviders
import TokendSQLite

/// Issue 15's bulk figure: one owner's `count` tokens revoked through one bulk job of the real daemon against
/// the fake provider — wall time, revocations/s next to the fake's raw capacity, and the daemon's RSS while the
/// job runs next to its RSS idle (with the tokens stored, before the job).
enum BulkBenchmark {
    static func run(count: Int, binary: String) async throws {
        let fake = try await FakeProviderServer.start(FakeProviderOptions(recordCalls: false))
        let raw = await EngineBenchmark.rawCapacity(fake: fake, seconds: 5)
        line("fake provider raw capacity (\(EngineBenchmark.concurrency) in flight)", describe(raw, "calls"))

        let sandbox = try DaemonBenchmark.Sandbox("bulk")
        defer { Scratch.remove(sandbox.root) }
        try sandbox.useFake(fake.baseURL, concurrency: EngineBenchmark.concurrency)

        let populated = ContinuousClock.now
        let store = try sandbox.openStore()
        let far = Date().addingTimeInterval(30 * 86_400)
        try await EngineBenchmark.populate(store, fake: fake, count: count, prefix: "leaver", owner: { _ in "leaver" }) { i in
            far.addingTimeInterval(Double(i % 86_400))
        }
        try store.checkpoint()
        await store.close()
        line("tokens of one owner stored", "\(count) in \(f((ContinuousClock.now - populated).seconds)) s")

        let daemon = try await DaemonBenchmark.Daemon(sandbox, binary: binary)
        defer { daemon.stop() }
        let client = ControlClient(socketPath: sandbox.socket, requestTimeout: .seconds(120))
        try await Task.sleep(for: .seconds(2))
        let idle = daemon.rssMB
        let started = ContinuousClock.now
        let body = #"{"filter":{"owner":"leaver"},"confirm":\#(count),"reason":"bench: employee left"}"#
        let accepted = try await client.request("POST", "/v1/revocations", json: Data(body.utf8))
        guard accepted.status == 202, let id = (try? JSONValue.parse(accepted.body))?["id"]?.stringValue else {
            throw BenchError("bulk job refused: \(accepted.status) \(accepted.text)")
        }
        let acceptedAfter = (ContinuousClock.now - started).seconds
        var peak = idle
        var job = JSONValue.null
        var polls: [Double] = []
        while true {
            try await Task.sleep(for: .seconds(1))
            peak = max(peak, daemon.rssMB)
            let polled = ContinuousClock.now
            let response = try await client.request("GET", "/v1/revocations/\(id)")
            polls.append((ContinuousClock.now - polled).seconds)
            job = try JSONValue.parse(response.body)
            if job["state"]?.stringValue == "done" { break }
        }
        let wall = (ContinuousClock.now - started).seconds
        await client.close()
        let settled = JobProgress.settled(job)
        let rate = Double(settled) / wall
        line("bulk job accepted (POST /v1/revocations)", "\(f(acceptedAfter * 1000, 1)) ms for \(count) matched")
        line("bulk job, \(count) tokens, one owner", "\(f(wall, 1)) s wall, \(f(rate, 0)) revocations/s (ratio \(f(rate / raw.perSecond, 2)) of raw)")
        line("bulk job outcome", "revoked \(job["revoked"]?.intValue ?? 0), already \(job["already_revoked"]?.intValue ?? 0), failed \(job["failed"]?.intValue ?? 0), skipped \(job["skipped"]?.intValue ?? 0), matched \(job["matched"]?.intValue ?? 0)")
        line("daemon RSS idle / peak during the job", "\(f(idle, 1)) MB / \(f(peak, 1)) MB (\(f(peak / idle, 2))×)")
        polls.sort()
        line("job progress poll (GET /v1/revocations/{id})", "p50 \(f(Stats.percentile(polls, 0.5) * 1000, 1)) ms, max \(f((polls.last ?? 0) * 1000, 1)) ms")
        try await fake.shutdown()
    }
}
