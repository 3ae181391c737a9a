import Foundation
import Testing
import TokendCore
import TokendFakeProviders
import TokendProviders

/// Opt-in throughput check of client + fake server (set TOKEND_PROVIDERS_BENCH=1).
@Suite("Throughput", .enabled(if: ProcessInfo.processInfo.environment["TOKEND_PROVIDERS_BENCH"] != nil))
struct ThroughputTests {
    @Test(arguments: [ProviderAPI.fogbugzJSON, .boxREST, .boxSOAP])
    func logoffsPerSecond(api: ProviderAPI) async throws {
        let count = 20_000
        let concurrency = 32
        try await Harness.run(options: FakeProviderOptions(recordCalls: false)) { harness in
            let tokens = (0..<count).map { "bench-\($0)" }
            harness.server.issue(contentsOf: tokens)
            let account = harness.account(api)
            let clock = ContinuousClock()
            let start = clock.now
            let revoked = await withTaskGroup(of: Int.self) { group in
                for lane in 0..<concurrency {
                    group.addTask {
                        var done = 0
                        for index in stride(from: lane, to: count, by: concurrency) {
                            let result = await harness.clients.logoff(account: account, token: tokens[index])
                            if result.outcome == .revoked { done += 1 }
                        }
                        return done
                    }
                }
                return await group.reduce(0, +)
            }
            let elapsed = clock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print("throughput \(api.rawValue): \(count) logoffs in \(elapsed) = \(Int(Double(count) / seconds))/s")
            #expect(revoked == count)
            #expect(harness.server.liveCount == 0)
        }
    }
}
