import Foundation
import GRDB
import Testing

@testable import TokendSQLite
@testable import TokendStore

/// WAL pages are copied into the database file by the checkpointer's own connection, not by a commit.
@Suite struct CheckpointerTests {
    @Test func copiesCommittedFramesWithoutTheWriter() async throws {
        let h = try StoreHarness()
        defer { h.cleanup() }
        let path = h.directory.appendingPathComponent("wal.sqlite3").path
        var configuration = GRDB.Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
        let writer = try DatabasePool(path: path, configuration: configuration)
        try await writer.write { db in
            try db.execute(sql: "CREATE TABLE t (x BLOB)")
            for _ in 0..<50 { try db.execute(sql: "INSERT INTO t VALUES (randomblob(4000))") }
        }
        let checkpointer = try Checkpointer(path: path)
        let pass = try await checkpointer.checkpointOnce()
        #expect(pass.copied > 50)
        #expect(pass.copied == pass.walFrames)
        #expect(try await writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM t") } == 50)
    }

    @Test func theWriterOnlyCheckpointsAsABackstop() async throws {
        let h = try StoreHarness()
        defer { h.cleanup() }
        let threshold = try await h.sqlite.write { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") }
        #expect(threshold == Checkpointer.backstopPages)
        #expect(Checkpointer.backstopPages > 1_000)
    }
}
