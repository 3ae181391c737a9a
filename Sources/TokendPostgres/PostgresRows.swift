import Foundation
import Logging
import PostgresNIO
import TokendCore
import TokendStore

/// What an audit insert needs beyond the action.
struct AuditFields: Sendable {
    var tokenID: String?
    var episode: Int?
    var reason: String?
    var providerStatus: Int?
    var providerDetail: String?
    var durationMillis: Int64?
    var attempt: Int?
    var jobID: String?
}

extension PostgresTokenStore {
    static let recordColumns = """
        id, provider, account, owner, labels::text, state, fingerprint, issued_at, expires_at, last_renewed_at,
        registered_by_uid, attempts, next_attempt_at, last_error, revoked_at, revocation_reason,
        revocation_note, episode, quarantine, job_id, heartbeat_seconds, last_heartbeat_at, heartbeat_deadline
        """

    /// Decodes a row selected with ``recordColumns``; PostgreSQL enforces the column types, so only labels
    /// (JSON) can be off, and those surface in `quarantine` rather than failing a listing.
    static func record(_ row: PostgresRow) throws -> TokenRecord {
        let cells = row.makeRandomAccess()
        func date(_ index: Int) throws -> Date? { try cells[index].decode(Int64?.self).map(Date.init(unixMillis:)) }
        let labelsText = try cells[4].decode(String.self)
        var labels: [String: String] = [:]
        var problems: [String] = []
        if labelsText != "{}" {
            if let decoded = try? JSONDecoder().decode([String: String].self, from: Data(labelsText.utf8)) {
                labels = decoded
            } else {
                problems.append("labels not decodable")
            }
        }
        let providerText = try cells[1].decode(String.self)
        let stateText = try cells[5].decode(String.self)
        var record = TokenRecord(
            id: try cells[0].decode(String.self),
            provider: ProviderKind(rawValue: providerText) ?? .fogbugz,
            account: try cells[2].decode(String.self),
            owner: try cells[3].decode(String.self),
            labels: labels,
            state: TokenState(rawValue: stateText) ?? .active,
            fingerprint: try cells[6].decode(String.self),
            issuedAt: Date(unixMillis: try cells[7].decode(Int64.self)),
            expiresAt: Date(unixMillis: try cells[8].decode(Int64.self)),
            lastRenewedAt: try date(9),
            registeredByUID: UInt32(truncatingIfNeeded: try cells[10].decode(Int64.self)),
            attempts: Int(try cells[11].decode(Int64.self)),
            nextAttemptAt: try date(12),
            lastError: try cells[13].decode(String?.self),
            revokedAt: try date(14),
            revocationReason: try cells[15].decode(String?.self).flatMap(RevocationReason.init(rawValue:)),
            revocationNote: try cells[16].decode(String?.self),
            episode: Int(try cells[17].decode(Int64.self)),
            quarantine: try cells[18].decode(String?.self),
            jobID: try cells[19].decode(String?.self),
            bound: try boundLease(cells))
        if ProviderKind(rawValue: providerText) == nil { problems.append("unknown provider '\(providerText)'") }
        if TokenState(rawValue: stateText) == nil { problems.append("unknown state '\(stateText)'") }
        if !problems.isEmpty {
            record.quarantine = ([record.quarantine].compactMap { $0 } + problems).joined(separator: "; ")
        }
        return record
    }

    /// The lease columns (20–22 of ``recordColumns``): all set for a bound token, none otherwise.
    static func boundLease(_ cells: PostgresRandomAccessRow) throws -> BoundLease? {
        guard let seconds = try cells[20].decode(Int64?.self), let last = try cells[21].decode(Int64?.self),
            let deadline = try cells[22].decode(Int64?.self)
        else { return nil }
        return BoundLease(
            heartbeatSeconds: Int(seconds), lastHeartbeatAt: Date(unixMillis: last), deadline: Date(unixMillis: deadline))
    }

    static func records(_ rows: PostgresRowSequence) async throws -> [TokenRecord] {
        var records: [TokenRecord] = []
        for try await row in rows { records.append(try record(row)) }
        return records
    }

    func fetchRecord(_ connection: PostgresConnection, id: String, forUpdate: Bool = false) async throws
        -> TokenRecord?
    {
        let lock = forUpdate ? " FOR UPDATE" : ""
        let rows = try await connection.query(
            "SELECT \(unescaped: Self.recordColumns) FROM tokens WHERE id = \(id)\(unescaped: lock)", logger: logger)
        return try await Self.records(rows).first
    }

    func existing(_ connection: PostgresConnection, _ id: String) async throws -> TokenRecord {
        guard let record = try await fetchRecord(connection, id: id, forUpdate: true) else {
            throw StoreError.notFound(id)
        }
        return record
    }

    static func actorColumns(_ actor: Actor) -> (uid: Int64?, pid: Int64?, role: String?, system: String?) {
        switch actor {
        case .caller(let uid, let pid, let role): (Int64(uid), Int64(pid), role.rawValue, nil)
        case .system(let name): (nil, nil, nil, name)
        }
    }

    func insertAudit(
        _ connection: PostgresConnection, action: AuditAction, actor: Actor, at: Date, _ fields: AuditFields
    ) async throws {
        let who = Self.actorColumns(actor)
        try await connection.query(
            """
            INSERT INTO audit (at, token_id, episode, action, actor_uid, actor_pid, actor_role, actor_system,
                               reason, provider_status, provider_detail, duration_ms, attempt, job_id)
            VALUES (\(at.unixMillis), \(fields.tokenID), \(fields.episode.map(Int64.init)), \(action.rawValue),
                    \(who.uid), \(who.pid), \(who.role), \(who.system), \(fields.reason),
                    \(fields.providerStatus.map(Int64.init)), \(fields.providerDetail), \(fields.durationMillis),
                    \(fields.attempt.map(Int64.init)), \(fields.jobID))
            """, logger: logger)
    }

    static let auditColumns = """
        id, at, token_id, episode, action, actor_uid, actor_pid, actor_role, actor_system, reason, provider_status,
        provider_detail, duration_ms, attempt, job_id, prev_hash, hash
        """

    static func auditEvent(_ row: PostgresRow) throws -> AuditEvent {
        let cells = row.makeRandomAccess()
        func int(_ index: Int) throws -> Int? { try cells[index].decode(Int64?.self).map { Int(truncatingIfNeeded: $0) } }
        let actor: Actor
        if let system = try cells[8].decode(String?.self) {
            actor = .system(system)
        } else {
            actor = .caller(
                uid: UInt32(truncatingIfNeeded: try cells[5].decode(Int64?.self) ?? 0),
                pid: Int32(truncatingIfNeeded: try cells[6].decode(Int64?.self) ?? 0),
                role: try cells[7].decode(String?.self).flatMap(Role.init(rawValue:)) ?? .client)
        }
        return AuditEvent(
            id: try cells[0].decode(Int64.self),
            at: Date(unixMillis: try cells[1].decode(Int64.self)),
            tokenID: try cells[2].decode(String?.self),
            episode: try int(3),
            action: AuditAction(rawValue: try cells[4].decode(String.self)) ?? .attempt,
            actor: actor,
            reason: try cells[9].decode(String?.self),
            providerStatus: try int(10),
            providerDetail: try cells[11].decode(String?.self),
            durationMillis: try cells[12].decode(Int64?.self),
            attempt: try int(13),
            jobID: try cells[14].decode(String?.self),
            prevHash: try cells[15].decode(Data?.self).map { Array($0) },
            hash: try cells[16].decode(Data?.self).map { Array($0) })
    }

    static func encodeLabels(_ labels: [String: String]) -> String {
        if labels.isEmpty { return "{}" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? encoder.encode(labels)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// Compare-and-set: `id` from `from` to `to` with `assignments`; a lost race is a conflict naming the state.
    func compareAndSet(
        _ connection: PostgresConnection, id: String, from: TokenState, to: TokenState,
        assignments: String = "", binds: [any PostgresThrowingDynamicTypeEncodable & Sendable] = []
    ) async throws {
        precondition(from == to || from.canTransition(to: to), "illegal transition \(from) → \(to)")
        var query = SQLBuilder()
        query.sql = "UPDATE tokens SET state = \(query.bind(to.rawValue))"
        if !assignments.isEmpty {
            var text = assignments
            // Placeholders in `assignments` are written `?` and numbered here in order.
            for value in binds {
                guard let range = text.range(of: "?") else { break }
                text.replaceSubrange(range, with: query.bindAny(value))
            }
            query.sql += ", " + text
        }
        query.sql += " WHERE id = \(query.bind(id)) AND state = \(query.bind(from.rawValue))"
        let changed = try await query.execute(connection, logger: logger)
        if changed != 1 {
            guard let current = try await fetchRecord(connection, id: id) else { throw StoreError.notFound(id) }
            throw StoreError.conflict(
                id: id, state: current.state, message: "token \(id) is \(current.state.rawValue), not \(from.rawValue)")
        }
    }
}
