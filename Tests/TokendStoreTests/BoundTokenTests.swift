import Foundation
import Testing
import TokendCore

@testable import TokendStore

/// Bound tokens (client-held leases) in the store, on every backend: heartbeats move the deadline, a missed
/// deadline or a release starts the revocation with its audit row, and only the registrant may do either.
@Suite struct BoundTokenTests {
    static let owner: UInt32 = 1000

    func registerBound(_ h: StoreHarness, _ raw: String, heartbeat: Int = 30, ttl: Duration = .seconds(3600))
        async throws -> TokenRecord
    {
        var token = h.newToken(raw, ttl: ttl)
        token.heartbeatSeconds = heartbeat
        return try await h.store.register(token, actor: StoreHarness.client).record
    }

    @Test(arguments: StoreBackend.all) func registrationStartsTheLeaseAndHeartbeatsMoveIt(backend: StoreBackend) async throws {
        let h = try await StoreHarness.make(backend)
        defer { h.cleanup() }
        let start = h.clock.now()
        let record = try await registerBound(h, "bound-heartbeat", heartbeat: 30)
        let lease = try #require(record.bound)
        #expect(lease.heartbeatSeconds == 30)
        #expect(lease.lastHeartbeatAt.unixMillis == start.unixMillis)
        #expect(lease.deadline.unixMillis == start.unixMillis + 30_000)
        // What the store returns on registration is what it reads back.
        #expect(try await h.store.token(id: record.id)?.bound == record.bound)
        #expect(try await h.store.nextHeartbeatDeadline()?.unixMillis == start.unixMillis + 30_000)

        h.clock.advance(by: .seconds(20))
        let beaten = try await h.store.heartbeat(tokenID: record.id, ownerUID: Self.owner, now: h.clock.now())
        #expect(beaten.bound?.lastHeartbeatAt.unixMillis == start.unixMillis + 20_000)
        #expect(beaten.bound?.deadline.unixMillis == start.unixMillis + 50_000)
        #expect(beaten.state == .active)
        #expect(beaten.expiresAt == record.expiresAt, "a heartbeat is no renew: the TTL stays")
        // Past the original deadline, but within the new one: nothing to sweep.
        h.clock.advance(by: .seconds(20))
        #expect(try await h.store.revokeUnbound(now: h.clock.now(), limit: 100) == 0)
        #expect(try await h.auditActions(record.id) == ["registered"], "heartbeats are not audited")

        // An ordinary token has no lease and no deadline.
        let plain = try await h.register("bound-plain")
        #expect(plain.bound == nil)
        #expect(try await h.store.token(id: plain.id)?.bound == nil)
    }

    @Test(arguments: StoreBackend.all) func missedDeadlineRevokesWithReasonUnbound(backend: StoreBackend) async throws {
        let h = try await StoreHarness.make(backend)
        defer { h.cleanup() }
        let early = try await registerBound(h, "bound-early", heartbeat: 10)
        let late = try await registerBound(h, "bound-late", heartbeat: 60)
        let plain = try await h.register("bound-ordinary")

        h.clock.advance(by: .seconds(9))
        #expect(try await h.store.revokeUnbound(now: h.clock.now(), limit: 100) == 0)
        h.clock.advance(by: .seconds(1))  // exactly at the deadline: due
        #expect(try await h.store.revokeUnbound(now: h.clock.now(), limit: 100) == 1)
        let revoking = try #require(try await h.store.token(id: early.id))
        #expect(revoking.state == .revoking)
        #expect(revoking.revocationReason == .unbound)
        #expect(revoking.nextAttemptAt?.unixMillis == h.clock.now().unixMillis)
        #expect(try await h.store.token(id: late.id)?.state == .active)
        #expect(try await h.store.token(id: plain.id)?.state == .active)
        let events = try await h.store.audit(AuditQuery(tokenID: early.id)).events
        #expect(events.map(\.action) == [.heartbeatMissed, .registered])
        #expect(events[0].actor == .system("scheduler"))
        #expect(events[0].reason == "unbound: no heartbeat within 10s")
        // Swept once: a second sweep finds nothing, and the next deadline is the other token's.
        #expect(try await h.store.revokeUnbound(now: h.clock.now(), limit: 100) == 0)
        #expect(try await h.store.nextHeartbeatDeadline()?.unixMillis == late.bound?.deadline.unixMillis)

        // The scheduler takes it from there: one attempt, one terminal event, reason kept.
        let claims = try await h.store.claimDue(account: "acme", limit: 10)
        #expect(claims.map(\.id) == [early.id])
        try await h.store.recordAttempt(
            claims[0], result: AttemptResult(outcome: .revoked, httpStatus: 200, duration: .milliseconds(3)),
            decision: .done(.revoked))
        #expect(try await h.actions(early.id) == ["registered", "heartbeat_missed", "attempt", "revoked"])
        #expect(try await h.store.token(id: early.id)?.revocationReason == .unbound)
        // A heartbeat after the end is a conflict; nothing changes.
        await expectConflict { _ = try await h.store.heartbeat(tokenID: early.id, ownerUID: Self.owner, now: h.clock.now()) }
        #expect(try await h.store.nextHeartbeatDeadline()?.unixMillis == late.bound?.deadline.unixMillis)
    }

    @Test(arguments: StoreBackend.all) func sweepHonoursItsLimitOldestDeadlineFirst(backend: StoreBackend) async throws {
        let h = try await StoreHarness.make(backend)
        defer { h.cleanup() }
        var ids: [String] = []
        for index in 0..<5 { ids.append(try await registerBound(h, "bound-batch-\(index)", heartbeat: 5 + index).id) }
        h.clock.advance(by: .seconds(60))
        #expect(try await h.store.revokeUnbound(now: h.clock.now(), limit: 2) == 2)
        var states: [TokenState] = []
        for id in ids { states.append(try #require(try await h.store.token(id: id)).state) }
        #expect(states == [.revoking, .revoking, .active, .active, .active])
        #expect(try await h.store.revokeUnbound(now: h.clock.now(), limit: 10) == 3)
        #expect(try await h.store.nextHeartbeatDeadline() == nil)
        for id in ids { #expect(try await h.actions(id) == ["registered", "heartbeat_missed"]) }
    }

    @Test(arguments: StoreBackend.all) func lateHeartbeatStartsTheRevocationItself(backend: StoreBackend) async throws {
        let h = try await StoreHarness.make(backend)
        defer { h.cleanup() }
        let record = try await registerBound(h, "bound-late-beat", heartbeat: 5)
        h.clock.advance(by: .seconds(6))
        // No sweep ran yet: the heartbeat itself finds the deadline passed, and the outcome is the same.
        await expectConflict {
            _ = try await h.store.heartbeat(tokenID: record.id, ownerUID: Self.owner, now: h.clock.now())
        }
        let after = try #require(try await h.store.token(id: record.id))
        #expect(after.state == .revoking)
        #expect(after.revocationReason == .unbound)
        #expect(try await h.actions(record.id) == ["registered", "heartbeat_missed"])
        #expect(try await h.store.revokeUnbound(now: h.clock.now(), limit: 10) == 0)
    }

    @Test(arguments: StoreBackend.all) func releaseStartsTheRevocationOnceAndIsIdempotent(backend: StoreBackend) async throws {
        let h = try await StoreHarness.make(backend)
        defer { h.cleanup() }
        let record = try await registerBound(h, "bound-release")
        let first = try await h.store.release(
            tokenID: record.id, ownerUID: Self.owner, note: "job done", actor: StoreHarness.client, now: h.clock.now())
        #expect(first.changed)
        #expect(first.record.state == .revoking)
        #expect(first.record.revocationReason == .released)
        #expect(first.record.revocationNote == "job done")
        let again = try await h.store.release(
            tokenID: record.id, ownerUID: Self.owner, note: nil, actor: StoreHarness.client, now: h.clock.now())
        #expect(!again.changed)
        // Released tokens are no longer swept for a missed heartbeat (they left `active`).
        h.clock.advance(by: .seconds(600))
        #expect(try await h.store.revokeUnbound(now: h.clock.now(), limit: 10) == 0)
        try await h.finish(record.id, as: .done(.revoked))
        #expect(try await h.actions(record.id) == ["registered", "released", "attempt", "revoked"])
        let terminal = try await h.store.release(
            tokenID: record.id, ownerUID: Self.owner, note: nil, actor: StoreHarness.client, now: h.clock.now())
        #expect(!terminal.changed)
        #expect(terminal.record.state == .revoked)
        let released = try await h.store.audit(AuditQuery(tokenID: record.id, action: .released)).events
        #expect(released.map(\.reason) == ["job done"])
    }

    @Test(arguments: StoreBackend.all) func onlyTheRegistrantMayHeartbeatOrRelease(backend: StoreBackend) async throws {
        let h = try await StoreHarness.make(backend)
        defer { h.cleanup() }
        let record = try await registerBound(h, "bound-owner")
        for stranger: UInt32 in [0, 1001] {
            await #expect(throws: StoreError.notFound(record.id)) {
                _ = try await h.store.heartbeat(tokenID: record.id, ownerUID: stranger, now: h.clock.now())
            }
            await #expect(throws: StoreError.notFound(record.id)) {
                _ = try await h.store.release(
                    tokenID: record.id, ownerUID: stranger, note: nil, actor: StoreHarness.operatorActor,
                    now: h.clock.now())
            }
        }
        await #expect(throws: StoreError.notFound("tok_missing")) {
            _ = try await h.store.heartbeat(tokenID: "tok_missing", ownerUID: Self.owner, now: h.clock.now())
        }
        #expect(try await h.store.token(id: record.id)?.state == .active)
        #expect(try await h.actions(record.id) == ["registered"])

        // A token without a lease takes neither (409), whoever asks.
        let plain = try await h.register("bound-none")
        await expectConflict { _ = try await h.store.heartbeat(tokenID: plain.id, ownerUID: Self.owner, now: h.clock.now()) }
        await expectConflict {
            _ = try await h.store.release(
                tokenID: plain.id, ownerUID: Self.owner, note: nil, actor: StoreHarness.client, now: h.clock.now())
        }
        #expect(try await h.store.token(id: plain.id)?.state == .active)
    }

    @Test(arguments: StoreBackend.all) func loggedOnTokensOpenWithLoggedOn(backend: StoreBackend) async throws {
        let h = try await StoreHarness.make(backend)
        defer { h.cleanup() }
        var token = h.newToken("logged-on-raw")
        token.loggedOn = true
        token.heartbeatSeconds = 15
        let record = try await h.store.register(token, actor: StoreHarness.client).record
        #expect(try await h.actions(record.id) == ["logged_on"])
        #expect(record.bound?.heartbeatSeconds == 15)
        var batch = h.newToken("logged-on-batch")
        batch.loggedOn = true
        let results = try await h.store.registerBatch([batch, h.newToken("registered-batch")], actor: StoreHarness.client)
        let ids = try results.map { try $0.get().record.id }
        #expect(try await h.actions(ids[0]) == ["logged_on"])
        #expect(try await h.actions(ids[1]) == ["registered"])
    }
}
