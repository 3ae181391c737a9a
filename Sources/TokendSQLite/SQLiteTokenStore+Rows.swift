import Foundation
import GRDB
import Synchronization
import TokendAudit
import TokendCore
import TokendStore

extension SQLiteTokenStore {
    static let recordColumns = """
        id, provider, account, owner, labels, state, fingerprint, issued_at, expires_at, last_renewed_at,
        registered_by_uid, attempts, next_attempt_at, last_error, revoked_at, revocation_reason,
        revocation_note, episode, quarantine, job_id, heartbeat_seconds, last_heartbeat_at, heartbeat_deadline
        """

    /// Decodes a row selected with ``recordColumns``. Undecodable values (an unknown provider, labels that are
    /// not JSON, a TEXT where the schema says INTEGER) surface in `quarantine`, so one bad row never stops a
    /// listing (anchors.md §6.2). Only a row without a readable `id` or `expires_at` throws: every listing orders
    /// and pages by them, so it cannot be placed.
    static func record(_ row: Row) throws(StoreError) -> TokenRecord {
        try record(ColumnReader(row))
    }

    /// As ``record(_:)``, from the current row of a stepped statement (listings).
    static func record(statement: OpaquePointer) throws(StoreError) -> TokenRecord {
        try record(ColumnReader(statement: statement))
    }

    private static func record(_ reader: ColumnReader) throws(StoreError) -> TokenRecord {
        // Columns by position (the order of `recordColumns`): name look-ups cost a lowercased compare each.
        var columns = reader
        let id = columns.requiredText(0, "id")
        let expiresAt = columns.requiredInteger(8, "expires_at")
        guard columns.problems.isEmpty else {
            throw .internalError("undecodable token row '\(id)': \(columns.problems.joined(separator: "; "))")
        }
        let provider = columns.required(ProviderKind.self, 1, "provider")
        let state = columns.required(TokenState.self, 5, "state")
        let labelsText = columns.requiredText(4, "labels")
        var labels: [String: String] = [:]
        if labelsText != "{}" && !labelsText.isEmpty {  // the common case skips the decoder
            if let data = labelsText.data(using: .utf8),
                let decoded = try? JSONDecoder().decode([String: String].self, from: data)
            {
                labels = decoded
            } else {
                columns.note("labels not decodable")
            }
        }
        let record = TokenRecord(
            id: id,
            provider: provider ?? .fogbugz,
            account: columns.requiredText(2, "account"),
            owner: columns.requiredText(3, "owner"),
            labels: labels,
            state: state ?? .active,
            fingerprint: columns.fingerprint(6, "fingerprint"),
            issuedAt: Date(unixMillis: columns.requiredInteger(7, "issued_at")),
            expiresAt: Date(unixMillis: expiresAt),
            lastRenewedAt: columns.integer(9, "last_renewed_at").map(Date.init(unixMillis:)),
            registeredByUID: UInt32(truncatingIfNeeded: columns.requiredInteger(10, "registered_by_uid")),
            attempts: Int(truncatingIfNeeded: columns.requiredInteger(11, "attempts")),
            nextAttemptAt: columns.integer(12, "next_attempt_at").map(Date.init(unixMillis:)),
            lastError: columns.text(13, "last_error"),
            revokedAt: columns.integer(14, "revoked_at").map(Date.init(unixMillis:)),
            revocationReason: columns.text(15, "revocation_reason").flatMap(RevocationReason.init(rawValue:)),
            revocationNote: columns.text(16, "revocation_note"),
            episode: Int(truncatingIfNeeded: columns.requiredInteger(17, "episode")),
            quarantine: columns.text(18, "quarantine"),
            jobID: columns.text(19, "job_id"),
            bound: boundLease(
                seconds: columns.integer(20, "heartbeat_seconds"), last: columns.integer(21, "last_heartbeat_at"),
                deadline: columns.integer(22, "heartbeat_deadline"))
        )
        guard !columns.problems.isEmpty else { return record }
        var quarantined = record
        quarantined.quarantine = ([record.quarantine].compactMap { $0 } + columns.problems).joined(separator: "; ")
        return quarantined
    }

    /// The lease of a bound token from its three columns (all set, or none for an ordinary token).
    static func boundLease(seconds: Int64?, last: Int64?, deadline: Int64?) -> BoundLease? {
        guard let seconds, let last, let deadline else { return nil }
        return BoundLease(
            heartbeatSeconds: Int(truncatingIfNeeded: seconds), lastHeartbeatAt: Date(unixMillis: last),
            deadline: Date(unixMillis: deadline))
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

    /// Off only in `tokend-bench`, to measure what the chain costs (the same run, with and without).
    public static let auditChainEnabled = Atomic<Bool>(true)

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
        guard auditChainEnabled.load(ordering: .relaxed) else {
            try db.cachedStatement(sql: """
                    INSERT INTO audit (at, token_id, episode, action, actor_uid, actor_pid, actor_role, actor_system,
                                       reason, provider_status, provider_detail, duration_ms, attempt, job_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """).execute(arguments: [
                    at.unixMillis, fields.tokenID, fields.episode, action.rawValue, uid, pid, role, system,
                    fields.reason, fields.providerStatus, fields.providerDetail, fields.durationMillis,
                    fields.attempt, fields.jobID,
                ])
            return
        }
        let cache = ChainHeadCache.current
        var head = cache?.head()
        while true {
            // The head is the last row, read inside this transaction (the one writer makes the order total)
            // unless this store's cache knows it.
            let known = try head ?? fetchChainHead(db)
            let row = ChainRow(
                id: known.id + 1, at: at.unixMillis, tokenID: fields.tokenID,
                episode: fields.episode.map(Int64.init), action: action.rawValue, actorUID: uid, actorPID: pid,
                actorRole: role, actorSystem: system, reason: fields.reason,
                providerStatus: fields.providerStatus.map(Int64.init), providerDetail: fields.providerDetail,
                durationMillis: fields.durationMillis, attempt: fields.attempt.map(Int64.init), jobID: fields.jobID)
            let hash = cache?.hash(row, prev: known.hash) ?? AuditChain.hash(row, prev: known.hash)
            do {
                try db.cachedStatement(sql: """
                        INSERT INTO audit (id, at, token_id, episode, action, actor_uid, actor_pid, actor_role, actor_system,
                                           reason, provider_status, provider_detail, duration_ms, attempt, job_id, prev_hash, hash)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """).execute(arguments: [
                        row.id, row.at, row.tokenID, row.episode, row.action, uid, pid, role, system,
                        row.reason, row.providerStatus, row.providerDetail, row.durationMillis, row.attempt, row.jobID,
                        Data(known.hash), Data(hash),
                    ])
            } catch let error as DatabaseError where head != nil && error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
                // Someone else appended since the cached head: read the real one and chain onto it.
                cache?.invalidate()
                head = nil
                continue
            }
            cache?.advance(to: .init(id: row.id, hash: hash), in: db)
            return
        }
    }

    /// The last audit row's id and hash (zero and the zero hash for an empty log).
    static func fetchChainHead(_ db: Database) throws -> ChainHeadCache.Head {
        let last = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1"))
        return .init(
            id: last?[0] as Int64? ?? 0, hash: (last?[1] as Data?).map { Array($0) } ?? AuditChain.zeroHash)
    }

    /// The columns ``auditEvent(_:)`` reads, in its order.
    static let auditColumns = """
        id, at, token_id, episode, action, actor_uid, actor_pid, actor_role, actor_system, reason, provider_status,
        provider_detail, duration_ms, attempt, job_id, prev_hash, hash
        """

    /// Decodes a row selected with ``auditColumns``. A value of the wrong storage class (SQLite does not enforce
    /// column types, so a damaged file can hold one) reads as nil, or 0 where the schema says NOT NULL, and is
    /// returned in `problems`: one bad event never stops an audit query (anchors.md §6.2).
    static func auditEvent(_ row: Row) -> (event: AuditEvent, problems: [String]) {
        var columns = ColumnReader(row)
        func int(_ value: Int64?) -> Int? { value.map { Int(truncatingIfNeeded: $0) } }
        let actor: Actor
        if let system = columns.text(8, "actor_system") {
            actor = .system(system)
        } else {
            actor = .caller(
                uid: UInt32(truncatingIfNeeded: columns.integer(5, "actor_uid") ?? 0),
                pid: Int32(truncatingIfNeeded: columns.integer(6, "actor_pid") ?? 0),
                role: columns.text(7, "actor_role").flatMap(Role.init(rawValue:)) ?? .client)
        }
        let event = AuditEvent(
            id: columns.requiredInteger(0, "id"),
            at: Date(unixMillis: columns.requiredInteger(1, "at")),
            tokenID: columns.text(2, "token_id"),
            episode: int(columns.integer(3, "episode")),
            action: columns.required(AuditAction.self, 4, "action") ?? .attempt,
            actor: actor,
            reason: columns.text(9, "reason"),
            providerStatus: int(columns.integer(10, "provider_status")),
            providerDetail: columns.text(11, "provider_detail"),
            durationMillis: columns.integer(12, "duration_ms"),
            attempt: int(columns.integer(13, "attempt")),
            jobID: columns.text(14, "job_id"),
            prevHash: (row[15] as Data?).map { Array($0) }, hash: (row[16] as Data?).map { Array($0) })
        return (event, columns.problems)
    }

    static func encodeLabels(_ labels: [String: String]) -> String {
        if labels.isEmpty { return "{}" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(labels)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
