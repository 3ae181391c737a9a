import Foundation
import PostgresNIO
import TokendCore
import TokendStore

extension PostgresTokenStore {
    /// Starts a bulk revocation: every live token matching `filter` moves to `revoking` (reason `bulk`), tagged
    /// with the job, with one `revoke_requested` audit row each, in one transaction.
    public func startBulkRevocation(filter: TokenFilter, reason: String?, actor: Actor, expectedCount: Int?)
        async throws -> BulkJob
    {
        let now = clock.now()
        let jobID = Identifier.make(prefix: "job_", now: now)
        var live = filter
        live.states = filter.states.isEmpty ? [.active, .revoking] : filter.states.filter(\.isLive)
        let filterText = String(describing: filter)
        let who = Self.actorColumns(actor)
        let liveFilter = live
        return try await write { connection in
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
            try await connection.query(
                """
                INSERT INTO jobs (id, created_at, filter, matched, reason, actor_uid)
                VALUES (\(jobID), \(now.unixMillis), \(filterText), \(Int64(matched)), \(reason), \(who.uid))
                """, logger: self.logger)
            try await self.insertAudit(
                connection, action: .bulkStarted, actor: actor, at: now,
                AuditFields(reason: reason.map { "\($0) (matched \(matched))" } ?? "matched \(matched)", jobID: jobID))
            // One statement marks the rows and writes their audit events (a data-modifying CTE), ordered by id.
            var mark = SQLBuilder()
            let markConditions = liveFilter.states.isEmpty ? ["false"] : Self.conditions(liveFilter, &mark)
            let note = mark.bind(reason)
            let job = mark.bind(jobID)
            let at = mark.bind(now.unixMillis)
            mark.sql = """
                WITH marked AS (
                    UPDATE tokens SET state = 'revoking', revocation_reason = 'bulk', job_id = \(job),
                        revocation_note = \(note), next_attempt_at = \(at)
                    WHERE \(markConditions.joined(separator: " AND ")) AND state = 'active'
                    RETURNING id, episode)
                INSERT INTO audit (at, token_id, episode, action, actor_uid, actor_pid, actor_role, actor_system,
                                   reason, job_id)
                SELECT \(at), id, episode, 'revoke_requested', \(mark.bind(who.uid)), \(mark.bind(who.pid)),
                       \(mark.bind(who.role)), \(mark.bind(who.system)), \(mark.bind(reason ?? RevocationReason.bulk.rawValue)),
                       \(job)
                FROM marked ORDER BY id
                """
            try await connection.query(mark.query, logger: self.logger)
            var tag = SQLBuilder()
            let tagConditions = liveFilter.states.isEmpty ? ["false"] : Self.conditions(liveFilter, &tag)
            tag.sql = "UPDATE tokens SET job_id = \(tag.bind(jobID)) WHERE \(tagConditions.joined(separator: " AND ")) AND state = 'revoking' AND job_id IS NULL"
            try await connection.query(tag.query, logger: self.logger)
            try await self.notifyWork(connection)
            guard let job = try await self.fetchJob(connection, id: jobID) else { throw StoreError.notFound(jobID) }
            return job
        }
    }

    public func job(id: String) async throws -> BulkJob? {
        try await read { connection in try await self.fetchJob(connection, id: id) }
    }

    func fetchJob(_ connection: PostgresConnection, id: String) async throws -> BulkJob? {
        var job: BulkJob?
        for try await (created, matched, reason) in try await connection.query(
            "SELECT created_at, matched, reason FROM jobs WHERE id = \(id)", logger: logger
        ).decode((Int64, Int64, String?).self) {
            job = BulkJob(
                id: id, createdAt: Date(unixMillis: created), matched: Int(matched), revoked: 0, alreadyRevoked: 0,
                failed: 0, forgotten: 0, pending: 0, reason: reason)
        }
        guard var job else { return nil }
        for try await (state, n) in try await connection.query(
            "SELECT state, count(*) FROM tokens WHERE job_id = \(id) GROUP BY state", logger: logger
        ).decode((String, Int64).self) {
            switch TokenState(rawValue: state) {
            case .revoked: job.revoked = Int(n)
            case .alreadyRevoked: job.alreadyRevoked = Int(n)
            case .failed: job.failed = Int(n)
            case .forgotten: job.forgotten = Int(n)
            case .revoking, .active: job.pending += Int(n)
            case nil: break
            }
        }
        return job
    }
}
