import Foundation
import GRDB
import Testing
import TokendCore

@testable import TokendSQLite
@testable import TokendStore

/// (j) Registration, listing, scheduling queries, attempts, leases, bulk jobs, counts and hold.
@Suite struct StoreBehaviourTests {
    @Test(arguments: StoreBackend.all) func registerIsIdempotentPerAccount(backend: StoreBackend) async throws {
        let h = try await StoreHarness.make(backend)
        defer { h.cleanup() }
        let first = try await h.store.register(h.newToken("same-raw"), actor: StoreHarness.client)
        let second = try await h.store.register(h.newToken("same-raw", ttl: .seconds(99)), actor: StoreHarness.client)
        #expect(first.created)
        #expect(!second.created)
        #expect(second.record.id == first.record.id)
        #expect(try await h.auditActions(first.record.id) == ["registered"])
        let elsewhere = try await h.store.register(h.newToken("same-raw", account: "other"), actor: StoreHarness.client)
        #expect(elsewhere.created)
        #expect(elsewhere.record.id != first.record.id)
        #expect(elsewhere.record.fingerprint == first.record.fingerprint)
        #expect(try await h.store.lookup(rawToken: "same-raw").count == 2)
    }

    @Test(arguments: StoreBackend.all) func batchWithACapExceededItem(backend: StoreBackend) async throws {
        let h = try await StoreHarness.make(backend)
        defer { h.cleanup() }
        let limits = LiveLimits(perOwner: 2, perAccount: 100)
        let results = try await h.store.registerBatch(
            [h.newToken("b1"), h.newToken("b2"), h.newToken("b3"), h.newToken("b1"), h.newToken("b4", owner: "bob")],
            actor: StoreHarness.client, limits: limits)
        #expect(results.count == 5)
        #expect((try? results[0].get().created) == true)
        #expect((try? results[1].get().created) == true)
        if case .failure(let error) = results[2] {
            #expect(error == .tooMany(scope: "owner", key: "alice", limit: 2))
        } else {
            Issue.record("third item should exceed the owner cap")
        }
        #expect((try? results[3].get().created) == false)
        #expect((try? results[4].get().created) == true)
        #expect(try await h.store.count(TokenFilter()) == 3)
        // Account cap.
        await #expect(throws: StoreError.tooMany(scope: "account", key: "acme", limit: 3)) {
            _ = try await h.store.register(
                h.newToken("b5", owner: "carol"), actor: StoreHarness.client,
                limits: LiveLimits(perOwner: 10, perAccount: 3))
        }
        // Forgetting frees a live slot.
        let alice = try await h.store.list(TokenFilter(owner: "alice"), limit: 10).tokens
        _ = try await h.store.forget(id: alice[0].id, note: nil, actor: StoreHarness.client)
        _ = try await h.store.register(h.newToken("b6"), actor: StoreHarness.client, limits: limits)
    }

    @Test(arguments: StoreBackend.all) func listFiltersAndCursorPaging(backend: StoreBackend) async throws {
        let h = try await StoreHarness.make(backend)
        defer { h.cleanup() }
        var all: [TokenRecord] = []
        for index in 0..<9 {
            // Three tokens share each expiry, so the id breaks ties.
            all.append(
                try await h.register(
                    "page-\(index)", provider: index < 6 ? .fogbugz : .box, account: index < 6 ? "acme" : "main",
                    owner: index.isMultiple(of: 2) ? "alice" : "bob", ttl: .seconds(Int64(1000 * (3 - index % 3)))))
        }
        let expected = all.sorted { ($0.expiresAt, $0.id) < ($1.expiresAt, $1.id) }.map(\.id)
        var seen: [String] = []
        var cursor: TokenCursor?
        repeat {
            let page = try await h.store.list(TokenFilter(), limit: 4, after: cursor)
            #expect(page.tokens.count <= 4)
            seen += page.tokens.map(\.id)
            cursor = page.nextCursor
            if let cursor { #expect(TokenCursor(encoded: cursor.encoded) == cursor) }
        } while cursor != nil
        #expect(seen == expected)

        #expect(try await h.store.list(TokenFilter(owner: "alice"), limit: 100).tokens.count == 5)
        #expect(try await h.store.list(TokenFilter(provider: .box), limit: 100).tokens.count == 3)
        #expect(try await h.store.list(TokenFilter(account: "acme", owner: "bob"), limit: 100).tokens.count == 3)
        _ = try await h.store.forget(id: all[0].id, note: nil, actor: StoreHarness.client)
        #expect(try await h.store.list(TokenFilter(states: [.forgotten]), limit: 100).tokens.map(\.id) == [all[0].id])
        #expect(try await h.store.count(TokenFilter(states: [.active])) == 8)
        let soon = h.clock.now().adding(.seconds(1500))
        #expect(try await h.store.count(TokenFilter(expiresBefore: soon)) == 3)
        #expect(try await h.store.count(TokenFilter(expiresAfter: soon)) == 6)
    }

    @Test(arguments: StoreBackend.all) func labelFiltersAreAnded(backend: StoreBackend) async throws {
        let h = try await StoreHarness.make(backend)
        defer { h.cleanup() }
        let a = try await h.register("l1", labels: ["env": "prod", "team": "a"])
        _ = try await h.register("l2", labels: ["env": "prod", "team": "b"])
        _ = try await h.register("l3", labels: ["env": "dev", "team": "a"])
        let both = try await h.store.list(TokenFilter(labels: ["env": "prod", "team": "a"]), limit: 10).tokens
        #expect(both.map(\.id) == [a.id])
        #expect(both.first?.labels == ["env": "prod", "team": "a"])
        #expect(try await h.store.count(TokenFilter(labels: ["env": "prod"])) == 2)
        #expect(try await h.store.count(TokenFilter(labels: ["team": "a"])) == 2)
        #expect(try await h.store.count(TokenFilter(labels: ["env": "qa"])) == 0)
    }

    @Test(arguments: StoreBackend.all) func claimDueTakesOnlyDueTokensOldestFirst(backend: StoreBackend) async throws {
        let h = try await StoreHarness.make(backend)
        defer { h.cleanup() }
        let t3 = try await h.register("due-3h", ttl: .seconds(100))
        let t1 = try await h.register("due-1h", ttl: .seconds(300))
        let t2 = try await h.register("due-2h", ttl: .seconds(200))
        let future = try await h.register("not-due", ttl: .seconds(5000))
        let otherAccount = try await h.register("other-acct", account: "other", ttl: .seconds(50))
        h.clock.advance(by: .seconds(400))
        let firstTwo = try await h.store.claimDue(account: "acme", limit: 2)
        #expect(firstTwo.map(\.id) == [t3.id, t2.id])
        let rest = try await h.store.claimDue(account: "acme", limit: 10)
        #expect(rest.map(\.id) == [t1.id])  // leased ones are not claimed twice; future not due
        #expect(try await h.store.claimDue(account: "acme", limit: 10).isEmpty)
        #expect(try await h.store.token(id: future.id)?.state == .active)
        #expect(try await h.store.token(id: otherAccount.id)?.state == .active)
        let claimed = try #require(try await h.store.token(id: t3.id))
        #expect(claimed.state == .revoking)
        #expect(claimed.revocationReason == .expired)
        #expect(try await h.auditActions(t3.id) == ["registered", "revoke_requested"])
        // revoke_before_expiry brings the horizon forward.
        let early = try await h.store.claimDue(account: "acme", limit: 10, revokeBeforeExpiry: .seconds(5000))
        #expect(early.map(\.id) == [future.id])
    }

    @Test func recordAttemptOutcomes() async throws {
        let h = try StoreHarness()
        defer { h.cleanup() }
        let revoked = try await h.register("attempt-revoked", ttl: .seconds(10))
        let transient = try await h.register("attempt-transient", ttl: .seconds(20))
        let failing = try await h.register("attempt-failed", ttl: .seconds(30))
        h.clock.advance(by: .seconds(60))
        let claims = try await h.store.claimDue(account: "acme", limit: 10)
        #expect(claims.map(\.id) == [revoked.id, transient.id, failing.id])
        let result = AttemptResult(outcome: .transient(detail: "HTTP 503", retryAfter: nil), httpStatus: 503, duration: .milliseconds(7))

        #expect(
            try await h.store.recordAttempt(
                claims[0], result: AttemptResult(outcome: .revoked, httpStatus: 200, duration: .milliseconds(4)),
                decision: .done(.revoked)) == .revoked)
        let sealed = try h.rawQueue().readSync { db in
            try Row.fetchOne(db, sql: "SELECT sealed, in_flight FROM tokens WHERE id = ?", arguments: [revoked.id])
        }
        #expect(sealed?["sealed"] as Data? == nil)
        let done = try #require(try await h.store.token(id: revoked.id))
        #expect(done.revokedAt != nil)
        #expect(done.attempts == 1)
        #expect(done.nextAttemptAt == nil)

        let retryAt = h.clock.now().adding(.seconds(15))
        #expect(try await h.store.recordAttempt(claims[1], result: result, decision: .retry(at: retryAt)) == .revoking)
        let waiting = try #require(try await h.store.token(id: transient.id))
        #expect(waiting.nextAttemptAt?.unixMillis == retryAt.unixMillis)
        #expect(waiting.attempts == 1)
        #expect(waiting.lastError == "HTTP 503")
        #expect(try await h.store.claimDue(account: "acme", limit: 10).isEmpty)
        h.clock.advance(by: .seconds(15))
        let second = try #require(try await h.store.claimDue(account: "acme", limit: 10).first)
        #expect(second.id == transient.id)
        #expect(second.attempts == 1)

        let next = h.clock.now().adding(.seconds(86_400))
        #expect(
            try await h.store.recordAttempt(claims[2], result: result, decision: .fail(nextAttemptAt: next, error: "gave up"))
                == .failed)
        let failed = try #require(try await h.store.token(id: failing.id))
        #expect(failed.state == .failed)
        #expect(failed.revocationReason == .failed)
        #expect(failed.lastError == "gave up")
        #expect(try await h.auditActions(failing.id) == ["registered", "revoke_requested", "attempt", "failed"])
        let attempt = try #require(try await h.store.audit(AuditQuery(tokenID: failing.id, action: .attempt)).events.first)
        #expect(attempt.providerStatus == 503)
        #expect(attempt.durationMillis == 7)
        #expect(attempt.attempt == 1)
    }

    @Test(arguments: StoreBackend.all) func attemptAfterForgetChangesNothing(backend: StoreBackend) async throws {
        let h = try await StoreHarness.make(backend)
        defer { h.cleanup() }
        let token = try await h.register("forgotten-mid-flight", ttl: .seconds(1))
        h.clock.advance(by: .seconds(2))
        let claim = try #require(try await h.store.claimDue(account: "acme", limit: 1).first)
        _ = try await h.store.forget(id: token.id, note: nil, actor: StoreHarness.client)
        let state = try await h.store.recordAttempt(
            claim, result: AttemptResult(outcome: .revoked, httpStatus: 200, duration: .zero), decision: .done(.revoked))
        #expect(state == .forgotten)
        #expect(try await h.auditActions(token.id) == ["registered", "revoke_requested", "forgotten", "attempt"])
    }

    @Test(arguments: StoreBackend.all) func releaseStaleLeasesAfterRestart(backend: StoreBackend) async throws {
        let h = try await StoreHarness.make(backend)
        defer { h.cleanup() }
        let token = try await h.register("leased", ttl: .seconds(1))
        h.clock.advance(by: .seconds(2))
        #expect(try await h.store.claimDue(account: "acme", limit: 10).count == 1)
        let restarted = try await h.reopen()
        #expect(try await restarted.claimDue(account: "acme", limit: 10).isEmpty)
        if backend == .postgres {
            // Shared store: the first instance may still be alive, so its lease stands until it expires.
            #expect(try await restarted.releaseStaleLeases() == 0)
            h.clock.advance(by: restarted.leaseDuration + .seconds(1))
        }
        #expect(try await restarted.releaseStaleLeases() == 1)
        #expect(try await restarted.releaseStaleLeases() == 0)
        #expect(try await restarted.claimDue(account: "acme", limit: 10).map(\.id) == [token.id])
    }

    @Test(arguments: StoreBackend.all) func bulkRevocationAndJobProgress(backend: StoreBackend) async throws {
        let h = try await StoreHarness.make(backend)
        defer { h.cleanup() }
        let tokens = [
            try await h.register("bulk-1"), try await h.register("bulk-2"), try await h.register("bulk-3"),
        ]
        let gone = try await h.register("bulk-forgotten")
        _ = try await h.store.forget(id: gone.id, note: nil, actor: StoreHarness.client)
        _ = try await h.register("bulk-bob", owner: "bob")
        await expectConflict {
            _ = try await h.store.startBulkRevocation(
                filter: TokenFilter(owner: "alice"), reason: "offboarding", actor: StoreHarness.operatorActor,
                expectedCount: 4)
        }
        let job = try await h.store.startBulkRevocation(
            filter: TokenFilter(owner: "alice"), reason: "offboarding", actor: StoreHarness.operatorActor,
            expectedCount: 3)
        #expect(job.matched == 3)
        #expect(job.pending == 3)
        #expect(job.state == "running")
        #expect(job.id.hasPrefix("job_"))
        for token in tokens {
            let record = try #require(try await h.store.token(id: token.id))
            #expect(record.state == .revoking)
            #expect(record.revocationReason == .bulk)
            #expect(record.jobID == job.id)
        }
        #expect(try await h.store.audit(AuditQuery(action: .bulkStarted)).events.count == 1)
        #expect(try await h.store.audit(AuditQuery(action: .revokeRequested)).events.count == 3)
        let claims = try await h.store.claimDue(account: "acme", limit: 10)
        #expect(claims.count == 3)
        let ok = AttemptResult(outcome: .revoked, httpStatus: 200, duration: .zero)
        try await h.store.recordAttempt(claims[0], result: ok, decision: .done(.revoked))
        try await h.store.recordAttempt(claims[1], result: ok, decision: .done(.alreadyRevoked))
        var progress = try #require(try await h.store.job(id: job.id))
        #expect((progress.revoked, progress.alreadyRevoked, progress.pending) == (1, 1, 1))
        #expect(progress.state == "running")
        try await h.store.recordAttempt(
            claims[2], result: ok, decision: .fail(nextAttemptAt: h.clock.now().adding(.seconds(60)), error: "x"))
        progress = try #require(try await h.store.job(id: job.id))
        #expect(progress.failed == 1)
        #expect(progress.state == "done")
    }

    @Test func stateCountsFollowTransitions() async throws {
        let h = try StoreHarness()
        defer { h.cleanup() }
        var ids: [String] = []
        for index in 0..<6 { ids.append(try await h.register("count-\(index)", ttl: .seconds(Int64(10 + index))).id) }
        _ = try await h.register("count-box", provider: .box, account: "main")
        _ = try await h.store.forget(id: ids[0], note: nil, actor: StoreHarness.client)
        _ = try await h.store.requestRevoke(id: ids[1], reason: .requested, note: nil, actor: StoreHarness.client)
        try await h.finish(ids[2], as: .done(.revoked))
        try await h.fail(ids[3])
        try await h.fail(ids[4])
        _ = try await h.store.retry(id: ids[4], actor: StoreHarness.operatorActor)
        let counts = try await h.store.stateCounts()
        let acme = counts.byAccount[.fogbugz]?["acme"] ?? [:]
        #expect(acme[.forgotten] == 1)
        #expect(acme[.revoking] == 2)
        #expect(acme[.revoked] == 1)
        #expect(acme[.failed] == 1)
        #expect(acme[.active] == 1)
        #expect(counts.byAccount[.box]?["main"]?[.active] == 1)
        #expect(counts.byState(provider: .box)[.active] == 1)
        // The trigger-kept table agrees with a full count.
        let direct = try h.rawQueue().readSync { db in
            try Row.fetchAll(db, sql: "SELECT provider, account, state, count(*) AS n FROM tokens GROUP BY 1, 2, 3")
        }
        for row in direct {
            let provider = try #require(ProviderKind(rawValue: row["provider"]))
            let state = try #require(TokenState(rawValue: row["state"]))
            #expect(counts.byAccount[provider]?[row["account"]]?[state] == row["n"])
        }
        #expect(counts.byState.values.reduce(0, +) == 7)
        // Live counts (limits) too: alice has active + 2 revoking live in acme; box 1.
        let live = try h.rawQueue().readSync { db in
            try Row.fetchAll(db, sql: "SELECT scope, key, n FROM live_counts ORDER BY scope, key")
                .map { "\($0["scope"] as String):\($0["key"] as String)=\($0["n"] as Int)" }
        }
        #expect(live == ["account:acme=3", "account:main=1", "owner:alice=4"])
    }

    @Test(arguments: StoreBackend.all) func holdIsPersisted(backend: StoreBackend) async throws {
        let h = try await StoreHarness.make(backend)
        defer { h.cleanup() }
        #expect(try await h.store.holdState() == HoldState(held: false, reason: nil))
        try await h.store.setHold(HoldState(held: true, reason: "breaker: 20000 due"), actor: .system("breaker"))
        #expect(try await h.reopen().holdState() == HoldState(held: true, reason: "breaker: 20000 due"))
        try await h.store.setHold(HoldState(held: false, reason: nil), actor: StoreHarness.operatorActor)
        #expect(try await h.reopen().holdState().held == false)
        let events = try await h.store.audit(AuditQuery()).events.map(\.action)
        #expect(events == [.resume, .hold])
    }

    @Test(arguments: StoreBackend.all) func auditPaging(backend: StoreBackend) async throws {
        let h = try await StoreHarness.make(backend)
        defer { h.cleanup() }
        for index in 0..<5 { try await h.register("audit-page-\(index)") }
        let first = try await h.store.audit(AuditQuery(limit: 3))
        #expect(first.events.count == 3)
        let second = try await h.store.audit(AuditQuery(beforeID: first.nextBeforeID, limit: 3))
        #expect(second.events.count == 2)
        #expect(second.nextBeforeID == nil)
        #expect(Set(first.events.map(\.id)).isDisjoint(with: second.events.map(\.id)))
    }

    @Test func integrityCheckAndSize() throws {
        let h = try StoreHarness()
        defer { h.cleanup() }
        #expect(try h.sqlite.integrityCheck().isEmpty)
        #expect(h.sqlite.databaseSize() > 0)
        #expect(try h.sqlite.appliedMigrations() == Schema.migrator.migrations.sorted())
    }
}
