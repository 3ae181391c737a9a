import Foundation
import Testing
import TokendAudit
import TokendCore

@testable import TokendPostgres
@testable import TokendStore

/// Issue 16's tamper tests on PostgreSQL: a real database, changed behind the store's back by direct SQL with
/// the triggers disabled; the verifier (what `tokend verify-audit` runs, reading through
/// `PostgresAuditReader`'s queries) names what was done.
@Suite struct PostgresAuditTamperTests {
    enum Tamper: String, CaseIterable, Sendable {
        case none, changeField, deleteRow, insertRow, swapRows, forgeSignature, truncateTail
    }

    @Test(arguments: Tamper.allCases) func tamperingIsNamed(tamper: Tamper) async throws {
        guard StoreBackend.all.contains(.postgres) else { return }
        let h = try await StoreHarness.make(.postgres)
        defer { h.cleanup() }
        let signer = CheckpointSigner()
        for index in 0..<5 { _ = try await h.register("pg-tamper-\(index)") }
        let checkpoint = try #require(try await h.store.appendCheckpoint(kind: .manual, minimumAge: .zero, signer: signer))
        _ = try await h.register("pg-tamper-tail")
        let database = try #require(h.database)
        func sql(_ statement: String) async throws { try await PostgresTestDatabase.admin(statement, database: database) }
        try await sql("ALTER TABLE audit DISABLE TRIGGER USER")
        try await sql("ALTER TABLE audit_checkpoints DISABLE TRIGGER USER")
        var expected: (row: Int64?, checkpoint: Int64?, text: String)?
        switch tamper {
        case .none: break
        case .changeField:
            try await sql("UPDATE audit SET actor_uid = 0 WHERE id = 3")
            expected = (3, nil, "hash does not match the row's fields")
        case .deleteRow:
            try await sql("DELETE FROM audit WHERE id = 2")
            expected = (3, nil, "row 2 is missing")
        case .insertRow:
            try await sql("INSERT INTO audit (id, at, action, actor_system) OVERRIDING SYSTEM VALUE SELECT max(id) + 1, 0, 'revoked', 'forger' FROM audit")
            expected = (checkpoint.auditID + 2, nil, "a row was inserted")
        case .swapRows:
            try await sql("""
                UPDATE audit a SET token_id = b.token_id, prev_hash = b.prev_hash, hash = b.hash
                FROM audit b WHERE a.id IN (2, 3) AND b.id = 5 - a.id
                """)
            expected = (2, nil, "hash does not match")
        case .forgeSignature:
            try await sql("UPDATE audit_checkpoints SET signature = decode(repeat('ab', 64), 'hex') WHERE id = \(checkpoint.id)")
            expected = (nil, checkpoint.id, "signature does not verify")
        case .truncateTail:
            try await sql("DELETE FROM audit WHERE id >= \(checkpoint.auditID)")
            expected = (nil, checkpoint.id, "truncated")
        }
        let report = try await AuditTests.verify(h.store, signer)
        guard let expected else {
            #expect(report.intact, "\(report.problems)")
            #expect(report.warnings == ["unverifiable tail of 1 rows since checkpoint \(checkpoint.id)"])
            return
        }
        #expect(!report.intact)
        let first = try #require(report.problems.first)
        #expect(first.rowID == expected.row, "\(report.problems)")
        #expect(first.checkpointID == expected.checkpoint, "\(report.problems)")
        #expect(first.message.contains(expected.text), "\(report.problems)")
    }
}
