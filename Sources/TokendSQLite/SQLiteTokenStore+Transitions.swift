import Foundation
import GRDB
import TokendCore
import TokendStore

extension SQLiteTokenStore {
    /// Compare-and-set: moves `id` from `from` to `to` (which must be a legal transition) setting `assignments`.
    /// Throws ``StoreError/conflict(id:state:message:)`` if the row is no longer in `from`.
    static func compareAndSet(
        _ db: Database, id: String, from: TokenState, to: TokenState, assignments: String = "",
        arguments: StatementArguments = []
    ) throws {
        precondition(from == to || from.canTransition(to: to), "illegal transition \(from) → \(to)")
        let extra = assignments.isEmpty ? "" : ", " + assignments
        var all: StatementArguments = [to.rawValue]
        _ = all.append(contentsOf: arguments)
        _ = all.append(contentsOf: [id, from.rawValue])
        try db.cachedStatement(sql: "UPDATE tokens SET state = ?\(extra) WHERE id = ? AND state = ?").execute(arguments: all)
        if db.changesCount != 1 {
            let current = try String.fetchOne(db.cachedStatement(sql: "SELECT state FROM tokens WHERE id = ?"), arguments: [id])
            guard let current, let state = TokenState(rawValue: current) else { throw StoreError.notFound(id) }
            throw StoreError.conflict(
                id: id, state: state, message: "token \(id) is \(state.rawValue), not \(from.rawValue)")
        }
    }

    private func existing(_ db: Database, _ id: String) throws -> TokenRecord {
        guard let record = try Self.fetchRecord(db, id: id) else { throw StoreError.notFound(id) }
        return record
    }

    /// Sets a new expiry on an `active` token. 409 (conflict) for any other state.
    public func renew(id: String, expiresAt: Date, actor: Actor, reason: String?) async throws -> TokenRecord {
        let now = clock.now()
        return try await write { db in
            let record = try self.existing(db, id)
            guard record.state == .active else {
                throw StoreError.conflict(
                    id: id, state: record.state, message: "token \(id) is \(record.state.rawValue); only active tokens can be renewed")
            }
            try Self.compareAndSet(
                db, id: id, from: .active, to: .active, assignments: "expires_at = ?, last_renewed_at = ?",
                arguments: [expiresAt.unixMillis, now.unixMillis])
            try Self.insertAudit(
                db, action: .renewed, actor: actor, at: now,
                AuditFields(tokenID: id, episode: record.episode, reason: reason))
            return try self.existing(db, id)
        }
    }

    /// Queues the provider logoff: `active → revoking`, due at once. Idempotent for tokens already revoking or
    /// revoked; a `failed` token is reported as it is (use retry); a `forgotten` one is a conflict.
    public func requestRevoke(
        id: String, reason: RevocationReason, note: String?, actor: Actor, jobID: String?
    ) async throws -> TransitionResult {
        let now = clock.now()
        return try await write { db in
            let record = try self.existing(db, id)
            switch record.state {
            case .active:
                try Self.compareAndSet(
                    db, id: id, from: .active, to: .revoking,
                    assignments: "revocation_reason = ?, revocation_note = ?, next_attempt_at = ?, job_id = ?",
                    arguments: [reason.rawValue, note, now.unixMillis, jobID])
                try Self.insertAudit(
                    db, action: .revokeRequested, actor: actor, at: now,
                    AuditFields(
                        tokenID: id, episode: record.episode, reason: note ?? reason.rawValue, jobID: jobID))
                return TransitionResult(record: try self.existing(db, id), changed: true)
            case .revoking, .revoked, .alreadyRevoked, .failed:
                return TransitionResult(record: record, changed: false)
            case .forgotten:
                throw StoreError.conflict(
                    id: id, state: .forgotten, message: "token \(id) was forgotten; there is nothing to revoke")
            }
        }
    }

    /// Drops a token from custody without calling the provider; erases the sealed bytes. When the result says
    /// ``TransitionResult/interruptedClaim``, tell the engine (`RevocationControl.forgotten(id:)`) so that a
    /// claim of the token that has not started its call yet is dropped.
    public func forget(id: String, note: String?, actor: Actor) async throws -> TransitionResult {
        let now = clock.now()
        return try await write { db in
            let record = try self.existing(db, id)
            switch record.state {
            case .forgotten:
                return TransitionResult(record: record, changed: false)
            case .revoked, .alreadyRevoked:
                throw StoreError.conflict(
                    id: id, state: record.state, message: "token \(id) is already \(record.state.rawValue)")
            case .active, .revoking, .failed:
                // A failed token's episode already ended with its `failed` event; forgetting it opens a new
                // episode, so that each episode keeps at most one terminal event (audit_one_terminal).
                let episode = record.state == .failed ? record.episode + 1 : record.episode
                let claimed = try Bool.fetchOne(
                    db.cachedStatement(sql: "SELECT in_flight FROM tokens WHERE id = ?"), arguments: [id]) ?? false
                try Self.compareAndSet(
                    db, id: id, from: record.state, to: .forgotten,
                    assignments: """
                        sealed = NULL, in_flight = 0, next_attempt_at = NULL, revocation_reason = 'forgotten',
                        revocation_note = coalesce(?, revocation_note), episode = ?
                        """,
                    arguments: [note, episode])
                try Self.insertAudit(
                    db, action: .forgotten, actor: actor, at: now,
                    AuditFields(tokenID: id, episode: episode, reason: note))
                return TransitionResult(record: try self.existing(db, id), changed: true, interruptedClaim: claimed)
            }
        }
    }

    /// Puts a `failed` token back into `revoking` with attempts reset, opening a new custody episode.
    public func retry(id: String, actor: Actor, reason: String?) async throws -> TokenRecord {
        let now = clock.now()
        return try await write { db in
            let record = try self.existing(db, id)
            guard record.state == .failed else {
                throw StoreError.conflict(
                    id: id, state: record.state, message: "token \(id) is \(record.state.rawValue); only failed tokens can be retried")
            }
            try Self.reopen(
                db, id: id, episode: record.episode, actor: actor, reason: reason, now: now, inFlight: false)
            return try self.existing(db, id)
        }
    }

    /// `failed → revoking`, `episode + 1`, attempts reset, audited as `retry` in the new episode.
    static func reopen(
        _ db: Database, id: String, episode: Int, actor: Actor, reason: String?, now: Date, inFlight: Bool
    ) throws {
        try compareAndSet(
            db, id: id, from: .failed, to: .revoking,
            assignments: "attempts = 0, episode = episode + 1, next_attempt_at = ?, in_flight = ?, revoked_at = NULL",
            arguments: [now.unixMillis, inFlight ? 1 : 0])
        try insertAudit(
            db, action: .retry, actor: actor, at: now,
            AuditFields(tokenID: id, episode: episode + 1, reason: reason))
    }
}
