import Foundation
import PostgresNIO
import TokendCore
import TokendStore

extension PostgresTokenStore {
    /// A token sealed and fingerprinted outside the transaction (CPU work, no shared state).
    struct PreparedToken: Sendable {
        var id: String
        var input: NewToken
        var fingerprint: String
        var sealed: Data
    }

    func prepare(_ token: NewToken) throws -> PreparedToken {
        let id = Identifier.make(prefix: "tok_", now: clock.now())
        var redacted = token
        redacted.token = ""
        return PreparedToken(
            id: id, input: redacted, fingerprint: sealer.fingerprint(token.token),
            sealed: try sealer.seal(token.token, tokenID: id))
    }

    public func register(_ token: NewToken, actor: Actor, limits: LiveLimits) async throws -> Registration {
        let results = try await registerBatch(prepared: [try prepare(token)], actor: actor, limits: limits)
        return try results[0].get()
    }

    public func registerBatch(_ tokens: [NewToken], actor: Actor, limits: LiveLimits) async throws
        -> [Result<Registration, StoreError>]
    {
        try await registerBatch(prepared: try tokens.map(prepare), actor: actor, limits: limits)
    }

    /// One transaction: existing (account, fingerprint) pairs answer with their record, caps are checked per
    /// item, the new rows and their `registered` audit rows are written with one multi-row statement each.
    func registerBatch(prepared: [PreparedToken], actor: Actor, limits: LiveLimits) async throws
        -> [Result<Registration, StoreError>]
    {
        let now = clock.now()
        let checkOwner = await liveCapNeedsCount(limit: limits.perOwner)
        let checkAccount = await liveCapNeedsCount(limit: limits.perAccount)
        return try await write { connection in
            var results: [Result<Registration, StoreError>?] = Array(repeating: nil, count: prepared.count)
            var liveByOwner: [String: Int] = [:]
            var liveByAccount: [String: Int] = [:]
            var fresh: [Int] = []
            var seen: [String: Int] = [:]
            let existing = try await self.existingRecords(connection, prepared)
            for (index, item) in prepared.enumerated() {
                let key = item.input.account + "\u{0}" + item.fingerprint
                if let earlier = seen[key] {
                    // The same raw token twice in one batch: the second answers like a re-registration.
                    results[index] = .success(Registration(record: try await self.placeholder(earlier, prepared), created: false))
                    continue
                }
                seen[key] = index
                if let record = existing[key] {
                    results[index] = .success(Registration(record: record, created: false))
                    continue
                }
                if checkOwner {
                    if liveByOwner[item.input.owner] == nil {
                        liveByOwner[item.input.owner] = Int(
                            try await Self.one(
                                connection.query(
                                    "SELECT count(*) FROM tokens WHERE owner = \(item.input.owner) AND state IN ('active','revoking')",
                                    logger: self.logger), Int64.self) ?? 0)
                    }
                    if liveByOwner[item.input.owner, default: 0] >= limits.perOwner {
                        results[index] = .failure(.tooMany(scope: "owner", key: item.input.owner, limit: limits.perOwner))
                        continue
                    }
                }
                if checkAccount {
                    if liveByAccount[item.input.account] == nil {
                        liveByAccount[item.input.account] = Int(
                            try await Self.one(
                                connection.query(
                                    "SELECT count(*) FROM tokens WHERE account = \(item.input.account) AND state IN ('active','revoking')",
                                    logger: self.logger), Int64.self) ?? 0)
                    }
                    if liveByAccount[item.input.account, default: 0] >= limits.perAccount {
                        results[index] = .failure(
                            .tooMany(scope: "account", key: item.input.account, limit: limits.perAccount))
                        continue
                    }
                }
                liveByOwner[item.input.owner, default: 0] += 1
                liveByAccount[item.input.account, default: 0] += 1
                fresh.append(index)
            }
            if !fresh.isEmpty {
                let items = fresh.map { prepared[$0] }
                let who = Self.actorColumns(actor)
                // unnest() of parallel arrays: one statement for the rows, one for their audit events.
                try await connection.query(
                    """
                    INSERT INTO tokens (id, provider, account, owner, labels, state, fingerprint, sealed, issued_at,
                                        expires_at, registered_by_uid, heartbeat_seconds, last_heartbeat_at,
                                        heartbeat_deadline)
                    SELECT id, provider, account, owner, labels::jsonb, 'active', fingerprint, decode(sealed, 'base64'), \(now.unixMillis),
                           expires_at, uid, nullif(hb, 0), CASE WHEN hb > 0 THEN \(now.unixMillis) END,
                           CASE WHEN hb > 0 THEN \(now.unixMillis) + hb * 1000 END
                    FROM unnest(\(items.map(\.id)), \(items.map(\.input.provider.rawValue)), \(items.map(\.input.account)),
                                \(items.map(\.input.owner)), \(items.map { Self.encodeLabels($0.input.labels) }),
                                \(items.map(\.fingerprint)), \(items.map { $0.sealed.base64EncodedString() }),
                                \(items.map(\.input.expiresAt.unixMillis)), \(items.map { Int64($0.input.registeredByUID) }),
                                \(items.map { Int64($0.input.heartbeatSeconds ?? 0) }))
                        AS t(id, provider, account, owner, labels, fingerprint, sealed, expires_at, uid, hb)
                    """, logger: self.logger)
                try await connection.query(
                    """
                    INSERT INTO audit (at, token_id, episode, action, actor_uid, actor_pid, actor_role, actor_system)
                    SELECT \(now.unixMillis), id, 1, action, \(who.uid), \(who.pid), \(who.role), \(who.system)
                    FROM unnest(\(items.map(\.id)), \(items.map(\.input.openingAction.rawValue))) WITH ORDINALITY
                        AS t(id, action, n) ORDER BY n
                    """, logger: self.logger)
                for index in fresh {
                    let item = prepared[index]
                    let input = item.input
                    results[index] = .success(
                        Registration(
                            record: TokenRecord(
                                id: item.id, provider: input.provider, account: input.account, owner: input.owner,
                                labels: input.labels, state: .active, fingerprint: item.fingerprint,
                                issuedAt: Date(unixMillis: now.unixMillis),
                                expiresAt: Date(unixMillis: input.expiresAt.unixMillis), lastRenewedAt: nil,
                                registeredByUID: input.registeredByUID, attempts: 0, nextAttemptAt: nil,
                                lastError: nil, revokedAt: nil, revocationReason: nil, revocationNote: nil, episode: 1,
                                quarantine: nil, jobID: nil, bound: Self.initialLease(input, now: now)),
                            created: true))
                }
            }
            return results.map { $0! }
        }
    }

    /// The rows already registered under any (account, fingerprint) of the batch, keyed like `seen` above: one
    /// statement, because a round trip per item made a 1,000-token batch take seconds on a busy box.
    private func existingRecords(_ connection: PostgresConnection, _ prepared: [PreparedToken]) async throws
        -> [String: TokenRecord]
    {
        let rows = try await Self.records(
            connection.query(
                """
                SELECT \(unescaped: Self.recordColumns) FROM tokens
                WHERE (account, fingerprint) IN (SELECT * FROM unnest(\(prepared.map(\.input.account)), \(prepared.map(\.fingerprint))))
                """, logger: logger))
        var byKey: [String: TokenRecord] = [:]
        for record in rows { byKey[record.account + "\u{0}" + record.fingerprint] = record }
        return byKey
    }

    /// The record an earlier item of the same batch will create (its twin answers `created: false`).
    private func placeholder(_ index: Int, _ prepared: [PreparedToken]) async throws -> TokenRecord {
        let item = prepared[index]
        let now = clock.now()
        return TokenRecord(
            id: item.id, provider: item.input.provider, account: item.input.account, owner: item.input.owner,
            labels: item.input.labels, state: .active, fingerprint: item.fingerprint,
            issuedAt: Date(unixMillis: now.unixMillis), expiresAt: Date(unixMillis: item.input.expiresAt.unixMillis),
            lastRenewedAt: nil, registeredByUID: item.input.registeredByUID, attempts: 0, nextAttemptAt: nil,
            lastError: nil, revokedAt: nil, revocationReason: nil, revocationNote: nil, episode: 1, quarantine: nil,
            jobID: nil, bound: Self.initialLease(item.input, now: now))
    }

    /// The lease a bound registration starts with: registration counts as the first heartbeat.
    static func initialLease(_ input: NewToken, now: Date) -> BoundLease? {
        input.heartbeatSeconds.map { seconds in
            BoundLease(
                heartbeatSeconds: seconds, lastHeartbeatAt: Date(unixMillis: now.unixMillis),
                deadline: Date(unixMillis: now.unixMillis + Int64(seconds) * 1_000))
        }
    }

    /// Whether a live cap can be reached at all: while the whole table (PostgreSQL's own estimate, refreshed at
    /// most every second) holds well under `limit` rows, no owner or account can, and the count is skipped.
    func liveCapNeedsCount(limit: Int) async -> Bool {
        guard limit < Int.max else { return false }
        let now = clock.now()
        if let cached = sizeEstimate.withLock({ $0 }), now.timeIntervalSince(cached.at) < 1 {
            return cached.rows * 1.2 + 10_000 >= Double(limit)
        }
        let rows = (try? await read { connection in
            try await Self.one(
                connection.query(
                    """
                    SELECT greatest(c.reltuples::float8, coalesce(s.n_live_tup, 0)::float8)
                    FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
                    WHERE c.oid = 'tokens'::regclass
                    """, logger: self.logger), Double.self)
        }) ?? nil
        guard let rows else { return true }
        sizeEstimate.withLock { $0 = (now, rows) }
        return rows * 1.2 + 10_000 >= Double(limit)
    }
}
