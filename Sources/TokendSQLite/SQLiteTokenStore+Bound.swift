import Foundation
import GRDB
import TokendCore
import TokendStore

extension SQLiteTokenStore {
    /// What a heartbeat transaction decided; a missed deadline must commit its revocation before the caller hears
    /// the conflict, so it cannot be thrown from inside the transaction (that would roll it back).
    private enum HeartbeatOutcome: Sendable {
        case renewed(TokenRecord)
        case missed(TokenState)
    }

    public func heartbeat(tokenID id: String, ownerUID: UInt32, now: Date) async throws -> TokenRecord {
        let outcome = try await write { db -> HeartbeatOutcome in
            let record = try Self.ownedBound(db, id: id, ownerUID: ownerUID, verb: "heartbeat")
            guard record.state == .active else {
                throw StoreError.conflict(
                    id: id, state: record.state,
                    message: "token \(id) is \(record.state.rawValue); a heartbeat keeps only an active token alive")
            }
            if record.bound!.deadline <= now {
                try Self.startUnbound(db, record: record, now: now)
                return .missed(.revoking)
            }
            try Self.compareAndSet(
                db, id: id, from: .active, to: .active, assignments: "last_heartbeat_at = ?, heartbeat_deadline = ?",
                arguments: [now.unixMillis, now.unixMillis + Int64(record.bound!.heartbeatSeconds) * 1_000])
            guard let updated = try Self.fetchRecord(db, id: id) else { throw StoreError.notFound(id) }
            return .renewed(updated)
        }
        switch outcome {
        case .renewed(let record):
            return record
        case .missed(let state):
            throw StoreError.conflict(
                id: id, state: state,
                message: "token \(id) missed its heartbeat deadline; its revocation has started (reason unbound)")
        }
    }

    public func release(tokenID id: String, ownerUID: UInt32, note: String?, actor: Actor, now: Date) async throws
        -> TransitionResult
    {
        try await write { db in
            let record = try Self.ownedBound(db, id: id, ownerUID: ownerUID, verb: "release")
            switch record.state {
            case .active:
                try Self.compareAndSet(
                    db, id: id, from: .active, to: .revoking,
                    assignments: "revocation_reason = 'released', revocation_note = ?, next_attempt_at = ?",
                    arguments: [note, now.unixMillis])
                try Self.insertAudit(
                    db, action: .released, actor: actor, at: now,
                    AuditFields(tokenID: id, episode: record.episode, reason: note ?? RevocationReason.released.rawValue))
                guard let updated = try Self.fetchRecord(db, id: id) else { throw StoreError.notFound(id) }
                return TransitionResult(record: updated, changed: true)
            case .revoking, .revoked, .alreadyRevoked, .failed:
                return TransitionResult(record: record, changed: false)
            case .forgotten:
                throw StoreError.conflict(
                    id: id, state: .forgotten, message: "token \(id) was forgotten; there is nothing to release")
            }
        }
    }

    public func revokeUnbound(now: Date, limit: Int) async throws -> Int {
        guard limit > 0 else { return 0 }
        // A read first: nearly every pass finds nothing, and a read takes no write lock.
        let due = try await read { db in
            try Bool.fetchOne(
                db.cachedStatement(sql: """
                    SELECT EXISTS (SELECT 1 FROM tokens INDEXED BY tokens_heartbeat_due
                                   WHERE state = 'active' AND heartbeat_deadline IS NOT NULL AND heartbeat_deadline <= ?
                                     AND quarantine IS NULL)
                    """), arguments: [now.unixMillis]) ?? false
        }
        guard due else { return 0 }
        return try await write { db in
            let rows = try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT \(Self.recordColumns) FROM tokens INDEXED BY tokens_heartbeat_due
                    WHERE state = 'active' AND heartbeat_deadline IS NOT NULL AND heartbeat_deadline <= ?
                      AND quarantine IS NULL
                    ORDER BY heartbeat_deadline LIMIT ?
                    """), arguments: [now.unixMillis, limit])
            var moved = 0
            for row in rows {
                let record = try Self.record(row)
                guard record.bound != nil else { continue }
                try Self.startUnbound(db, record: record, now: now)
                moved += 1
            }
            return moved
        }
    }

    public func nextHeartbeatDeadline() async throws -> Date? {
        try await read { db in
            try Int64.fetchOne(
                db.cachedStatement(sql: """
                    SELECT min(heartbeat_deadline) FROM tokens INDEXED BY tokens_heartbeat_due
                    WHERE state = 'active' AND heartbeat_deadline IS NOT NULL AND quarantine IS NULL
                    """)
            ).map(Date.init(unixMillis:))
        }
    }

    /// The bound token `id` as its registrant sees it: another uid's token does not exist for them (404, like
    /// every client verb), and a token without a lease cannot take a heartbeat or a release (409).
    private static func ownedBound(_ db: Database, id: String, ownerUID: UInt32, verb: String) throws -> TokenRecord {
        guard let record = try fetchRecord(db, id: id), record.registeredByUID == ownerUID else {
            throw StoreError.notFound(id)
        }
        guard record.bound != nil else {
            throw StoreError.conflict(
                id: id, state: record.state,
                message: "token \(id) is not bound; only bound tokens take a \(verb) (use revoke to end its custody)")
        }
        return record
    }

    /// `active → revoking`, reason `unbound`, due at once, audited `heartbeat_missed` by the scheduler.
    private static func startUnbound(_ db: Database, record: TokenRecord, now: Date) throws {
        try compareAndSet(
            db, id: record.id, from: .active, to: .revoking,
            assignments: "revocation_reason = 'unbound', next_attempt_at = ?", arguments: [now.unixMillis])
        try insertAudit(
            db, action: .heartbeatMissed, actor: .system("scheduler"), at: now,
            AuditFields(tokenID: record.id, episode: record.episode, reason: record.bound!.missedReason))
    }
}
