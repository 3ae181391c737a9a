import Foundation
import GRDB
import Testing
import TokendAudit
import TokendCore

@testable import TokendSQLite
@testable import TokendStore

/// The SQLite store keeps the chain head in memory; these are the cases where that memory is wrong.
@Suite struct ChainHeadCacheTests {
    @Test func twoStoresAppendingToOneFileInTurnKeepOneChain() async throws {
        let h = try StoreHarness()
        defer { h.cleanup() }
        let other = try await h.reopen()
        defer { Task { await other.close() } }
        for index in 0..<6 {
            // Each store's cached head is stale after the other's write: the primary key catches it.
            let store = index % 2 == 0 ? h.store : other
            _ = try await store.register(h.newToken("interleaved-\(index)"), actor: StoreHarness.client)
            _ = try await store.register(h.newToken("interleaved-\(index)b"), actor: StoreHarness.client)
        }
        let signer = CheckpointSigner()
        _ = try await h.store.appendCheckpoint(kind: .manual, minimumAge: .zero, signer: signer)
        let report = try await AuditTests.verify(h.store, signer)
        #expect(report.intact, "\(report.problems)")
        #expect(report.rowsChecked == 12)
    }

    @Test func aRolledBackTransactionDoesNotLeaveItsHeadBehind() async throws {
        let h = try StoreHarness()
        defer { h.cleanup() }
        _ = try await h.register("before-rollback")
        struct Abort: Error {}
        await #expect(throws: Abort.self) {
            try await h.sqlite.write { db in
                try SQLiteTokenStore.insertAudit(
                    db, action: .attempt, actor: .system("test"), at: Date(), .init(reason: "rolled back"))
                throw Abort()
            }
        }
        _ = try await h.register("after-rollback")
        let signer = CheckpointSigner()
        _ = try await h.store.appendCheckpoint(kind: .manual, minimumAge: .zero, signer: signer)
        let report = try await AuditTests.verify(h.store, signer)
        #expect(report.intact, "\(report.problems)")
        #expect(report.rowsChecked == 2)
    }
}
