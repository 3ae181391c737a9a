import Foundation
import PostgresNIO
import TokendCore
import TokendStore

extension PostgresTokenStore {
    /// Starts a bulk revocation: one transaction stores the job (filter as JSON, so that any instance can
    /// resume its marking) with `bulk_started`; the first chunk is marked before returning, the rest by
    /// ``continueBulkJobs(limit:)`` on whichever instance runs it.
    public func startBulkRevocation(filter: TokenFilter, reason: String?, actor: Actor, expectedCount: Int?)
        async throws -> BulkJob
    {
        let now = clock.now()
        let jobID = Identifier.make(prefix: "job_", now: now)
        var live = filter
        live.states = filter.states.isEmpty ? [.active, .revoking] : filter.states.filter(\.isLive)
        let filterText = String(describing: filter)
        let filterJSON = String(decoding: try JSONEncoder().encode(filter), as: UTF8.self)
        let who = Self.actorColumns(actor)
        let liveFilter = live
        try await write { connection in
            var count = SQLBuilder()
            let conditions = liveFilter.states.isEmpty ? ["false"] : Self.conditions(liveFilter, &count)
            let whereClause = "WHERE " + conditions.joined(separator: " AND ")
            count.sql = "SELECT count(*) FROM tokens \(whereClause)"
            let matched = Int(try await Self.one(connection.query(count.query, logger: self.logger), Int64.self) ?? 0)
            if let expectedCount, expectedCount != matched {
                throw StoreError.conflict(
                    id: jobID, state: .active,
                    message: "confirmation mismatch: \(matched) tokens match now, confirm said \(expectedCount)")
            }
            let marking = liveFilter.states.contains(.active) && matched > 0
            try await connection.query(
                """
                INSERT INTO jobs (id, created_at, filter, matched, reason, actor_uid, actor_pid, actor_role,
                                  actor_system, filter_json, marking, marked)
                VALUES (\(jobID), \(now.unixMillis), \(filterText), \(Int64(matched)), \(reason), \(who.uid),
                        \(who.pid), \(who.role), \(who.system), \(filterJSON), \(marking), 0)
                """, logger: self.logger)
            try await self.insertAudit(
                connection, action: .bulkStarted, actor: actor, at: now,
                AuditFields(reason: reason.map { "\($0) (matched \(matched))" } ?? "matched \(matched)", jobID: jobID))
        }
        _ = try await continueBulkJobs(limit: BulkJob.markChunk)
        guard let job = try await job(id: jobID) else { throw StoreError.notFound(jobID) }
        return job
    }

    /// Marks the next chunk of the oldest job still marking (the job row locked for the transaction, so two
    /// instances never mark the same job at once; `SKIP LOCKED` lets another instance take the next job).
    public func continueBulkJobs(limit: Int) async throws -> Int {
        let now = clock.now()
        // Every instance asks every pass: a read keeps the write transaction (and its lock) for when a job is
        // marking.
        let marking = try await read { connection in
            try await Self.one(
                connection.query("SELECT EXISTS (SELECT 1 FROM jobs WHERE marking)", logger: self.logger), Bool.self)
                ?? false
        }
        guard marking else { return 0 }
        return try await write { connection in
            var found: (String, Int64, String?, Int64?, Int64?, String?, String?, String?)?
            var cursor: (at: Int64?, id: String?, pass: Int32) = (nil, nil, 0)
            for try await row in try await connection.query(
                """
                SELECT id, created_at, reason, actor_uid, actor_pid, actor_role, actor_system, filter_json,
                       mark_after_at, mark_after_id, mark_pass
                FROM jobs WHERE marking ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED
                """, logger: self.logger
            ).decode((String, Int64, String?, Int64?, Int64?, String?, String?, String?, Int64?, String?, Int32).self) {
                found = (row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7)
                cursor = (row.8, row.9, row.10)
            }
            guard let (jobID, createdAt, reason, uid, pid, role, system, json) = found else { return 0 }
            guard let json, var filter = try? JSONDecoder().decode(TokenFilter.self, from: Data(json.utf8)) else {
                try await connection.query("UPDATE jobs SET marking = false WHERE id = \(jobID)", logger: self.logger)
                return 1
            }
            filter.states = filter.states.isEmpty ? [.active, .revoking] : filter.states.filter(\.isLive)
            let cutoff = Date(unixMillis: createdAt + 1)
            filter.issuedBefore = filter.issuedBefore.map { min($0, cutoff) } ?? cutoff
            var mark = SQLBuilder()
            var conditions = Self.conditions(filter, &mark)
            if let afterAt = cursor.at, let afterID = cursor.id {
                conditions.append("(expires_at, id) > (\(mark.bind(afterAt)), \(mark.bind(afterID)))")
            }
            let job = mark.bind(jobID)
            let at = mark.bind(now.unixMillis)
            // One statement per chunk: the next `limit` matching tokens after the job's cursor (so a chunk reads
            // at most `limit` index entries), the active ones among them locked (SKIP LOCKED: a row another
            // instance holds is left for the final pass), the compare-and-set, and their audit rows in id order.
            mark.sql = """
                WITH scanned AS (
                    SELECT id, expires_at, state FROM tokens WHERE \(conditions.joined(separator: " AND "))
                    ORDER BY expires_at, id LIMIT \(mark.bind(Int64(limit)))),
                candidates AS (
                    SELECT id FROM tokens WHERE id IN (SELECT id FROM scanned WHERE state = 'active')
                    FOR UPDATE SKIP LOCKED),
                marked AS (
                    UPDATE tokens t SET state = 'revoking', revocation_reason = 'bulk', job_id = \(job),
                        revocation_note = \(mark.bind(reason)), next_attempt_at = \(at)
                    FROM candidates c WHERE t.id = c.id AND t.state = 'active'
                    RETURNING t.id, t.episode),
                audited AS (
                    INSERT INTO audit (at, token_id, episode, action, actor_uid, actor_pid, actor_role, actor_system,
                                       reason, job_id)
                    SELECT \(at), id, episode, 'revoke_requested', \(mark.bind(uid)), \(mark.bind(pid)),
                           \(mark.bind(role)), \(mark.bind(system)),
                           \(mark.bind(reason ?? RevocationReason.bulk.rawValue)), \(job)
                    FROM marked ORDER BY id
                    RETURNING 1)
                SELECT (SELECT count(*) FROM scanned), (SELECT count(*) FROM audited),
                       last.expires_at, last.id
                FROM (SELECT 1) one
                LEFT JOIN (SELECT expires_at, id FROM scanned ORDER BY expires_at DESC, id DESC LIMIT 1) last ON true
                """
            var seen: Int64 = 0
            var marked: Int64 = 0
            var last: (Int64?, String?) = (nil, nil)
            for try await (s, m, at, id) in try await connection.query(mark.query, logger: self.logger)
                .decode((Int64, Int64, Int64?, String?).self)
            {
                seen = s
                marked = m
                last = (at, id)
            }
            let walkEnded = seen < Int64(limit)
            // A walk that began at the start and ended in one chunk saw everything at once: no final pass.
            let finished = walkEnded && (cursor.pass >= 1 || cursor.id == nil)
            let next: (Int64?, String?) = walkEnded ? (nil, nil) : last
            try await connection.query(
                """
                UPDATE jobs SET marked = marked + \(marked), marking = \(!finished),
                    mark_pass = \(walkEnded ? cursor.pass + 1 : cursor.pass), mark_after_at = \(next.0),
                    mark_after_id = \(next.1)
                WHERE id = \(jobID)
                """,
                logger: self.logger)
            if marked > 0 { try await self.notifyWork(connection) }
            return max(Int(seen), 1)
        }
    }

    public func job(id: String) async throws -> BulkJob? {
        try await read { connection in try await self.fetchJob(connection, id: id) }
    }

    func fetchJob(_ connection: PostgresConnection, id: String) async throws -> BulkJob? {
        var job: BulkJob?
        var marked: Int?
        for try await (created, matched, reason, marking, markedCount) in try await connection.query(
            "SELECT created_at, matched, reason, marking, marked FROM jobs WHERE id = \(id)", logger: logger
        ).decode((Int64, Int64, String?, Bool, Int64?).self) {
            job = BulkJob(
                id: id, createdAt: Date(unixMillis: created), matched: Int(matched), revoked: 0, alreadyRevoked: 0,
                failed: 0, forgotten: 0, pending: 0, reason: reason)
            job?.marking = marking
            marked = markedCount.map(Int.init)
        }
        var live = 0
        guard var job else { return nil }
        for try await (state, n) in try await connection.query(
            "SELECT state, count(*) FROM tokens WHERE job_id = \(id) GROUP BY state", logger: logger
        ).decode((String, Int64).self) {
            switch TokenState(rawValue: state) {
            case .revoked: job.revoked = Int(n)
            case .alreadyRevoked: job.alreadyRevoked = Int(n)
            case .failed: job.failed = Int(n)
            case .forgotten: job.forgotten = Int(n)
            case .revoking, .active: live += Int(n)
            case nil: break
            }
        }
        job.settle(marked: marked, taggedLive: live)
        return job
    }
}
