import Foundation
import GRDB
import Testing
import TokendAudit
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

    @Test(arguments: StoreBackend.all) func pruneRemovesACheckpointedPrefixAndTheChainStillVerifies(
        backend: StoreBackend
    ) async throws {
        let h = try await StoreHarness.make(backend)
        defer { h.cleanup() }
        let signer = CheckpointSigner()
        let kept = try await h.register("prune-kept")
        _ = try await h.store.forget(id: kept.id, note: nil, actor: StoreHarness.client)
        let live = try await h.register("prune-live")
        _ = try await h.store.renew(
            id: live.id, expiresAt: h.clock.now().adding(.seconds(9_000)), actor: StoreHarness.client)
        // Nothing is pruned past the newest checkpoint: without one, nothing at all.
        h.clock.advance(by: .seconds(10 * 86_400))
        #expect(try await h.store.pruneAudit(olderThan: h.clock.now(), signer: signer) == 0)
        _ = try await h.store.appendCheckpoint(kind: .manual, minimumAge: .zero, signer: signer)
        let recent = try await h.register("prune-recent")

        let removed = try await h.store.pruneAudit(olderThan: h.clock.now().addingTimeInterval(-86_400), signer: signer)
        #expect(removed == 4)  // kept: registered, forgotten; live: registered, renewed
        #expect(try await h.auditActions(kept.id).isEmpty)
        #expect(try await h.auditActions(recent.id) == ["registered"])
        let pruned = try await h.store.audit(AuditQuery(action: .auditPruned))
        #expect(pruned.events.count == 1)
        #expect(pruned.events.first?.actor == .system("retention"))
        #expect(pruned.events.first?.reason?.hasPrefix("removed 4 events") == true)
        let checkpoints = try await h.store.auditCheckpoints()
        #expect(checkpoints.map(\.kind) == [.genesis, .manual, .prune])
        #expect(checkpoints.last?.prunedThrough == 4)

        // The chain that remains links to the prune checkpoint and verifies.
        let report = try await Self.verify(h.store, signer)
        #expect(report.intact, "\(report.problems)")
        #expect(report.rowsChecked == 2)
    }

    /// Every insert path of both stores chains alike (PostgreSQL hashes in a trigger, SQLite in Swift): the Swift
    /// verifier accepts what each wrote, and a checkpoint covers it.
    @Test(arguments: StoreBackend.all) func everyWriteIsChainedAndVerifies(backend: StoreBackend) async throws {
        let h = try await StoreHarness.make(backend)
        defer { h.cleanup() }
        let signer = CheckpointSigner()
        #expect(try await h.store.appendCheckpoint(kind: .genesis, minimumAge: .zero, signer: signer)?.kind == .genesis)
        let batch = (0..<5).map { h.newToken("batch-\($0)", labels: ["k": "é \"q\""]) }
        _ = try await h.store.registerBatch(batch, actor: StoreHarness.client)
        let single = try await h.register("chain-single")
        _ = try await h.store.requestRevoke(id: single.id, reason: .requested, note: "bye\nnow", actor: StoreHarness.client)
        let job = try await h.store.startBulkRevocation(
            filter: TokenFilter(account: "acme"), reason: "sweep 🚀", actor: StoreHarness.operatorActor)
        while try await h.store.continueBulkJobs(limit: 2) > 0 {}
        #expect(try await h.store.job(id: job.id) != nil)
        let checkpoint = try #require(try await h.store.appendCheckpoint(kind: .manual, minimumAge: .zero, signer: signer))
        // An interval checkpoint right after is skipped: nothing new, and the last one is young.
        #expect(try await h.store.appendCheckpoint(kind: .interval, minimumAge: .seconds(3_600), signer: signer) == nil)

        let report = try await Self.verify(h.store, signer)
        #expect(report.intact, "\(report.problems)")
        #expect(report.warnings.isEmpty)
        #expect(report.lastMatchedCheckpoint == checkpoint.id)
        #expect(report.rowsChecked == Int(checkpoint.count))
        let events = try await h.store.audit(AuditQuery(limit: 1_000)).events
        #expect(events.allSatisfy { $0.hash?.count == 32 && $0.prevHash?.count == 32 })
    }

    static func verify(_ store: any TokenStore, _ signer: CheckpointSigner) async throws -> AuditReport {
        var verifier = ChainVerifier(checkpoints: try await store.auditCheckpoints(), publicKey: signer.publicKey)
        var after: Int64 = 0
        while true {
            let rows = try await store.auditChain(after: after, limit: 3)
            guard let last = rows.last else { break }
            rows.forEach { verifier.consume($0) }
            after = last.id
        }
        return verifier.finish(strict: false)
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
