import Foundation
import Logging
import PostgresNIO
import TokendCore
import TokendStore

/// Audit rows collected while a transaction runs and inserted by one statement at its end.
///
/// The chain trigger takes the cluster-wide chain lock at a transaction's first audit row and PostgreSQL holds
/// it until commit, so every instance's audit-writing transactions run one after another from that point on.
/// Writing the rows last keeps the locked stretch to this one statement and the commit, instead of every
/// statement of, say, a group of outcomes; the rows keep their order (`WITH ORDINALITY … ORDER BY`), which is
/// the order the trigger numbers and hashes them in.
struct AuditBatch {
    private struct Row: Encodable {
        var at: Int64
        var token_id: String?
        var episode: Int64?
        var action: String
        var actor_uid: Int64?
        var actor_pid: Int64?
        var actor_role: String?
        var actor_system: String?
        var reason: String?
        var provider_status: Int64?
        var provider_detail: String?
        var duration_ms: Int64?
        var attempt: Int64?
        var job_id: String?
    }

    private var rows: [Row] = []

    mutating func append(action: AuditAction, actor: Actor, at: Date, _ fields: AuditFields) {
        let who = PostgresTokenStore.actorColumns(actor)
        rows.append(
            Row(
                at: at.unixMillis, token_id: fields.tokenID, episode: fields.episode.map(Int64.init),
                action: action.rawValue, actor_uid: who.uid, actor_pid: who.pid, actor_role: who.role,
                actor_system: who.system, reason: fields.reason, provider_status: fields.providerStatus.map(Int64.init),
                provider_detail: fields.providerDetail, duration_ms: fields.durationMillis,
                attempt: fields.attempt.map(Int64.init), job_id: fields.jobID))
    }

    /// Inserts the collected rows in the order they were appended (nothing when there are none).
    func insert(_ connection: PostgresConnection, logger: Logger) async throws {
        guard !rows.isEmpty else { return }
        let json = String(decoding: try JSONEncoder().encode(rows), as: UTF8.self)
        try await connection.query(
            """
            INSERT INTO audit (at, token_id, episode, action, actor_uid, actor_pid, actor_role, actor_system,
                               reason, provider_status, provider_detail, duration_ms, attempt, job_id)
            SELECT at, token_id, episode, action, actor_uid, actor_pid, actor_role, actor_system,
                   reason, provider_status, provider_detail, duration_ms, attempt, job_id
            FROM ROWS FROM (jsonb_to_recordset(\(json)::jsonb)
                AS (at bigint, token_id text, episode bigint, action text, actor_uid bigint, actor_pid bigint,
                    actor_role text, actor_system text, reason text, provider_status bigint, provider_detail text,
                    duration_ms bigint, attempt bigint, job_id text)) WITH ORDINALITY
                AS t(at, token_id, episode, action, actor_uid, actor_pid, actor_role, actor_system, reason,
                     provider_status, provider_detail, duration_ms, attempt, job_id, n)
            ORDER BY n
            """, logger: logger)
    }
}
