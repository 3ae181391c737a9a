import Foundation
import PostgresNIO
import TokendCore
import TokendStore

extension PostgresTokenStore {
    public func renew(id: String, expiresAt: Date, actor: Actor, reason: String?) async throws -> TokenRecord {
        let now = clock.now()
        return try await write { connection in
            let record = try await self.existing(connection, id)
            guard record.state == .active else {
                throw StoreError.conflict(
                    id: id, state: record.state,
                    message: "token \(id) is \(record.state.rawValue); only active tokens can be renewed")
            }
            try await self.compareAndSet(
                connection, id: id, from: .active, to: .active, assignments: "expires_at = ?, last_renewed_at = ?",
                binds: [expiresAt.unixMillis, now.unixMillis])
            try await self.insertAudit(
                connection, action: .renewed, actor: actor, at: now,
                AuditFields(tokenID: id, episode: record.episode, reason: reason))
            return try await self.existing(connection, id)
        }
    }

    public func requestRevoke(id: String, reason: RevocationReason, note: String?, actor: Actor, jobID: String?)
        async throws -> TransitionResult
    {
        let now = clock.now()
        return try await write { connection in
            let record = try await self.existing(connection, id)
            switch record.state {
            case .active:
                try await self.compareAndSet(
                    connection, id: id, from: .active, to: .revoking,
                    assignments: "revocation_reason = ?, revocation_note = ?, next_attempt_at = ?, job_id = ?",
                    binds: [reason.rawValue, note ?? "", now.unixMillis, jobID ?? ""])
                // Empty strings stand for NULL in the binds above (a typed NULL needs no placeholder type).
                try await connection.query(
                    "UPDATE tokens SET revocation_note = nullif(revocation_note, ''), job_id = nullif(job_id, '') WHERE id = \(id)",
                    logger: self.logger)
                try await self.insertAudit(
                    connection, action: .revokeRequested, actor: actor, at: now,
                    AuditFields(tokenID: id, episode: record.episode, reason: note ?? reason.rawValue, jobID: jobID))
                try await self.notifyWork(connection)
                return TransitionResult(record: try await self.existing(connection, id), changed: true)
            case .revoking, .revoked, .alreadyRevoked, .failed:
                return TransitionResult(record: record, changed: false)
            case .forgotten:
                throw StoreError.conflict(
                    id: id, state: .forgotten, message: "token \(id) was forgotten; there is nothing to revoke")
            }
        }
    }

    public func forget(id: String, note: String?, actor: Actor) async throws -> TransitionResult {
        let now = clock.now()
        return try await write { connection in
            let record = try await self.existing(connection, id)
            switch record.state {
            case .forgotten:
                return TransitionResult(record: record, changed: false)
            case .revoked, .alreadyRevoked:
                throw StoreError.conflict(
                    id: id, state: record.state, message: "token \(id) is already \(record.state.rawValue)")
            case .active, .revoking, .failed:
                let episode = record.state == .failed ? record.episode + 1 : record.episode
                let claimed = try await Self.one(
                    connection.query("SELECT lease_owner IS NOT NULL FROM tokens WHERE id = \(id)", logger: self.logger),
                    Bool.self) ?? false
                // lease_seq moves on: an outcome of the interrupted claim no longer matches.
                try await self.compareAndSet(
                    connection, id: id, from: record.state, to: .forgotten,
                    assignments: """
                        sealed = NULL, lease_owner = NULL, lease_seq = lease_seq + 1, next_attempt_at = NULL,
                        revocation_reason = 'forgotten', revocation_note = coalesce(nullif(?, ''), revocation_note),
                        episode = ?
                        """,
                    binds: [note ?? "", Int64(episode)])
                try await self.insertAudit(
                    connection, action: .forgotten, actor: actor, at: now,
                    AuditFields(tokenID: id, episode: episode, reason: note))
                return TransitionResult(
                    record: try await self.existing(connection, id), changed: true, interruptedClaim: claimed)
            }
        }
    }

    public func retry(id: String, actor: Actor, reason: String?) async throws -> TokenRecord {
        let now = clock.now()
        return try await write { connection in
            let record = try await self.existing(connection, id)
            guard record.state == .failed else {
                throw StoreError.conflict(
                    id: id, state: record.state,
                    message: "token \(id) is \(record.state.rawValue); only failed tokens can be retried")
            }
            try await self.reopen(
                connection, id: id, episode: record.episode, actor: actor, reason: reason, now: now, lease: nil)
            try await self.notifyWork(connection)
            return try await self.existing(connection, id)
        }
    }

    /// `failed → revoking`, `episode + 1`, attempts reset, audited as `retry` in the new episode. With `lease`,
    /// the scheduler claims it in the same step (lease owner, expiry, new fencing value).
    func reopen(
        _ connection: PostgresConnection, id: String, episode: Int, actor: Actor, reason: String?, now: Date,
        lease: (owner: String, until: Date)?
    ) async throws {
        if let lease {
            try await compareAndSet(
                connection, id: id, from: .failed, to: .revoking,
                assignments: """
                    attempts = 0, episode = episode + 1, next_attempt_at = ?, lease_owner = ?,
                    lease_seq = lease_seq + 1, revoked_at = NULL
                    """,
                binds: [lease.until.unixMillis, lease.owner])
        } else {
            try await compareAndSet(
                connection, id: id, from: .failed, to: .revoking,
                assignments: "attempts = 0, episode = episode + 1, next_attempt_at = ?, lease_owner = NULL, revoked_at = NULL",
                binds: [now.unixMillis])
        }
        try await insertAudit(
            connection, action: .retry, actor: actor, at: now,
            AuditFields(tokenID: id, episode: episode + 1, reason: reason))
    }

    /// Wakes idle instances (LISTEN tokend_work): one NOTIFY per transaction, only for work due now.
    func notifyWork(_ connection: PostgresConnection) async throws {
        try await connection.query("SELECT pg_notify('tokend_work', '')", logger: logger)
    }
}
