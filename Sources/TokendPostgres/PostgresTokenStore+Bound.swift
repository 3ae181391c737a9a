import Foundation
import PostgresNIO
import TokendCore
import TokendStore

extension PostgresTokenStore {
    /// What a heartbeat transaction decided; a missed deadline must commit its revocation before the caller hears
    /// the conflict, so it cannot be thrown from inside the transaction (that would roll it back).
    private enum HeartbeatOutcome: Sendable {
        case renewed(TokenRecord)
        case missed
    }

    public func heartbeat(tokenID id: String, ownerUID: UInt32, now: Date) async throws -> TokenRecord {
        let outcome = try await write { connection -> HeartbeatOutcome in
            let record = try await self.ownedBound(connection, id: id, ownerUID: ownerUID, verb: "heartbeat")
            guard record.state == .active else {
                throw StoreError.conflict(
                    id: id, state: record.state,
                    message: "token \(id) is \(record.state.rawValue); a heartbeat keeps only an active token alive")
            }
            let lease = record.bound!
            if lease.deadline <= now {
                try await self.startUnbound(connection, record: record, now: now)
                try await self.notifyWork(connection)
                return .missed
            }
            try await self.compareAndSet(
                connection, id: id, from: .active, to: .active,
                assignments: "last_heartbeat_at = ?, heartbeat_deadline = ?",
                binds: [now.unixMillis, now.unixMillis + Int64(lease.heartbeatSeconds) * 1_000])
            return .renewed(try await self.existing(connection, id))
        }
        switch outcome {
        case .renewed(let record):
            return record
        case .missed:
            throw StoreError.conflict(
                id: id, state: .revoking,
                message: "token \(id) missed its heartbeat deadline; its revocation has started (reason unbound)")
        }
    }

    public func release(tokenID id: String, ownerUID: UInt32, note: String?, actor: Actor, now: Date) async throws
        -> TransitionResult
    {
        try await write { connection in
            let record = try await self.ownedBound(connection, id: id, ownerUID: ownerUID, verb: "release")
            switch record.state {
            case .active:
                // An empty note stands for NULL (a typed NULL needs no placeholder type).
                try await self.compareAndSet(
                    connection, id: id, from: .active, to: .revoking,
                    assignments: "revocation_reason = 'released', revocation_note = nullif(?, ''), next_attempt_at = ?",
                    binds: [note ?? "", now.unixMillis])
                try await self.insertAudit(
                    connection, action: .released, actor: actor, at: now,
                    AuditFields(tokenID: id, episode: record.episode, reason: note ?? RevocationReason.released.rawValue))
                try await self.notifyWork(connection)
                return TransitionResult(record: try await self.existing(connection, id), changed: true)
            case .revoking, .revoked, .alreadyRevoked, .failed:
                return TransitionResult(record: record, changed: false)
            case .forgotten:
                throw StoreError.conflict(
                    id: id, state: .forgotten, message: "token \(id) was forgotten; there is nothing to release")
            }
        }
    }

    /// One statement moves the due rows (`FOR UPDATE SKIP LOCKED`: instances sweeping at once split the work
    /// instead of queueing behind each other's locks), a second writes their audit rows, in one transaction.
    public func revokeUnbound(now: Date, limit: Int) async throws -> Int {
        guard limit > 0 else { return 0 }
        // A read first: nearly every pass finds nothing, and a read opens no transaction.
        let due = try await read { connection in
            try await Self.one(
                connection.query(
                    """
                    SELECT EXISTS (SELECT 1 FROM tokens
                                   WHERE state = 'active' AND heartbeat_deadline IS NOT NULL
                                     AND heartbeat_deadline <= \(now.unixMillis) AND quarantine IS NULL)
                    """, logger: self.logger), Bool.self) ?? false
        }
        guard due else { return 0 }
        return try await write { connection in
            let rows = try await connection.query(
                """
                WITH due AS (
                    SELECT id FROM tokens
                    WHERE state = 'active' AND heartbeat_deadline IS NOT NULL
                      AND heartbeat_deadline <= \(now.unixMillis) AND quarantine IS NULL
                    ORDER BY heartbeat_deadline LIMIT \(Int64(limit))
                    FOR UPDATE SKIP LOCKED)
                UPDATE tokens t SET state = 'revoking', revocation_reason = 'unbound', next_attempt_at = \(now.unixMillis)
                FROM due WHERE t.id = due.id AND t.state = 'active'
                RETURNING t.id, t.episode, t.heartbeat_seconds
                """, logger: self.logger)
            var ids: [String] = []
            var episodes: [Int64] = []
            var reasons: [String] = []
            for try await (id, episode, seconds) in rows.decode((String, Int64, Int64).self) {
                ids.append(id)
                episodes.append(episode)
                reasons.append(BoundLease.missedReason(heartbeatSeconds: Int(seconds)))
            }
            guard !ids.isEmpty else { return 0 }
            try await connection.query(
                """
                INSERT INTO audit (at, token_id, episode, action, actor_system, reason)
                SELECT \(now.unixMillis), id, episode, 'heartbeat_missed', 'scheduler', reason
                FROM unnest(\(ids), \(episodes), \(reasons)) WITH ORDINALITY AS t(id, episode, reason, n) ORDER BY n
                """, logger: self.logger)
            try await self.notifyWork(connection)
            return ids.count
        }
    }

    public func nextHeartbeatDeadline() async throws -> Date? {
        try await read { connection in
            try await Self.one(
                connection.query(
                    """
                    SELECT min(heartbeat_deadline) FROM tokens
                    WHERE state = 'active' AND heartbeat_deadline IS NOT NULL AND quarantine IS NULL
                    """, logger: self.logger), Int64.self)
        }.map(Date.init(unixMillis:))
    }

    /// The bound token `id`, locked, as its registrant sees it: another uid's token does not exist for them
    /// (404, like every client verb), and a token without a lease cannot take a heartbeat or a release (409).
    private func ownedBound(_ connection: PostgresConnection, id: String, ownerUID: UInt32, verb: String) async throws
        -> TokenRecord
    {
        guard let record = try await fetchRecord(connection, id: id, forUpdate: true),
            record.registeredByUID == ownerUID
        else { throw StoreError.notFound(id) }
        guard record.bound != nil else {
            throw StoreError.conflict(
                id: id, state: record.state,
                message: "token \(id) is not bound; only bound tokens take a \(verb) (use revoke to end its custody)")
        }
        return record
    }

    /// `active → revoking`, reason `unbound`, due at once, audited `heartbeat_missed` by the scheduler.
    private func startUnbound(_ connection: PostgresConnection, record: TokenRecord, now: Date) async throws {
        try await compareAndSet(
            connection, id: record.id, from: .active, to: .revoking,
            assignments: "revocation_reason = 'unbound', next_attempt_at = ?", binds: [now.unixMillis])
        try await insertAudit(
            connection, action: .heartbeatMissed, actor: .system("scheduler"), at: now,
            AuditFields(tokenID: record.id, episode: record.episode, reason: record.bound!.missedReason))
    }
}
