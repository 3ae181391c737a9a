import Foundation
import GRDB
import TokendCore
import TokendStore

extension SQLiteTokenStore {
    /// Starts a bulk revocation: every *live* token matching `filter` moves to `revoking` with reason `bulk`,
    /// tagged with the job id, in one set-based transaction (audit `bulk_started` plus one `revoke_requested` per
    /// token). Returns the job; `expectedCount`, when given, must equal the number matched.
    public func startBulkRevocation(
        filter: TokenFilter, reason: String?, actor: Actor, expectedCount: Int?
    ) async throws -> BulkJob {
        let now = clock.now()
        let jobID = Identifier.make(prefix: "job_", now: now)
        var liveFilter = filter
        liveFilter.states = filter.states.isEmpty ? [.active, .revoking] : filter.states.filter(\.isLive)
        let filterText = String(describing: filter)
        let live = liveFilter
        return try await write { db in
            // No live state asked for: nothing can match, and the filter's other arguments have no placeholders.
            let (conditions, arguments) = live.states.isEmpty ? ([], []) : Self.sqlConditions(live)
            let whereClause = live.states.isEmpty ? "WHERE 0" : "WHERE " + conditions.joined(separator: " AND ")
            let matched = try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM tokens \(whereClause)"), arguments: arguments) ?? 0
            if let expectedCount, expectedCount != matched {
                throw StoreError.conflict(
                    id: jobID, state: .active,
                    message: "confirmation mismatch: \(matched) tokens match now, confirm said \(expectedCount)")
            }
            try db.cachedStatement(sql: "INSERT INTO jobs (id, created_at, filter, matched, reason, actor_uid) VALUES (?, ?, ?, ?, ?, ?)").execute(arguments: [jobID, now.unixMillis, filterText, matched, reason, Self.uid(of: actor)])
            try Self.insertAudit(
                db, action: .bulkStarted, actor: actor, at: now,
                AuditFields(reason: reason.map { "\($0) (matched \(matched))" } ?? "matched \(matched)", jobID: jobID))
            var auditArguments: StatementArguments = [now.unixMillis]
            _ = auditArguments.append(contentsOf: Self.actorArguments(actor))
            _ = auditArguments.append(contentsOf: [reason ?? RevocationReason.bulk.rawValue, jobID])
            _ = auditArguments.append(contentsOf: arguments)
            try db.cachedStatement(sql: """
                    INSERT INTO audit (at, token_id, episode, action, actor_uid, actor_pid, actor_role, actor_system,
                                       reason, job_id)
                    SELECT ?, id, episode, 'revoke_requested', ?, ?, ?, ?, ?, ? FROM tokens
                    \(whereClause) AND state = 'active'
                    """).execute(arguments: auditArguments)
            var updateArguments: StatementArguments = [jobID, reason, now.unixMillis]
            _ = updateArguments.append(contentsOf: arguments)
            try db.cachedStatement(sql: """
                    UPDATE tokens SET state = 'revoking', revocation_reason = 'bulk', job_id = ?,
                        revocation_note = ?, next_attempt_at = ?
                    \(whereClause) AND state = 'active'
                    """).execute(arguments: updateArguments)
            var tagArguments: StatementArguments = [jobID]
            _ = tagArguments.append(contentsOf: arguments)
            try db.cachedStatement(sql: "UPDATE tokens SET job_id = ? \(whereClause) AND state = 'revoking' AND job_id IS NULL").execute(arguments: tagArguments)
            guard let job = try Self.fetchJob(db, id: jobID) else { throw StoreError.notFound(jobID) }
            return job
        }
    }

    /// A job and its live progress.
    public func job(id: String) async throws -> BulkJob? {
        try await read { db in try Self.fetchJob(db, id: id) }
    }

    static func fetchJob(_ db: Database, id: String) throws -> BulkJob? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM jobs WHERE id = ?"), arguments: [id]) else {
            return nil
        }
        var job = BulkJob(
            id: id, createdAt: Date(unixMillis: row["created_at"]), matched: row["matched"], revoked: 0,
            alreadyRevoked: 0, failed: 0, forgotten: 0, pending: 0, reason: row["reason"])
        for count in try Row.fetchAll(db.cachedStatement(sql: "SELECT state, count(*) AS n FROM tokens WHERE job_id = ? GROUP BY state"), arguments: [id])
        {
            let n: Int = count["n"]
            switch TokenState(rawValue: count["state"]) {
            case .revoked: job.revoked = n
            case .alreadyRevoked: job.alreadyRevoked = n
            case .failed: job.failed = n
            case .forgotten: job.forgotten = n
            case .revoking, .active: job.pending += n
            case nil: break
            }
        }
        return job
    }

    static func uid(of actor: Actor) -> Int64? {
        if case .caller(let uid, _, _) = actor { return Int64(uid) }
        return nil
    }

    static func actorArguments(_ actor: Actor) -> StatementArguments {
        switch actor {
        case .caller(let uid, let pid, let role): [Int64(uid), Int64(pid), role.rawValue, nil as String?]
        case .system(let name): [nil as Int64?, nil as Int64?, nil as String?, name]
        }
    }
}
