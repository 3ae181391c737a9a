import Foundation
import Testing
import TokendCore

@testable import TokendSQLite
@testable import TokendStore

/// (a) Store verbs refuse transitions the state machine does not allow; a refused verb changes nothing.
@Suite struct TransitionTests {
    @Test(arguments: StoreBackend.all) func renewRefusedUnlessActive(backend: StoreBackend) async throws {
        let h = try await StoreHarness.make(backend)
        defer { h.cleanup() }
        let later = h.clock.now().adding(.seconds(7200))

        let revoked = try await h.register("renew-revoked")
        try await h.finish(revoked.id, as: .done(.revoked))
        await expectConflict { _ = try await h.store.renew(id: revoked.id, expiresAt: later, actor: StoreHarness.client) }

        let revoking = try await h.register("renew-revoking")
        _ = try await h.store.requestRevoke(id: revoking.id, reason: .requested, note: nil, actor: StoreHarness.client)
        await expectConflict { _ = try await h.store.renew(id: revoking.id, expiresAt: later, actor: StoreHarness.client) }

        let failed = try await h.register("renew-failed")
        try await h.fail(failed.id)
        await expectConflict { _ = try await h.store.renew(id: failed.id, expiresAt: later, actor: StoreHarness.client) }

        let forgotten = try await h.register("renew-forgotten")
        _ = try await h.store.forget(id: forgotten.id, note: nil, actor: StoreHarness.client)
        await expectConflict {
            _ = try await h.store.renew(id: forgotten.id, expiresAt: later, actor: StoreHarness.client)
        }

        // Refusals leave state and audit untouched.
        #expect(try await h.store.token(id: revoked.id)?.state == .revoked)
        #expect(try await h.auditActions(revoked.id) == ["registered", "revoke_requested", "attempt", "revoked"])
        #expect(try await h.auditActions(forgotten.id) == ["registered", "forgotten"])

        let active = try await h.register("renew-active")
        let renewed = try await h.store.renew(id: active.id, expiresAt: later, actor: StoreHarness.client)
        #expect(renewed.expiresAt.unixMillis == later.unixMillis)
        #expect(renewed.lastRenewedAt != nil)
        #expect(try await h.auditActions(active.id) == ["registered", "renewed"])
    }

    @Test(arguments: StoreBackend.all) func retryRefusedUnlessFailed(backend: StoreBackend) async throws {
        let h = try await StoreHarness.make(backend)
        defer { h.cleanup() }
        let active = try await h.register("retry-active")
        await expectConflict { _ = try await h.store.retry(id: active.id, actor: StoreHarness.operatorActor) }
        let revoking = try await h.register("retry-revoking")
        _ = try await h.store.requestRevoke(id: revoking.id, reason: .requested, note: nil, actor: StoreHarness.client)
        await expectConflict { _ = try await h.store.retry(id: revoking.id, actor: StoreHarness.operatorActor) }
        let revoked = try await h.register("retry-revoked")
        try await h.finish(revoked.id, as: .done(.alreadyRevoked))
        await expectConflict { _ = try await h.store.retry(id: revoked.id, actor: StoreHarness.operatorActor) }
        let forgotten = try await h.register("retry-forgotten")
        _ = try await h.store.forget(id: forgotten.id, note: nil, actor: StoreHarness.client)
        await expectConflict { _ = try await h.store.retry(id: forgotten.id, actor: StoreHarness.operatorActor) }
        #expect(try await h.store.token(id: active.id)?.state == .active)
        #expect(try await h.store.token(id: revoked.id)?.state == .alreadyRevoked)
    }

    @Test(arguments: StoreBackend.all) func revokeOfForgottenAndForgetOfRevokedAreConflicts(backend: StoreBackend) async throws {
        let h = try await StoreHarness.make(backend)
        defer { h.cleanup() }
        let forgotten = try await h.register("forgotten-one")
        let first = try await h.store.forget(id: forgotten.id, note: "gone", actor: StoreHarness.client)
        #expect(first.changed)
        #expect(first.record.state == .forgotten)
        #expect(first.record.revocationReason == .forgotten)
        await expectConflict {
            _ = try await h.store.requestRevoke(
                id: forgotten.id, reason: .requested, note: nil, actor: StoreHarness.client)
        }
        // Forget of a forgotten token is an idempotent no-op (200), not a second terminal event.
        let again = try await h.store.forget(id: forgotten.id, note: nil, actor: StoreHarness.client)
        #expect(!again.changed)
        #expect(try await h.auditActions(forgotten.id) == ["registered", "forgotten"])

        for (raw, decision) in [
            ("forget-revoked", RetryPolicy.Decision.done(.revoked)), ("forget-already", .done(.alreadyRevoked)),
        ] {
            let token = try await h.register(raw)
            try await h.finish(token.id, as: decision)
            await expectConflict { _ = try await h.store.forget(id: token.id, note: nil, actor: StoreHarness.client) }
        }
    }

    @Test(arguments: StoreBackend.all) func legalVerbsFromEachState(backend: StoreBackend) async throws {
        let h = try await StoreHarness.make(backend)
        defer { h.cleanup() }
        // active → forgotten, revoking → forgotten, failed → forgotten, failed → revoking (retry).
        let a = try await h.register("legal-a")
        #expect(try await h.store.forget(id: a.id, note: nil, actor: StoreHarness.client).changed)
        let b = try await h.register("legal-b")
        _ = try await h.store.requestRevoke(id: b.id, reason: .requested, note: "why", actor: StoreHarness.client)
        #expect(try await h.store.forget(id: b.id, note: nil, actor: StoreHarness.client).record.state == .forgotten)
        let c = try await h.register("legal-c")
        try await h.fail(c.id)
        #expect(try await h.store.forget(id: c.id, note: nil, actor: StoreHarness.client).record.state == .forgotten)
        let d = try await h.register("legal-d")
        try await h.fail(d.id)
        let retried = try await h.store.retry(id: d.id, actor: StoreHarness.operatorActor)
        #expect(retried.state == .revoking)
        #expect(retried.episode == 2)
        #expect(retried.attempts == 0)
        // Revoke of revoking / revoked / failed is an idempotent no-op.
        let noop = try await h.store.requestRevoke(id: d.id, reason: .requested, note: nil, actor: StoreHarness.client)
        #expect(!noop.changed)
    }

    @Test(arguments: StoreBackend.all) func unknownTokenIsNotFound(backend: StoreBackend) async throws {
        let h = try await StoreHarness.make(backend)
        defer { h.cleanup() }
        await #expect(throws: StoreError.notFound("tok_missing")) {
            _ = try await h.store.forget(id: "tok_missing", note: nil, actor: StoreHarness.client)
        }
    }
}
