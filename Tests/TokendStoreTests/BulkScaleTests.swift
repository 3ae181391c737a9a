import Foundation
import Testing
import TokendCore

@testable import TokendStore

/// A bulk job at the size where "revoke everything this person held" used to fail (5,000 tokens answered
/// SQLITE_FULL): 20,000 tokens of one owner, marked, claimed and recorded through the store, every token
/// terminal with exactly one terminal event and the job's counts exact.
@Suite("Bulk revocation at scale", .serialized)
struct BulkScaleTests {
    static let count = 20_000

    @Test(arguments: StoreBackend.all) func twentyThousandTokensOfOneOwner(backend: StoreBackend) async throws {
        let h = try await StoreHarness.make(backend)
        defer { h.cleanup() }
        var raws: [String] = []
        for chunk in stride(from: 0, to: Self.count, by: 1_000) {
            let tokens = (chunk..<min(chunk + 1_000, Self.count)).map { h.newToken("bulk-scale-\($0)", owner: "leaver") }
            raws += tokens.map(\.token)
            let results = try await h.store.registerBatch(tokens, actor: StoreHarness.client)
            #expect(results.allSatisfy { if case .success = $0 { true } else { false } })
        }
        // Someone else's token is not the job's.
        _ = try await h.register("bulk-scale-bystander", owner: "stayer")
        let job = try await h.store.startBulkRevocation(
            filter: TokenFilter(owner: "leaver"), reason: "offboarding", actor: StoreHarness.operatorActor,
            expectedCount: Self.count)
        #expect(job.matched == Self.count)
        #expect(job.pending == Self.count)
        #expect(job.state == "running")
        var done = 0
        while true {
            // As the scheduler does each pass: one more chunk marked (a bounded transaction), then what is due.
            let marked = try await h.store.continueBulkJobs(limit: 1_000)
            let claims = try await h.store.claimDue(account: "acme", limit: 1_000)
            let progress = try #require(try await h.store.job(id: job.id))
            #expect(progress.matched == progress.revoked + progress.pending + progress.skipped + progress.failed)
            if claims.isEmpty && marked == 0 { break }
            let ok = AttemptResult(outcome: .revoked, httpStatus: 200, duration: .milliseconds(1))
            let states = try await h.store.recordAttempts(claims.map { AttemptRecord(claim: $0, result: ok, decision: .done(.revoked)) })
            #expect(states.allSatisfy { $0 == .revoked })
            done += claims.count
        }
        #expect(done == Self.count)
        let progress = try #require(try await h.store.job(id: job.id))
        #expect(progress.revoked == Self.count)
        #expect(progress.pending == 0)
        #expect(progress.state == "done")
        #expect(try await h.store.count(TokenFilter(owner: "leaver", states: [.revoked])) == Self.count)
        #expect(try await h.store.count(TokenFilter(owner: "stayer", states: [.active])) == 1)
        let terminal = try await h.store.audit(AuditQuery(action: .revoked, limit: 1_000))
        #expect(terminal.events.count == 1_000)
        #expect(try await h.store.stateCounts().byState[.revoked] == Self.count)
    }

    /// Marking walks a cursor, so a token renewed to an earlier expiry after the walk passed that point is
    /// behind it: the final pass from the start still takes it, and the job ends.
    @Test(arguments: StoreBackend.all) func aTokenRenewedBehindTheCursorIsStillMarked(backend: StoreBackend) async throws {
        let h = try await StoreHarness.make(backend)
        defer { h.cleanup() }
        let tokens = (0..<2_500).map { h.newToken("cursor-\($0)", owner: "leaver", ttl: .seconds(3_600 + $0)) }
        let registered = try await h.store.registerBatch(tokens, actor: StoreHarness.client).map { try $0.get().record }
        let job = try await h.store.startBulkRevocation(
            filter: TokenFilter(owner: "leaver"), reason: nil, actor: StoreHarness.operatorActor, expectedCount: 2_500)
        // The first chunk (1,000 tokens, the earliest expiries) is marked; move a late one to the earliest expiry.
        let late = registered[2_400]
        #expect(try await h.store.token(id: late.id)?.state == .active)
        _ = try await h.store.renew(id: late.id, expiresAt: h.clock.now().adding(.seconds(60)), actor: StoreHarness.client)
        var chunks = 0
        while try await h.store.continueBulkJobs(limit: 1_000) > 0 {
            chunks += 1
            #expect(chunks < 10, "marking does not end")
            if chunks >= 10 { break }
        }
        #expect(try await h.store.token(id: late.id)?.state == .revoking)
        #expect(try await h.store.count(TokenFilter(owner: "leaver", states: [.revoking])) == 2_500)
        let progress = try #require(try await h.store.job(id: job.id))
        #expect(progress.marking == false)
        #expect(progress.pending == 2_500)
        #expect(progress.skipped == 0)
    }
}
