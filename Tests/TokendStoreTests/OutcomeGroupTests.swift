import Foundation
import Testing
import TokendAudit
import TokendCore

@testable import TokendStore

/// One group commit of outcomes of every kind, as the engine hands them over: on PostgreSQL the group's
/// compare-and-sets run as one statement and its audit rows are written last, in one statement; the result
/// must be what writing them one by one gives (SQLite does), in the same audit order, with the chain intact.
@Suite("Outcome groups", .serialized)
struct OutcomeGroupTests {
    @Test(arguments: StoreBackend.all) func aMixedGroupIsRecordedAsOneByOne(backend: StoreBackend) async throws {
        let h = try await StoreHarness.make(backend)
        defer { h.cleanup() }
        let names = ["revoked", "already", "retry", "fail", "stale"]
        var ids: [String: String] = [:]
        for name in names {
            let token = try await h.register("group-\(name)")
            ids[name] = token.id
            _ = try await h.store.requestRevoke(id: token.id, reason: .requested, note: nil, actor: StoreHarness.operatorActor)
        }
        let due = try await h.store.claimDue(account: "acme", limit: 10)
        let claims = Dictionary(uniqueKeysWithValues: due.map { ($0.id, $0) })
        #expect(claims.count == names.count)
        func claim(_ name: String) throws -> Claim {
            guard let claim = claims[ids[name] ?? ""] else { throw StoreError.notFound(name) }
            return claim
        }
        var stale = try claim("stale")
        // A lease this instance lost to another: on PostgreSQL its outcome must not land. A SQLite file has one
        // daemon (DaemonLock), so there is no other holder and its compare-and-set has no lease sequence.
        stale.leaseSeq -= 1
        let staleLands = backend == .sqlite
        let now = h.clock.now()
        let ok = AttemptResult(outcome: .revoked, httpStatus: 200, duration: .milliseconds(3))
        let records = [
            AttemptRecord(claim: try claim("revoked"), result: ok, decision: .done(.revoked)),
            AttemptRecord(claim: try claim("already"), result: ok, decision: .done(.alreadyRevoked)),
            AttemptRecord(claim: try claim("retry"), result: ok, decision: .retry(at: now.adding(.seconds(60)))),
            AttemptRecord(
                claim: try claim("fail"), result: ok,
                decision: .fail(nextAttemptAt: now.adding(.seconds(3_600)), error: "permanent: account refused")),
            AttemptRecord(claim: stale, result: ok, decision: .done(.revoked)),
            // The same claim twice in one group: only the first may write the terminal event.
            AttemptRecord(claim: try claim("revoked"), result: ok, decision: .done(.revoked)),
        ]
        let states = try await h.store.recordAttempts(records)
        #expect(states == [.revoked, .alreadyRevoked, .revoking, .failed, staleLands ? .revoked : .revoking, .revoked])

        #expect(try await h.actions(ids["revoked"]!) == ["registered", "revoke_requested", "attempt", "revoked", "attempt"])
        #expect(try await h.actions(ids["already"]!) == ["registered", "revoke_requested", "attempt", "already_revoked"])
        #expect(try await h.actions(ids["retry"]!) == ["registered", "revoke_requested", "attempt"])
        #expect(try await h.actions(ids["fail"]!) == ["registered", "revoke_requested", "attempt", "failed"])
        #expect(
            try await h.actions(ids["stale"]!)
                == ["registered", "revoke_requested", "attempt"] + (staleLands ? ["revoked"] : []))
        #expect(try await h.store.token(id: ids["retry"]!)?.attempts == 1)
        #expect(try await h.store.token(id: ids["stale"]!)?.state == (staleLands ? .revoked : .revoking))

        // Ids contiguous and the chain intact across the group's rows.
        let signer = CheckpointSigner()
        _ = try await h.store.appendCheckpoint(kind: .manual, minimumAge: .zero, signer: signer)
        let report = try await AuditTests.verify(h.store, signer)
        #expect(report.intact, "\(report.problems)")
        // registered and revoke_requested per token, one attempt per record, and the terminal events.
        #expect(report.rowsChecked == names.count * 2 + records.count + (staleLands ? 4 : 3))
    }
}
