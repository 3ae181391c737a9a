import Foundation
import GRDB
import Testing
import TokendCore

@testable import TokendSQLite
@testable import TokendStore

/// (c) The audit table is append-only; (d) one terminal event per token and custody episode.
@Suite struct AuditTests {
    @Test func rawUpdateAndDeleteAreRefused() async throws {
        let h = try StoreHarness()
        defer { h.cleanup() }
        let token = try await h.register("audit-append-only")
        _ = try await h.store.forget(id: token.id, note: nil, actor: StoreHarness.client)
        let queue = try h.rawQueue()
        let before = try queue.readSync { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM audit") }

        #expect {
            try queue.writeSync { db in try db.execute(sql: "UPDATE audit SET reason = 'tampered'") }
        } throws: { error in
            (error as? DatabaseError)?.message?.contains("append-only: UPDATE refused") == true
        }
        #expect {
            try queue.writeSync { db in try db.execute(sql: "DELETE FROM audit WHERE token_id = ?", arguments: [token.id]) }
        } throws: { error in
            (error as? DatabaseError)?.message?.contains("append-only: DELETE refused") == true
        }
        #expect {
            try queue.writeSync { db in try db.execute(sql: "DELETE FROM audit") }
        } throws: { error in error is DatabaseError }

        let after = try queue.readSync { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM audit") }
        #expect(before == after)
        #expect(try queue.readSync { db in try String.fetchOne(db, sql: "SELECT DISTINCT reason FROM audit WHERE reason = 'tampered'") } == nil)
    }

    @Test func pruneAuditKeepsTerminalEventsAndIsAudited() async throws {
        let h = try StoreHarness()
        defer { h.cleanup() }
        let kept = try await h.register("prune-kept")
        _ = try await h.store.forget(id: kept.id, note: nil, actor: StoreHarness.client)
        let live = try await h.register("prune-live")
        _ = try await h.store.renew(
            id: live.id, expiresAt: h.clock.now().adding(.seconds(9_000)), actor: StoreHarness.client)
        h.clock.advance(by: .seconds(10 * 86_400))
        let recent = try await h.register("prune-recent")

        let removed = try await h.store.pruneAudit(olderThan: h.clock.now().addingTimeInterval(-86_400))
        #expect(removed == 3)  // kept: registered; live: registered + renewed
        #expect(try await h.auditActions(kept.id) == ["forgotten"])
        #expect(try await h.auditActions(live.id).isEmpty)
        #expect(try await h.auditActions(recent.id) == ["registered"])
        let pruned = try await h.store.audit(AuditQuery(action: .auditPruned))
        #expect(pruned.events.count == 1)
        #expect(pruned.events.first?.actor == .system("retention"))
        #expect(pruned.events.first?.reason?.hasPrefix("removed 3 events") == true)

        // The permit is gone again: raw deletes are still refused, and pruning never removes its own record.
        #expect(throws: DatabaseError.self) {
            try h.rawQueue().writeSync { db in try db.execute(sql: "DELETE FROM audit") }
        }
        h.clock.advance(by: .seconds(30 * 86_400))
        #expect(try await h.store.pruneAudit(olderThan: h.clock.now()) == 1)  // recent's registered
        #expect(try await h.store.audit(AuditQuery(action: .auditPruned)).events.count == 2)
        #expect(try await h.auditActions(kept.id) == ["forgotten"])
    }

    @Test func secondTerminalEventInOneEpisodeIsRefused() async throws {
        let h = try StoreHarness()
        defer { h.cleanup() }
        let token = try await h.register("two-terminals")
        _ = try await h.store.forget(id: token.id, note: nil, actor: StoreHarness.client)
        let queue = try h.rawQueue()
        for action in AuditAction.terminal.map(\.rawValue).sorted() {
            #expect {
                try queue.writeSync { db in
                    try db.execute(
                        sql: "INSERT INTO audit (at, token_id, episode, action, actor_system) VALUES (0, ?, 1, ?, 'test')",
                        arguments: [token.id, action])
                }
            } throws: { error in
                (error as? DatabaseError)?.resultCode == .SQLITE_CONSTRAINT
            }
        }
        // Non-terminal events may repeat.
        try queue.writeSync { db in
            try db.execute(
                sql: "INSERT INTO audit (at, token_id, episode, action, actor_system) VALUES (0, ?, 1, 'attempt', 'test')",
                arguments: [token.id])
        }
    }

    @Test func retryOpensANewEpisodeWithItsOwnTerminal() async throws {
        let h = try StoreHarness()
        defer { h.cleanup() }
        let token = try await h.register("episodes")
        try await h.fail(token.id)
        _ = try await h.store.retry(id: token.id, actor: StoreHarness.operatorActor, reason: "try again")
        let claim = try #require(try await h.store.claimDue(account: "acme", limit: 10).first)
        #expect(claim.episode == 2)
        #expect(claim.attempts == 0)
        let state = try await h.store.recordAttempt(
            claim, result: AttemptResult(outcome: .revoked, httpStatus: 200, duration: .milliseconds(3)),
            decision: .done(.revoked))
        #expect(state == .revoked)
        let trail = try await h.auditTrail(token.id)
        #expect(trail.map(\.action) == [
            "registered", "revoke_requested", "attempt", "failed", "retry", "attempt", "revoked",
        ])
        #expect(trail.map(\.episode) == [1, 1, 1, 1, 2, 2, 2])
        // Episode 2 now has its terminal too.
        #expect(throws: DatabaseError.self) {
            try h.rawQueue().writeSync { db in
                try db.execute(
                    sql: "INSERT INTO audit (at, token_id, episode, action, actor_system) VALUES (0, ?, 2, 'failed', 'x')",
                    arguments: [token.id])
            }
        }
    }

    @Test(arguments: StoreBackend.all) func scheduledRetryOfFailedTokenOpensEpisode(backend: StoreBackend) async throws {
        let h = try await StoreHarness.make(backend)
        defer { h.cleanup() }
        let token = try await h.register("scheduled-retry")
        try await h.fail(token.id)
        #expect(try await h.store.claimDue(account: "acme", limit: 10).isEmpty)
        h.clock.advance(by: .seconds(86_400))
        let claim = try #require(try await h.store.claimDue(account: "acme", limit: 10).first)
        #expect(claim.id == token.id)
        #expect(claim.episode == 2)
        let trail = try await h.auditTrail(token.id)
        #expect(trail.last?.action == "retry")
        #expect(trail.last?.episode == 2)
        let retry = try await h.store.audit(AuditQuery(tokenID: token.id, action: .retry)).events.first
        #expect(retry?.actor == .system("scheduler"))
    }
}

/// Regression: forgetting a `failed` token used to write a second terminal event into the failed episode,
/// which the partial unique index refused (a 500 instead of a 200).
@Suite struct ForgetFailedTests {
    @Test func forgetOfFailedTokenOpensItsOwnEpisode() async throws {
        let h = try StoreHarness()
        defer { h.cleanup() }
        let token = try await h.register("forget-failed")
        try await h.fail(token.id)
        let result = try await h.store.forget(id: token.id, note: "giving up", actor: StoreHarness.operatorActor)
        #expect(result.changed)
        #expect(result.record.state == .forgotten)
        #expect(result.record.episode == 2)
        let trail = try await h.auditTrail(token.id)
        #expect(trail.map(\.action) == ["registered", "revoke_requested", "attempt", "failed", "forgotten"])
        #expect(trail.map(\.episode) == [1, 1, 1, 1, 2])
        let sealed = try h.rawQueue().readSync { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM tokens WHERE id = ? AND sealed IS NULL", arguments: [token.id])
        }
        #expect(sealed == 1)
    }
}
