import Foundation
import Logging
import ServiceLifecycle
import Testing
import TokendCore
import TokendSQLite
import TokendStore

@testable import TokendEngine

@Suite("Graceful shutdown of the scheduler")
struct GracefulShutdownTests {
    /// Ten tokens are claimed; four are at a slow provider (fb's concurrency) when the service group shuts down.
    /// The four calls finish and are recorded well within the group's deadline, no new call starts, the six
    /// queued claims are released as `revoking` and due, and a restart revokes exactly those six.
    @Test func callsInFlightFinishAndQueuedClaimsAreReleased() async throws {
        let harness = try EngineHarness()
        defer { harness.cleanup() }
        harness.performer.set(.delay(.milliseconds(400)), for: "fb")
        var ids: [String: String] = [:]  // raw token → id
        for index in 0..<10 {
            ids["sd-\(index)"] = try await harness.register("sd-\(index)", expiresIn: .seconds(Int64(index - 20))).id
        }
        var configuration = ServiceGroupConfiguration(
            services: [.init(service: harness.scheduler())],
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        configuration.maximumGracefulShutdownDuration = .seconds(5)
        let group = ServiceGroup(configuration: configuration)
        let running = Task { try await group.run() }

        let busy = try await harness.eventually {
            guard harness.performer.calls(account: "fb") == 4 else { return false }
            return try await harness.store.stateCounts().byState[.revoking] == 10
        }
        try #require(busy)
        let started = ContinuousClock.now
        await group.triggerGracefulShutdown()
        try await running.value
        let took = ContinuousClock.now - started
        #expect(took < .seconds(2), "shutdown took \(took)")

        #expect(harness.performer.totalCalls == 4, "no call starts once shutdown began")
        let records = try await harness.store.list(TokenFilter(account: "fb"), limit: 100).tokens
        #expect(records.count == 10)
        let revoked = records.filter { $0.state == .revoked }
        let waiting = records.filter { $0.state == .revoking }
        #expect(revoked.count == 4)
        #expect(waiting.count == 6)
        for record in revoked {
            let events = try await harness.store.audit(AuditQuery(tokenID: record.id, limit: 100)).events
            #expect(events.filter { $0.action == .attempt }.count == 1)
            #expect(events.filter { $0.action.isTerminal }.map(\.action) == [.revoked])
        }
        let now = Date()
        for record in waiting {
            #expect(record.attempts == 0)
            // Released, not left under the hour-long lease a crash would leave.
            #expect(try #require(record.nextAttemptAt) <= now)
        }

        // A restart re-attempts exactly the released six.
        harness.performer.set(.revoke, for: "fb")
        try await withRunning(harness.scheduler()) {
            _ = try await harness.eventually { try await harness.store.stateCounts().byState[.revoked] == 10 }
        }
        #expect(try await harness.store.stateCounts().byState[.revoked] == 10)
        for (raw, id) in ids {
            #expect(harness.performer.calls(token: raw) == 1, "\(raw)")
            let events = try await harness.store.audit(AuditQuery(tokenID: id, limit: 100)).events
            #expect(events.filter { $0.action == .attempt }.count == 1, "\(raw)")
            #expect(events.filter { $0.action.isTerminal }.count == 1, "\(raw)")
        }
    }
}
