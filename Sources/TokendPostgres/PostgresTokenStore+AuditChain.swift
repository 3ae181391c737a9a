import Foundation
import Logging
import PostgresNIO
import TokendAudit
import TokendCore
import TokendStore

extension PostgresTokenStore {
    public func auditChain(after id: Int64, limit: Int) async throws -> [ChainRow] {
        try await read { connection in try await Self.chainRows(connection, after: id, limit: limit, logger: self.logger) }
    }

    public func auditCheckpoints() async throws -> [Checkpoint] {
        try await read { connection in try await Self.checkpoints(connection, logger: self.logger) }
    }

    public func firstAuditID(atOrAfter date: Date) async throws -> Int64? {
        try await read { connection in
            try await Self.one(
                connection.query("SELECT min(id) FROM audit WHERE at >= \(date.unixMillis)", logger: self.logger),
                Int64.self)
        }
    }

    public func appendCheckpoint(kind: Checkpoint.Kind, minimumAge: Duration, signer: CheckpointSigner) async throws
        -> Checkpoint?
    {
        let now = clock.now()
        return try await write { connection in
            try await self.appendCheckpoint(connection, kind: kind, minimumAge: minimumAge, signer: signer, now: now)
        }
    }

    /// Under the chain lock, so the head it signs is the cluster's and two instances never sign the same id.
    func appendCheckpoint(
        _ connection: PostgresConnection, kind: Checkpoint.Kind, minimumAge: Duration, signer: CheckpointSigner,
        now: Date, pruned: (through: Int64, hash: [UInt8]?)? = nil
    ) async throws -> Checkpoint? {
        try await connection.query("SELECT pg_advisory_xact_lock(\(PostgresSchema.chainLock))", logger: logger)
        var latest = try await Self.checkpoints(connection, last: true, logger: logger).last
        if latest == nil {
            let boundary = try await Self.one(
                connection.query("SELECT coalesce(max(id), 0) FROM audit WHERE hash IS NULL", logger: logger),
                Int64.self) ?? 0
            let genesis = try signer.sign(
                Checkpoint(id: 1, auditID: boundary, hash: AuditChain.zeroHash, at: now.unixMillis, count: 0, kind: .genesis))
            try await insert(connection, genesis)
            latest = genesis
            if kind == .genesis { return genesis }
        }
        guard kind != .genesis, let latest else { return nil }
        var head: (id: Int64, hash: [UInt8])?
        for try await (id, hash) in try await connection.query(
            "SELECT id, hash FROM audit WHERE hash IS NOT NULL ORDER BY id DESC LIMIT 1", logger: logger
        ).decode((Int64, Data).self) {
            head = (id, Array(hash))
        }
        guard let head else { return nil }
        if kind == .interval {
            let young = latest.at > now.adding(.zero - minimumAge).unixMillis
            if young || latest.auditID >= head.id { return nil }
        }
        let boundary = try await Self.one(
            connection.query(
                "SELECT audit_id FROM audit_checkpoints WHERE kind = 'genesis' ORDER BY id LIMIT 1", logger: logger),
            Int64.self) ?? 0
        let checkpoint = try signer.sign(
            Checkpoint(
                id: latest.id + 1, auditID: head.id, hash: head.hash, at: now.unixMillis, count: head.id - boundary,
                kind: kind, prunedThrough: pruned?.through, prunedHash: pruned?.hash))
        try await insert(connection, checkpoint)
        return checkpoint
    }

    func insert(_ connection: PostgresConnection, _ checkpoint: Checkpoint) async throws {
        try await connection.query(
            """
            INSERT INTO audit_checkpoints (id, audit_id, hash, at, count, kind, pruned_through, pruned_hash, signature)
            VALUES (\(checkpoint.id), \(checkpoint.auditID), \(Data(checkpoint.hash)), \(checkpoint.at),
                    \(checkpoint.count), \(checkpoint.kind.rawValue), \(checkpoint.prunedThrough),
                    \(checkpoint.prunedHash.map { Data($0) }), \(Data(checkpoint.signature)))
            """, logger: logger)
    }

    public func pruneAudit(olderThan cutoff: Date, batch: Int, signer: CheckpointSigner) async throws -> Int {
        let now = clock.now()
        return try await write { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(PostgresSchema.chainLock))", logger: self.logger)
            guard
                let covered = try await Self.one(
                    connection.query("SELECT max(audit_id) FROM audit_checkpoints", logger: self.logger), Int64.self),
                let newest = try await Self.one(connection.query("SELECT max(id) FROM audit", logger: self.logger), Int64.self)
            else { return 0 }
            var first: Int64?
            var through: Int64?
            for try await (id, at) in try await connection.query(
                "SELECT id, at FROM audit ORDER BY id LIMIT \(Int64(batch))", logger: self.logger
            ).decode((Int64, Int64).self) {
                if first == nil { first = id }
                guard through == nil || through == id - 1, at < cutoff.unixMillis, id <= covered, id < newest else { break }
                through = id
            }
            guard let first, let through else { return 0 }
            let lastHash = try await Self.one(
                connection.query("SELECT hash FROM audit WHERE id = \(through)", logger: self.logger), Data.self)
            let removed = Int(through - first + 1)
            try await self.insertAudit(
                connection, action: .auditPruned, actor: .system("retention"), at: now,
                AuditFields(reason: "removed \(removed) events older than \(cutoff.unixMillis) (ids \(first)…\(through))"))
            try await connection.query("SET LOCAL tokend.prune = 'on'", logger: self.logger)
            try await connection.query("DELETE FROM audit WHERE id <= \(through)", logger: self.logger)
            try await connection.query("SET LOCAL tokend.prune = 'off'", logger: self.logger)
            _ = try await self.appendCheckpoint(
                connection, kind: .prune, minimumAge: .zero, signer: signer, now: now,
                pruned: (through, lastHash.map { Array($0) }))
            return removed
        }
    }

    // MARK: Reading the chain (also used read-only by verify-audit)

    static func chainRows(_ connection: PostgresConnection, after id: Int64, limit: Int, logger: Logger) async throws
        -> [ChainRow]
    {
        var rows: [ChainRow] = []
        let result = try await connection.query(
            """
            SELECT id, at, token_id, episode, action, actor_uid, actor_pid, actor_role, actor_system, reason,
                   provider_status, provider_detail, duration_ms, attempt, job_id, prev_hash, hash
            FROM audit WHERE id > \(id) ORDER BY id LIMIT \(Int64(limit))
            """, logger: logger)
        for try await row in result {
            let cells = row.makeRandomAccess()
            rows.append(
                ChainRow(
                    id: try cells[0].decode(Int64.self), at: try cells[1].decode(Int64.self),
                    tokenID: try cells[2].decode(String?.self), episode: try cells[3].decode(Int64?.self),
                    action: try cells[4].decode(String.self), actorUID: try cells[5].decode(Int64?.self),
                    actorPID: try cells[6].decode(Int64?.self), actorRole: try cells[7].decode(String?.self),
                    actorSystem: try cells[8].decode(String?.self), reason: try cells[9].decode(String?.self),
                    providerStatus: try cells[10].decode(Int64?.self), providerDetail: try cells[11].decode(String?.self),
                    durationMillis: try cells[12].decode(Int64?.self), attempt: try cells[13].decode(Int64?.self),
                    jobID: try cells[14].decode(String?.self),
                    prevHash: try cells[15].decode(Data?.self).map { Array($0) },
                    hash: try cells[16].decode(Data?.self).map { Array($0) }))
        }
        return rows
    }

    static func checkpoints(_ connection: PostgresConnection, last: Bool = false, logger: Logger) async throws -> [Checkpoint] {
        var checkpoints: [Checkpoint] = []
        let result = try await connection.query(
            """
            SELECT id, audit_id, hash, at, count, kind, pruned_through, pruned_hash, signature FROM audit_checkpoints
            ORDER BY id \(unescaped: last ? "DESC LIMIT 1" : "")
            """, logger: logger)
        for try await row in result {
            let cells = row.makeRandomAccess()
            checkpoints.append(
                Checkpoint(
                    id: try cells[0].decode(Int64.self), auditID: try cells[1].decode(Int64.self),
                    hash: Array(try cells[2].decode(Data.self)), at: try cells[3].decode(Int64.self),
                    count: try cells[4].decode(Int64.self),
                    kind: Checkpoint.Kind(rawValue: try cells[5].decode(String.self)) ?? .manual,
                    prunedThrough: try cells[6].decode(Int64?.self),
                    prunedHash: try cells[7].decode(Data?.self).map { Array($0) },
                    signature: Array(try cells[8].decode(Data.self))))
        }
        return checkpoints
    }
}

/// The chain of a PostgreSQL database read without migrating or writing, for `tokend verify-audit`.
public final class PostgresAuditReader: AuditChainSource {
    private let client: PostgresClient
    private let runTask: Task<Void, Never>
    private let logger = Logger(label: "tokend.verify-audit")

    public init(location: PostgresLocation) {
        client = PostgresClient(configuration: PostgresTokenStore.clientConfiguration(location))
        let client = self.client
        runTask = Task { await client.run() }
    }

    deinit { runTask.cancel() }

    public func close() { runTask.cancel() }

    public func auditChain(after id: Int64, limit: Int) async throws -> [ChainRow] {
        let logger = self.logger
        return try await client.withConnection { connection in
            try await PostgresTokenStore.chainRows(connection, after: id, limit: limit, logger: logger)
        }
    }

    public func auditCheckpoints() async throws -> [Checkpoint] {
        let logger = self.logger
        return try await client.withConnection { connection in
            try await PostgresTokenStore.checkpoints(connection, logger: logger)
        }
    }
}
