import Foundation
import Testing
import TokendCore
import TokendSQLite
import TokendStore

@testable import TokendEngine

@Suite("Forget while a claim waits in its lane")
struct ForgetWhileQueuedTests {
    /// The token is claimed with four others and queued behind them while they hold the account's four slots at
    /// a slow provider; it is forgotten there. When its turn comes the lane drops it: no provider call, no
    /// `attempt` event, `forgotten` its only terminal event.
    @Test func aQueuedClaimOfAForgottenTokenNeverReachesTheProvider() async throws {
        let harness = try EngineHarness()
        defer { harness.cleanup() }
        harness.performer.set(.delay(.milliseconds(500)), for: "fb")
        // Due earlier, so claimed first and dispatched first (fb has concurrency 4).
        for index in 0..<4 { try await harness.register("blocker-\(index)", expiresIn: .seconds(-10)) }
        let target = try await harness.register("tok-queued", expiresIn: .seconds(-5))
        let scheduler = harness.scheduler()
        try await withRunning(scheduler) {
            let queued = try await harness.eventually {
                guard harness.performer.calls(account: "fb") == 4 else { return false }
                return try await harness.store.token(id: target.id)?.state == .revoking
            }
            try #require(queued)
            #expect(harness.performer.calls(token: "tok-queued") == 0)
            let result = try await harness.store.forget(
                id: target.id, note: nil, actor: .caller(uid: 0, pid: 1, role: .admin))
            #expect(result.interruptedClaim)
            scheduler.forgotten(id: target.id)  // as the control API does after the commit
            // The blockers' calls end, their slots free up, and the lane reaches the target.
            let blockersDone = try await harness.eventually {
                try await harness.store.stateCounts().byState[.revoked] == 4
            }
            #expect(blockersDone)
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(harness.performer.calls(token: "tok-queued") == 0)
        #expect(harness.performer.totalCalls == 4)
        let final = try #require(try await harness.store.token(id: target.id))
        #expect(final.state == .forgotten)
        let events = try await harness.store.audit(AuditQuery(tokenID: target.id, limit: 100)).events
        #expect(events.filter { $0.action == .attempt }.isEmpty)
        #expect(events.filter { $0.action.isTerminal }.map(\.action) == [.forgotten])
    }

    /// A forget of a token no claim holds tells the engine nothing (no entry would ever be consumed).
    @Test func forgettingAnUnclaimedTokenInterruptsNoClaim() async throws {
        let harness = try EngineHarness()
        defer { harness.cleanup() }
        let record = try await harness.register("tok-idle", expiresIn: .seconds(3600))
        let result = try await harness.store.forget(id: record.id, note: nil, actor: .caller(uid: 0, pid: 1, role: .admin))
        #expect(result.changed)
        #expect(!result.interruptedClaim)
    }
}
