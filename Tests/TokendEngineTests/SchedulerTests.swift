import Foundation
import Testing
import TokendAudit
import TokendCore
import TokendSQLite
import TokendStore

@testable import TokendEngine

@Suite("Scheduler against a real SQLite store")
struct SchedulerTests {
    @Test func expiredTokenIsRevokedWithinASecondOfExpiry() async throws {
        let harness = try EngineHarness()
        defer { harness.cleanup() }
        let record = try await harness.register("tok-expiring", expiresIn: .milliseconds(400))
        let scheduler = harness.scheduler()
        let revoked = try await withRunning(scheduler) {
            try await harness.eventually { try await harness.store.token(id: record.id)?.state == .revoked }
        }
        #expect(revoked)
        let final = try #require(try await harness.store.token(id: record.id))
        let lateness = try #require(final.revokedAt).timeIntervalSince(final.expiresAt)
        #expect(lateness >= 0)
        #expect(lateness < 1.0)
        #expect(final.revocationReason == .expired)
        #expect(harness.performer.calls(token: "tok-expiring") == 1)
    }

    @Test func transientTwiceThenSuccessGivesThreeAttemptEvents() async throws {
        let harness = try EngineHarness()
        defer { harness.cleanup() }
        harness.performer.set(
            .script([.transient(detail: "HTTP 503", retryAfter: nil), .transient(detail: "HTTP 503", retryAfter: nil)]),
            for: "fb")
        let record = try await harness.register("tok-flaky")
        try await withRunning(harness.scheduler()) {
            _ = try await harness.eventually { try await harness.store.token(id: record.id)?.state == .revoked }
        }
        let final = try #require(try await harness.store.token(id: record.id))
        #expect(final.state == .revoked)
        #expect(final.attempts == 3)
        let events = try await harness.store.audit(AuditQuery(tokenID: record.id, limit: 100)).events
        #expect(events.filter { $0.action == .attempt }.count == 3)
        #expect(events.filter { $0.action.isTerminal }.count == 1)
        #expect(events.filter { $0.action == .attempt }.map(\.attempt).sorted { ($0 ?? 0) < ($1 ?? 0) } == [1, 2, 3])
    }

    @Test func permanentFailsAtOnceWithNoFurtherCalls() async throws {
        let harness = try EngineHarness()
        defer { harness.cleanup() }
        harness.performer.set(.script([.permanent(detail: "error code 27: no such command")]), for: "fb")
        let record = try await harness.register("tok-bad-config")
        try await withRunning(harness.scheduler()) {
            _ = try await harness.eventually { try await harness.store.token(id: record.id)?.state == .failed }
            try await Task.sleep(for: .milliseconds(300))
        }
        let final = try #require(try await harness.store.token(id: record.id))
        #expect(final.state == .failed)
        #expect(final.revocationReason == .failed)
        #expect(final.lastError?.contains("error code 27") == true)
        #expect(harness.performer.calls(token: "tok-bad-config") == 1)
    }

    @Test func exhaustedAttemptsEndFailed() async throws {
        let harness = try EngineHarness()
        defer { harness.cleanup() }
        harness.performer.set(
            .script(Array(repeating: .transient(detail: "HTTP 502", retryAfter: nil), count: 10)), for: "fb")
        let record = try await harness.register("tok-down")
        try await withRunning(harness.scheduler()) {
            _ = try await harness.eventually { try await harness.store.token(id: record.id)?.state == .failed }
        }
        let final = try #require(try await harness.store.token(id: record.id))
        #expect(final.state == .failed)
        #expect(final.attempts == 4)
        #expect(harness.performer.calls(token: "tok-down") == 4)
    }

    @Test func hangingAccountDoesNotDelayTheOther() async throws {
        let harness = try EngineHarness()
        defer { harness.cleanup() }
        harness.performer.set(.hang, for: "fb")
        for index in 0..<50 { try await harness.register("fb-\(index)", account: "fb") }
        var boxIDs: [String] = []
        for index in 0..<200 { boxIDs.append(try await harness.register("bx-\(index)", account: "bx").id) }
        let allBoxRevoked = try await withRunning(harness.scheduler()) {
            try await harness.eventually(timeout: .seconds(5)) {
                (try await harness.store.stateCounts().byState(provider: .box)[.revoked] ?? 0) == 200
            }
        }
        #expect(allBoxRevoked)
        // The hanging account holds exactly its concurrency in flight, nothing more.
        #expect(harness.performer.calls(account: "fb") == 4)
    }

    @Test func holdMakesNoProviderCalls() async throws {
        let harness = try EngineHarness()
        defer { harness.cleanup() }
        let record = try await harness.register("tok-held")
        let scheduler = harness.scheduler(startHeld: true)
        try await withRunning(scheduler) {
            _ = await harness.eventually { scheduler.status().hold && scheduler.status().lastLoopAt != nil }
            try await Task.sleep(for: .milliseconds(400))
            #expect(harness.performer.totalCalls == 0)
            #expect(try await harness.store.token(id: record.id)?.state == .active)
            #expect(scheduler.status().hold)
            try await scheduler.resume(actor: .caller(uid: 0, pid: 1, role: .admin))
            let revoked = try await harness.eventually {
                try await harness.store.token(id: record.id)?.state == .revoked
            }
            #expect(revoked)
        }
    }

    @Test func breakerHoldsWhenTooMuchIsDueAtStartUp() async throws {
        let harness = try EngineHarness()
        defer { harness.cleanup() }
        for index in 0..<12 { try await harness.register("due-\(index)") }
        var schedule = EngineHarness.schedule()
        schedule.breakerDueThreshold = 10
        let scheduler = harness.scheduler(schedule: schedule)
        try await withRunning(scheduler) {
            try await Task.sleep(for: .milliseconds(300))
        }
        #expect(scheduler.status().hold)
        #expect(scheduler.status().holdReason?.contains("12 tokens due") == true)
        #expect(harness.performer.totalCalls == 0)
    }

    @Test func breakerTripsOnWallClockJump() async throws {
        let clock = ManualClock(Date())
        let harness = try EngineHarness(clock: clock)
        defer { harness.cleanup() }
        // 20 tokens expiring in a day: nothing due at start-up.
        for index in 0..<20 { try await harness.register("later-\(index)", expiresIn: .seconds(86_400)) }
        var schedule = EngineHarness.schedule()
        schedule.breakerDueThreshold = 10
        let scheduler = harness.scheduler(schedule: schedule, clock: clock)
        try await withRunning(scheduler) {
            try await Task.sleep(for: .milliseconds(200))
            #expect(!scheduler.status().hold)
            clock.advance(by: .seconds(2 * 86_400))  // a restore / NTP step two days ahead
            _ = await harness.eventually(timeout: .seconds(2)) { scheduler.status().hold }
        }
        #expect(scheduler.status().hold)
        #expect(scheduler.status().holdReason?.contains("clock jump") == true)
        #expect(harness.performer.totalCalls == 0)
    }

    @Test func leasesOfACrashedRunAreRetriedWithOneTerminalEvent() async throws {
        let harness = try EngineHarness()
        defer { harness.cleanup() }
        let record = try await harness.register("tok-crash")
        // A previous run claimed the token and died before recording anything.
        let claims = try await harness.store.claimDue(account: "fb", limit: 10)
        #expect(claims.map(\.id) == [record.id])
        #expect(try await harness.store.token(id: record.id)?.state == .revoking)
        try await withRunning(harness.scheduler()) {
            _ = try await harness.eventually { try await harness.store.token(id: record.id)?.state == .revoked }
        }
        let events = try await harness.store.audit(AuditQuery(tokenID: record.id, limit: 100)).events
        #expect(events.filter { $0.action.isTerminal }.count == 1)
        #expect(events.filter { $0.action == .revokeRequested }.count == 1)
    }

    @Test func forgetDuringAnAttemptKeepsForgottenAsTheOnlyTerminal() async throws {
        let harness = try EngineHarness()
        defer { harness.cleanup() }
        harness.performer.set(.delay(.milliseconds(300)), for: "fb")
        let record = try await harness.register("tok-forget")
        try await withRunning(harness.scheduler()) {
            _ = await harness.eventually { harness.performer.calls(token: "tok-forget") == 1 }
            _ = try await harness.store.forget(id: record.id, note: nil, actor: .caller(uid: 0, pid: 1, role: .admin))
            try await Task.sleep(for: .milliseconds(500))
        }
        let final = try #require(try await harness.store.token(id: record.id))
        #expect(final.state == .forgotten)
        let events = try await harness.store.audit(AuditQuery(tokenID: record.id, limit: 100)).events
        #expect(events.filter { $0.action.isTerminal }.map(\.action) == [.forgotten])
        #expect(events.filter { $0.action == .attempt }.count == 1)
    }

    @Test func retryAfterIsHonoured() async throws {
        let harness = try EngineHarness()
        defer { harness.cleanup() }
        harness.performer.set(.script([.transient(detail: "HTTP 429", retryAfter: .milliseconds(150))]), for: "fb")
        let record = try await harness.register("tok-429")
        try await withRunning(harness.scheduler()) {
            _ = try await harness.eventually { try await harness.store.token(id: record.id)?.state == .revoked }
        }
        let events = try await harness.store.audit(AuditQuery(tokenID: record.id, action: .attempt, limit: 10)).events
        let times = events.map(\.at).sorted()
        #expect(times.count == 2)
        #expect(times[1].timeIntervalSince(times[0]) >= 0.14)
    }
}

@Suite("Audit retention through the scheduler")
struct RetentionTests {
    @Test func oldEventsArePrunedUpToTheCheckpointAndTheChainStillLinks() async throws {
        let clock = ManualClock(Date())
        let harness = try EngineHarness(clock: clock)
        defer { harness.cleanup() }
        // An old token, revoked long ago, and an old token still active.
        let revoked = try await harness.register("old-revoked", expiresIn: .seconds(86_400 * 1_000))
        _ = try await harness.store.requestRevoke(id: revoked.id, reason: .requested, note: nil, actor: .system("test"))
        let claims = try await harness.store.claimDue(account: "fb", limit: 10)
        try await harness.store.recordAttempt(
            claims[0], result: AttemptResult(outcome: .revoked, httpStatus: 200, duration: .zero), decision: .done(.revoked))
        let active = try await harness.register("old-active", expiresIn: .seconds(86_400 * 1_000))
        clock.advance(by: .seconds(500 * 86_400))
        let fresh = try await harness.register("fresh", expiresIn: .seconds(86_400 * 1_000))
        // What the hourly checkpoint would have signed by now: retention never prunes past a checkpoint.
        let signer = CheckpointSigner()
        _ = try await harness.store.appendCheckpoint(kind: .manual, minimumAge: .zero, signer: signer)

        var options = RevocationScheduler.Options(schedule: EngineHarness.schedule(), auditRetain: .seconds(400 * 86_400))
        options.auditSigner = signer
        let scheduler = RevocationScheduler(
            store: harness.store, performer: harness.performer, accounts: harness.accounts, options: options, clock: clock)
        try await withRunning(scheduler) {
            _ = try await harness.eventually {
                try await !harness.store.audit(AuditQuery(action: .auditPruned)).events.isEmpty
            }
        }
        // A prefix goes, terminal events included (the token row keeps its state); the signed prune checkpoint
        // records the range so the rest still verifies.
        #expect(try await harness.store.audit(AuditQuery(tokenID: revoked.id)).events.isEmpty)
        #expect(try await harness.store.token(id: revoked.id)?.state == .revoked)
        #expect(try await harness.store.audit(AuditQuery(tokenID: active.id)).events.isEmpty)
        #expect(try await harness.store.audit(AuditQuery(tokenID: fresh.id)).events.map(\.action) == [.registered])
        let pruned = try await harness.store.audit(AuditQuery(action: .auditPruned)).events
        #expect(pruned.count == 1)
        #expect(pruned.first?.reason?.contains("removed 5 ") == true)
        let checkpoints = try await harness.store.auditCheckpoints()
        #expect(checkpoints.last?.kind == .prune)
        #expect(checkpoints.last?.prunedThrough == 5)
    }
}

@Suite("waitForTerminal")
struct WaitForTerminalTests {
    @Test func waitsForTheOutcomeAndTimesOut() async throws {
        let harness = try EngineHarness()
        defer { harness.cleanup() }
        harness.performer.set(.delay(.milliseconds(200)), for: "fb")
        let record = try await harness.register("wait-1", expiresIn: .seconds(3600))
        let scheduler = harness.scheduler()
        try await withRunning(scheduler) {
            // Not requested yet: nothing happens, so the wait ends at its timeout with the token still active.
            let started = ContinuousClock.now
            let early = try await scheduler.waitForTerminal(id: record.id, timeout: .milliseconds(150))
            #expect(early?.state == .active)
            #expect(ContinuousClock.now - started >= .milliseconds(150))
            _ = try await harness.store.requestRevoke(id: record.id, reason: .requested, note: nil, actor: .system("test"))
            scheduler.wake()
            let final = try await scheduler.waitForTerminal(id: record.id, timeout: .seconds(5))
            #expect(final?.state == .revoked)
        }
    }
}
