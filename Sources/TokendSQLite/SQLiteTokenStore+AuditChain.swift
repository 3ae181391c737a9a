import Foundation
import GRDB
import GRDBSQLite
import TokendAudit
import TokendCore
import TokendStore

extension SQLiteTokenStore {
    public func auditChain(after id: Int64, limit: Int) async throws -> [ChainRow] {
        try await read { db in try Self.chainRows(db, after: id, limit: limit) }
    }

    public func auditCheckpoints() async throws -> [Checkpoint] {
        try await read { db in try Self.checkpoints(db) }
    }

    public func firstAuditID(atOrAfter date: Date) async throws -> Int64? {
        try await read { db in
            try Int64.fetchOne(db, sql: "SELECT min(id) FROM audit WHERE at >= ?", arguments: [date.unixMillis])
        }
    }

    public func appendCheckpoint(kind: Checkpoint.Kind, minimumAge: Duration, signer: CheckpointSigner) async throws
        -> Checkpoint?
    {
        let now = clock.now()
        return try await write { db in
            try Self.appendCheckpoint(db, kind: kind, minimumAge: minimumAge, signer: signer, now: now)
        }
    }

    static func appendCheckpoint(
        _ db: Database, kind: Checkpoint.Kind, minimumAge: Duration, signer: CheckpointSigner, now: Date,
        pruned: (through: Int64, hash: [UInt8]?)? = nil
    ) throws -> Checkpoint? {
        var latest = try checkpoints(db, last: true).last
        if latest == nil {
            let boundary = try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM audit WHERE hash IS NULL") ?? 0
            let genesis = try signer.sign(
                Checkpoint(id: 1, auditID: boundary, hash: AuditChain.zeroHash, at: now.unixMillis, count: 0, kind: .genesis))
            try insert(db, genesis)
            latest = genesis
            if kind == .genesis { return genesis }
        }
        guard kind != .genesis, let latest else { return nil }
        guard let head = try Row.fetchOne(db, sql: "SELECT id, hash FROM audit WHERE hash IS NOT NULL ORDER BY id DESC LIMIT 1"),
            let headHash = (head[1] as Data?).map({ Array($0) })
        else { return nil }
        let headID: Int64 = head[0]
        if kind == .interval {
            let young = latest.at > now.adding(.zero - minimumAge).unixMillis
            if young || latest.auditID >= headID { return nil }
        }
        let boundary = try Int64.fetchOne(
            db, sql: "SELECT audit_id FROM audit_checkpoints WHERE kind = 'genesis' ORDER BY id LIMIT 1") ?? 0
        let checkpoint = try signer.sign(
            Checkpoint(
                id: latest.id + 1, auditID: headID, hash: headHash, at: now.unixMillis, count: headID - boundary,
                kind: kind, prunedThrough: pruned?.through, prunedHash: pruned?.hash))
        try insert(db, checkpoint)
        return checkpoint
    }

    static func insert(_ db: Database, _ checkpoint: Checkpoint) throws {
        try db.execute(
            sql: """
                INSERT INTO audit_checkpoints (id, audit_id, hash, at, count, kind, pruned_through, pruned_hash, signature)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                checkpoint.id, checkpoint.auditID, Data(checkpoint.hash), checkpoint.at, checkpoint.count,
                checkpoint.kind.rawValue, checkpoint.prunedThrough, checkpoint.prunedHash.map { Data($0) },
                Data(checkpoint.signature),
            ])
    }

    public func pruneAudit(olderThan cutoff: Date, batch: Int, signer: CheckpointSigner) async throws -> Int {
        let now = clock.now()
        return try await write { db in
            // Never past the newest checkpoint, and never the newest row: the prune checkpoint must name a row.
            guard let covered = try Int64.fetchOne(db, sql: "SELECT max(audit_id) FROM audit_checkpoints"),
                let newest = try Int64.fetchOne(db, sql: "SELECT max(id) FROM audit")
            else { return 0 }
            let prefix = try Row.fetchAll(db, sql: "SELECT id, at FROM audit ORDER BY id LIMIT ?", arguments: [batch])
            var through: Int64?
            for row in prefix {
                let id: Int64 = row[0]
                let at: Int64 = row[1]
                guard at < cutoff.unixMillis, id <= covered, id < newest else { break }
                through = id
            }
            guard let through, let first = prefix.first?[0] as Int64? else { return 0 }
            let lastHash = try Data.fetchOne(db, sql: "SELECT hash FROM audit WHERE id = ?", arguments: [through])
            let removed = Int(through - first + 1)
            try Self.insertAudit(
                db, action: .auditPruned, actor: .system("retention"), at: now,
                AuditFields(reason: "removed \(removed) events older than \(cutoff.unixMillis) (ids \(first)…\(through))"))
            try db.cachedStatement(sql: "INSERT INTO audit_prune_permit (one) VALUES (1)").execute()
            try db.execute(sql: "DELETE FROM audit WHERE id <= ?", arguments: [through])
            try db.cachedStatement(sql: "DELETE FROM audit_prune_permit").execute()
            _ = try Self.appendCheckpoint(
                db, kind: .prune, minimumAge: .zero, signer: signer, now: now,
                pruned: (through, lastHash.map { Array($0) }))
            return removed
        }
    }

    // MARK: Reading the chain (also used read-only by verify-audit)

    static let chainColumns = """
        id, at, token_id, episode, action, actor_uid, actor_pid, actor_role, actor_system, reason, provider_status,
        provider_detail, duration_ms, attempt, job_id, prev_hash, hash
        """

    static func chainRows(_ db: Database, after id: Int64, limit: Int) throws -> [ChainRow] {
        let statement = try db.cachedStatement(sql: "SELECT \(chainColumns) FROM audit WHERE id > ? ORDER BY id LIMIT ?")
        let cursor = try Row.fetchCursor(statement, arguments: [id, limit])
        var rows: [ChainRow] = []
        rows.reserveCapacity(min(limit, 100_000))
        // Columns straight from the C API while the cursor's row is current: GRDB's per-value DatabaseValue
        // boxing was half of verify-audit's time.
        while try cursor.next() != nil { rows.append(chainRow(statement.sqliteStatement)) }
        return rows
    }

    /// The current row of a statement selecting ``chainColumns``, without any conversion: a value of the wrong
    /// storage class is named in `problem` (the verifier reports it) rather than coerced, since SQLite does not
    /// enforce column types.
    static func chainRow(_ statement: SQLiteStatement) -> ChainRow {
        var problems: [String] = []
        func int(_ index: Int32, _ name: String) -> Int64? {
            switch sqlite3_column_type(statement, index) {
            case SQLITE_NULL: return nil
            case SQLITE_INTEGER: return sqlite3_column_int64(statement, index)
            default:
                problems.append("\(name) is not an integer")
                return nil
            }
        }
        func text(_ index: Int32, _ name: String) -> String? {
            switch sqlite3_column_type(statement, index) {
            case SQLITE_NULL: return nil
            case SQLITE_TEXT:
                guard let bytes = sqlite3_column_text(statement, index) else { return "" }
                let count = Int(sqlite3_column_bytes(statement, index))
                return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
            default:
                problems.append("\(name) is not text")
                return nil
            }
        }
        func blob(_ index: Int32, _ name: String) -> [UInt8]? {
            switch sqlite3_column_type(statement, index) {
            case SQLITE_NULL: return nil
            case SQLITE_BLOB:
                let count = Int(sqlite3_column_bytes(statement, index))
                guard count > 0, let bytes = sqlite3_column_blob(statement, index) else { return [] }
                return Array(UnsafeRawBufferPointer(start: bytes, count: count))
            default:
                problems.append("\(name) is not a blob")
                return nil
            }
        }
        var chain = ChainRow(
            id: int(0, "id") ?? 0, at: int(1, "at") ?? 0, tokenID: text(2, "token_id"), episode: int(3, "episode"),
            action: text(4, "action") ?? "", actorUID: int(5, "actor_uid"), actorPID: int(6, "actor_pid"),
            actorRole: text(7, "actor_role"), actorSystem: text(8, "actor_system"), reason: text(9, "reason"),
            providerStatus: int(10, "provider_status"), providerDetail: text(11, "provider_detail"),
            durationMillis: int(12, "duration_ms"), attempt: int(13, "attempt"), jobID: text(14, "job_id"),
            prevHash: blob(15, "prev_hash"), hash: blob(16, "hash"))
        if !problems.isEmpty { chain.problem = problems.joined(separator: "; ") }
        return chain
    }

    static func checkpoints(_ db: Database, last: Bool = false) throws -> [Checkpoint] {
        let sql = """
            SELECT id, audit_id, hash, at, count, kind, pruned_through, pruned_hash, signature FROM audit_checkpoints
            ORDER BY id \(last ? "DESC LIMIT 1" : "")
            """
        return try Row.fetchAll(db, sql: sql).map { row in
            Checkpoint(
                id: row[0], auditID: row[1], hash: Array(row[2] as Data? ?? Data()), at: row[3], count: row[4],
                kind: Checkpoint.Kind(rawValue: row[5] as String? ?? "") ?? .manual, prunedThrough: row[6],
                prunedHash: (row[7] as Data?).map { Array($0) }, signature: Array(row[8] as Data? ?? Data()))
        }
    }
}

/// The chain of a SQLite database opened read-only, for `tokend verify-audit` (the daemon may be running or
/// stopped; nothing is migrated or written).
public final class SQLiteAuditReader: AuditChainSource {
    private let queue: DatabaseQueue

    public init(path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError.internalError("no database at \(path)")
        }
        var configuration = GRDB.Configuration()
        configuration.readonly = true
        queue = try DatabaseQueue(path: path, configuration: configuration)
        let hasChain = try queue.read { db in try db.tableExists("audit_checkpoints") }
        guard hasChain else {
            throw StoreError.internalError("\(path) has no audit chain yet (start tokend once to migrate it)")
        }
    }

    public func auditChain(after id: Int64, limit: Int) async throws -> [ChainRow] {
        try await queue.read { db in try SQLiteTokenStore.chainRows(db, after: id, limit: limit) }
    }

    public func auditCheckpoints() async throws -> [Checkpoint] {
        try await queue.read { db in try SQLiteTokenStore.checkpoints(db) }
    }
}
