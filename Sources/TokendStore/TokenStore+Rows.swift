import Foundation
import GRDB
import TokendCore

extension TokenStore {
    static let recordColumns = """
        id, provider, account, owner, labels, state, fingerprint, issued_at, expires_at, last_renewed_at,
        registered_by_uid, attempts, next_attempt_at, last_error, revoked_at, revocation_reason,
        revocation_note, episode, quarantine, job_id
        """

    /// Decodes a row selected with ``recordColumns``. Undecodable values surface in `quarantine`, so one bad
    /// row never stops a listing (anchors.md §6.2).
    static func record(_ row: Row) -> TokenRecord {
        // Columns by position (the order of `recordColumns`): name look-ups cost a lowercased compare each.
        var problems: [String] = []
        let providerText: String = row[1] ?? ""
        let stateText: String = row[5] ?? ""
        let labelsText: String = row[4] ?? "{}"
        var labels: [String: String] = [:]
        if labelsText != "{}" {  // the common case skips the decoder
            if let data = labelsText.data(using: .utf8),
                let decoded = try? JSONDecoder().decode([String: String].self, from: data)
            {
                labels = decoded
            } else {
                problems.append("labels not decodable")
            }
        }
        let provider = ProviderKind(rawValue: providerText)
        if provider == nil { problems.append("unknown provider '\(providerText)'") }
        let state = TokenState(rawValue: stateText)
        if state == nil { problems.append("unknown state '\(stateText)'") }
        let reasonText: String? = row[15]
        var quarantine: String? = row[18]
        if !problems.isEmpty {
            quarantine = ([quarantine].compactMap { $0 } + problems).joined(separator: "; ")
        }
        return TokenRecord(
            id: row[0],
            provider: provider ?? .fogbugz,
            account: row[2],
            owner: row[3],
            labels: labels,
            state: state ?? .active,
            fingerprint: row[6],
            issuedAt: Date(unixMillis: row[7]),
            expiresAt: Date(unixMillis: row[8]),
            lastRenewedAt: (row[9] as Int64?).map(Date.init(unixMillis:)),
            registeredByUID: UInt32(truncatingIfNeeded: row[10] as Int64),
            attempts: row[11],
            nextAttemptAt: (row[12] as Int64?).map(Date.init(unixMillis:)),
            lastError: row[13],
            revokedAt: (row[14] as Int64?).map(Date.init(unixMillis:)),
            revocationReason: reasonText.flatMap(RevocationReason.init(rawValue:)),
            revocationNote: row[16],
            episode: row[17],
            quarantine: quarantine,
            jobID: row[19]
        )
    }

    static func fetchRecord(_ db: Database, id: String) throws -> TokenRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(recordColumns) FROM tokens WHERE id = ?"), arguments: [id])
            .map(record)
    }

    /// What an audit insert needs beyond the action.
    struct AuditFields {
        var tokenID: String?
        var episode: Int?
        var reason: String?
        var providerStatus: Int?
        var providerDetail: String?
        var durationMillis: Int64?
        var attempt: Int?
        var jobID: String?
    }

    static func insertAudit(
        _ db: Database, action: AuditAction, actor: Actor, at: Date, _ fields: AuditFields
    ) throws {
        var uid: Int64?
        var pid: Int64?
        var role: String?
        var system: String?
        switch actor {
        case .caller(let u, let p, let r):
            uid = Int64(u)
            pid = Int64(p)
            role = r.rawValue
        case .system(let name):
            system = name
        }
        try db.cachedStatement(sql: """
                INSERT INTO audit (at, token_id, episode, action, actor_uid, actor_pid, actor_role, actor_system,
                                   reason, provider_status, provider_detail, duration_ms, attempt, job_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [
                at.unixMillis, fields.tokenID, fields.episode, action.rawValue, uid, pid, role, system,
                fields.reason, fields.providerStatus, fields.providerDetail, fields.durationMillis,
                fields.attempt, fields.jobID,
            ])
    }

    static func auditEvent(_ row: Row) -> AuditEvent {
        let actor: Actor
        if let system: String = row["actor_system"] {
            actor = .system(system)
        } else {
            actor = .caller(
                uid: UInt32(truncatingIfNeeded: (row["actor_uid"] as Int64?) ?? 0),
                pid: Int32(truncatingIfNeeded: (row["actor_pid"] as Int64?) ?? 0),
                role: Role(rawValue: (row["actor_role"] as String?) ?? "") ?? .client)
        }
        return AuditEvent(
            id: row["id"],
            at: Date(unixMillis: row["at"]),
            tokenID: row["token_id"],
            episode: row["episode"],
            action: AuditAction(rawValue: row["action"]) ?? .attempt,
            actor: actor,
            reason: row["reason"],
            providerStatus: row["provider_status"],
            providerDetail: row["provider_detail"],
            durationMillis: row["duration_ms"],
            attempt: row["attempt"],
            jobID: row["job_id"])
    }

    static func encodeLabels(_ labels: [String: String]) -> String {
        if labels.isEmpty { return "{}" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(labels)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
