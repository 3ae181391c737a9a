import Foundation
import GRDB
import TokendCore
import TokendStore

extension SQLiteTokenStore {
    /// Starts a bulk revocation (see ``TokenStore/startBulkRevocation(filter:reason:actor:expectedCount:)``):
    /// one transaction stores the job (its filter as JSON, so marking resumes after a restart) with
    /// `bulk_started`; the first chunk is marked before returning.
    public func startBulkRevocation(
        filter: TokenFilter, reason: String?, actor: Actor, expectedCount: Int?
    ) async throws -> BulkJob {
        let now = clock.now()
        let jobID = Identifier.make(prefix: "job_", now: now)
        var liveFilter = filter
        liveFilter.states = filter.states.isEmpty ? [.active, .revoking] : filter.states.filter(\.isLive)
        let filterText = String(describing: filter)
        let live = liveFilter
        let filterJSON = String(decoding: try JSONEncoder().encode(filter), as: UTF8.self)
        _ = try await write { db in
            // No live state asked for: nothing can match, and the filter's other arguments have no placeholders.
            let (conditions, arguments) = live.states.isEmpty ? ([], []) : Self.sqlConditions(live)
            let whereClause = live.states.isEmpty ? "WHERE 0" : "WHERE " + conditions.joined(separator: " AND ")
            let matched = try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM tokens \(whereClause)"), arguments: arguments) ?? 0
            if let expectedCount, expectedCount != matched {
                throw StoreError.conflict(
                    id: jobID, state: .active,
                    message: "confirmation mismatch: \(matched) tokens match now, confirm said \(expectedCount)")
            }
            var jobArguments: StatementArguments = [jobID, now.unixMillis, filterText, matched, reason]
            _ = jobArguments.append(contentsOf: Self.actorArguments(actor))
            _ = jobArguments.append(contentsOf: [filterJSON, live.states.contains(.active) && matched > 0 ? 1 : 0])
            try db.cachedStatement(sql: """
                INSERT INTO jobs (id, created_at, filter, matched, reason, actor_uid, actor_pid, actor_role,
                                  actor_system, filter_json, marking, marked)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
                """).execute(arguments: jobArguments)
            try Self.insertAudit(
                db, action: .bulkStarted, actor: actor, at: now,
                AuditFields(reason: reason.map { "\($0) (matched \(matched))" } ?? "matched \(matched)", jobID: jobID))
            return matched
        }
        _ = try await continueBulkJobs(limit: BulkJob.markChunk)
        guard let job = try await job(id: jobID) else { throw StoreError.notFound(jobID) }
        return job
    }

    /// Marks the next chunk of the oldest job still marking: the next `limit` tokens the job's filter matches
    /// (live, registered before the job), in `(expires_at, id)` order after the job's stored cursor; those still
    /// `active` move to `revoking` (reason `bulk`), each a compare-and-set plus `revoke_requested`. A chunk reads
    /// at most `limit` index entries whatever the job's size. At the end of the walk one more pass from the
    /// start picks up tokens a renewal moved behind the cursor; then marking ends.
    public func continueBulkJobs(limit: Int) async throws -> Int {
        let now = clock.now()
        // The scheduler asks every pass: a read through the (nearly always empty) partial index keeps the
        // writer free when no job is marking.
        let marking = try await read { db in
            try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM jobs WHERE marking = 1)")) ?? false
        }
        guard marking else { return 0 }
        return try await write { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: """
                    SELECT id, created_at, reason, actor_uid, actor_pid, actor_role, actor_system, filter_json,
                           mark_after_at, mark_after_id, mark_pass
                    FROM jobs WHERE marking = 1 ORDER BY created_at, id LIMIT 1
                    """))
            else { return 0 }
            let jobID: String = row["id"]
            let createdAt: Int64 = row["created_at"]
            let reason: String? = row["reason"]
            let json: String? = row["filter_json"]
            guard let json, var filter = try? JSONDecoder().decode(TokenFilter.self, from: Data(json.utf8)) else {
                // A job from before resumable marking, or a filter this binary cannot read: nothing more to mark.
                try db.cachedStatement(sql: "UPDATE jobs SET marking = 0 WHERE id = ?").execute(arguments: [jobID])
                return 1
            }
            filter.states = filter.states.isEmpty ? [.active, .revoking] : filter.states.filter(\.isLive)
            let cutoff = Date(unixMillis: createdAt + 1)
            filter.issuedBefore = filter.issuedBefore.map { min($0, cutoff) } ?? cutoff
            var (conditions, arguments) = Self.sqlConditions(filter)
            let afterAt = row["mark_after_at"] as Int64?
            let afterID = row["mark_after_id"] as String?
            if let afterAt, let afterID {
                conditions.append("(expires_at, id) > (?, ?)")
                _ = arguments.append(contentsOf: [afterAt, afterID])
            }
            _ = arguments.append(contentsOf: [limit])
            let scanned = try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT id, expires_at, state FROM tokens WHERE \(conditions.joined(separator: " AND "))
                    ORDER BY expires_at, id LIMIT ?
                    """),
                arguments: arguments)
            let actor: Actor =
                if let system = row["actor_system"] as String? {
                    .system(system)
                } else {
                    .caller(
                        uid: UInt32(truncatingIfNeeded: row["actor_uid"] as Int64? ?? 0),
                        pid: Int32(truncatingIfNeeded: row["actor_pid"] as Int64? ?? 0),
                        role: (row["actor_role"] as String?).flatMap(Role.init(rawValue:)) ?? .operator)
                }
            let update = try db.cachedStatement(sql: """
                UPDATE tokens SET state = 'revoking', revocation_reason = 'bulk', job_id = ?, revocation_note = ?,
                    next_attempt_at = ?
                WHERE id = ? AND state = 'active'
                RETURNING episode
                """)
            var marked = 0
            for token in scanned where (token["state"] as String?) == TokenState.active.rawValue {
                let id: String = token["id"]
                guard let episode = try Int.fetchOne(update, arguments: [jobID, reason, now.unixMillis, id]) else { continue }
                try Self.insertAudit(
                    db, action: .revokeRequested, actor: actor, at: now,
                    AuditFields(tokenID: id, episode: episode, reason: reason ?? RevocationReason.bulk.rawValue, jobID: jobID))
                marked += 1
            }
            let pass: Int = row["mark_pass"] ?? 0
            let walkEnded = scanned.count < limit
            // A walk that began at the start and ended in one chunk saw everything at once: no final pass.
            let finished = walkEnded && (pass >= 1 || afterID == nil)
            let last = walkEnded ? nil : scanned.last
            try db.cachedStatement(sql: """
                    UPDATE jobs SET marked = marked + ?, marking = ?, mark_pass = ?, mark_after_at = ?, mark_after_id = ?
                    WHERE id = ?
                    """)
                .execute(arguments: [
                    marked, finished ? 0 : 1, walkEnded ? pass + 1 : pass,
                    last.map { $0["expires_at"] as Int64 }, last.map { $0["id"] as String }, jobID,
                ])
            return max(scanned.count, 1)
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
        job.marking = (row["marking"] as Int?) == 1
        let marked: Int? = row["marked"]
        var live = 0
        for count in try Row.fetchAll(db.cachedStatement(sql: "SELECT state, count(*) AS n FROM tokens WHERE job_id = ? GROUP BY state"), arguments: [id])
        {
            let n: Int = count["n"]
            switch TokenState(rawValue: count["state"]) {
            case .revoked: job.revoked = n
            case .alreadyRevoked: job.alreadyRevoked = n
            case .failed: job.failed = n
            case .forgotten: job.forgotten = n
            case .revoking, .active: live += n
            case nil: break
            }
        }
        job.settle(marked: marked, taggedLive: live)
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
