import Foundation
import PostgresNIO
import TokendCore
import TokendStore

extension PostgresTokenStore {
    /// Leases held by instances that stopped heartbeating become due at once (start-up and every sweep would
    /// find them anyway once their lease expires; this only shortens the wait after a crash). Bounded by the
    /// leased rows, found through their partial index.
    @discardableResult
    public func releaseStaleLeases() async throws -> Int {
        let now = clock.now()
        let cutoff = now.unixMillis - leaseDuration.milliseconds
        return try await write { connection in
            try await connection.changes(
                """
                UPDATE tokens SET lease_owner = NULL, next_attempt_at = least(next_attempt_at, \(now.unixMillis))
                WHERE lease_owner IS NOT NULL
                  AND lease_owner NOT IN (SELECT id FROM instances WHERE last_heartbeat_at > \(cutoff))
                """, logger: self.logger)
        }
    }

    /// One due row as the claim query reads it.
    private struct DueRow: Sendable {
        var id: String
        var state: String
        var due: Int64
        var provider: String
        var episode: Int
        var attempts: Int
        var sealed: Data?
    }

    /// Claims up to `limit` due tokens of `account`: each of the three due sets (expired active, due revoking —
    /// expired leases included —, failed past their retry interval) is read oldest first with
    /// `FOR UPDATE SKIP LOCKED`, so instances claiming together never wait on or take the same rows.
    public func claimDue(account: String, limit: Int, revokeBeforeExpiry: Duration) async throws -> [Claim] {
        guard limit > 0 else { return [] }
        let now = clock.now()
        let horizon = now.adding(revokeBeforeExpiry).unixMillis
        let until = now.adding(leaseDuration)
        let me = instanceID
        let limit64 = Int64(limit)
        return try await write { connection in
            var due: [DueRow] = []
            let queries: [PostgresQuery] = [
                """
                SELECT id, state, expires_at, provider, episode, attempts, sealed FROM tokens
                WHERE state = 'active' AND quarantine IS NULL AND account = \(account) AND expires_at <= \(horizon)
                ORDER BY expires_at LIMIT \(limit64) FOR UPDATE SKIP LOCKED
                """,
                """
                SELECT id, state, CASE WHEN lease_owner IS NULL THEN next_attempt_at ELSE 0 END,
                       provider, episode, attempts, sealed FROM tokens
                WHERE state = 'revoking' AND quarantine IS NULL AND account = \(account)
                  AND next_attempt_at <= \(now.unixMillis)
                ORDER BY next_attempt_at LIMIT \(limit64) FOR UPDATE SKIP LOCKED
                """,
                """
                SELECT id, state, next_attempt_at, provider, episode, attempts, sealed FROM tokens
                WHERE state = 'failed' AND quarantine IS NULL AND account = \(account)
                  AND next_attempt_at <= \(now.unixMillis)
                ORDER BY next_attempt_at LIMIT \(limit64) FOR UPDATE SKIP LOCKED
                """,
            ]
            for query in queries {
                for try await (id, state, at, provider, episode, attempts, sealed) in try await connection.query(
                    query, logger: self.logger
                ).decode((String, String, Int64, String, Int64, Int64, Data?).self) {
                    due.append(
                        DueRow(
                            id: id, state: state, due: at, provider: provider, episode: Int(episode),
                            attempts: Int(attempts), sealed: sealed))
                }
            }
            // Oldest first, except that an expired lease (its instance died mid-call; `due` 0 above) is taken
            // over before any backlog: its token's revocation was already under way.
            due.sort { ($0.due, $0.id) < ($1.due, $1.id) }
            if due.count > limit { due.removeLast(due.count - limit) }

            var claims: [Claim] = []
            var activeIDs: [String] = []
            var revokingIDs: [String] = []
            var pending: [String: (row: DueRow, provider: ProviderKind, token: String)] = [:]
            for row in due {
                var problem: String?
                var token: String?
                let provider = ProviderKind(rawValue: row.provider)
                if provider == nil { problem = "unknown provider '\(row.provider)'" }
                if problem == nil {
                    do throws(Sealer.UnsealError) {
                        guard let sealed = row.sealed else { throw Sealer.UnsealError(description: "no sealed token stored") }
                        token = try self.sealer.open(sealed, tokenID: row.id)
                    } catch {
                        problem = error.description
                    }
                }
                guard let provider, let token, problem == nil else {
                    let why = problem ?? "undecodable row"
                    try await connection.query(
                        "UPDATE tokens SET quarantine = \(why), last_error = \("quarantined: \(why)") WHERE id = \(row.id)",
                        logger: self.logger)
                    try await self.insertAudit(
                        connection, action: .quarantined, actor: .system("scheduler"), at: now,
                        AuditFields(tokenID: row.id, episode: row.episode, reason: why))
                    self.logger.error(
                        "token quarantined", metadata: ["token_id": "\(row.id)", "account": "\(account)", "error": "\(why)"])
                    continue
                }
                switch row.state {
                case "active": activeIDs.append(row.id)
                case "revoking": revokingIDs.append(row.id)
                default:
                    try await self.reopen(
                        connection, id: row.id, episode: row.episode, actor: .system("scheduler"),
                        reason: "failed_retry_interval", now: now, lease: (me, until))
                    let seq = try await Self.one(
                        connection.query("SELECT lease_seq FROM tokens WHERE id = \(row.id)", logger: self.logger),
                        Int64.self) ?? 0
                    claims.append(
                        Claim(
                            id: row.id, provider: provider, account: account, episode: row.episode + 1, attempts: 0,
                            token: token, leaseSeq: seq))
                    continue
                }
                pending[row.id] = (row, provider, token)
            }
            // The audit rows of the claim go last: from the first audit row to commit, the transaction holds the
            // cluster's chain lock (AuditBatch).
            var claimed: [String] = []
            if !activeIDs.isEmpty {
                var seqs: [String: Int64] = [:]
                for try await (id, seq) in try await connection.query(
                    """
                    UPDATE tokens SET state = 'revoking', revocation_reason = 'expired',
                        next_attempt_at = \(until.unixMillis), lease_owner = \(me), lease_seq = lease_seq + 1
                    WHERE id = ANY(\(activeIDs)) AND state = 'active'
                    RETURNING id, lease_seq
                    """, logger: self.logger
                ).decode((String, Int64).self) {
                    seqs[id] = seq
                }
                claimed = activeIDs.filter { seqs[$0] != nil }
                for id in claimed {
                    let entry = pending[id]!
                    claims.append(
                        Claim(
                            id: id, provider: entry.provider, account: account, episode: entry.row.episode,
                            attempts: entry.row.attempts, token: entry.token, leaseSeq: seqs[id]!))
                }
            }
            if !revokingIDs.isEmpty {
                for try await (id, seq) in try await connection.query(
                    """
                    UPDATE tokens SET next_attempt_at = \(until.unixMillis), lease_owner = \(me), lease_seq = lease_seq + 1
                    WHERE id = ANY(\(revokingIDs)) AND state = 'revoking'
                    RETURNING id, lease_seq
                    """, logger: self.logger
                ).decode((String, Int64).self) {
                    let entry = pending[id]!
                    claims.append(
                        Claim(
                            id: id, provider: entry.provider, account: account, episode: entry.row.episode,
                            attempts: entry.row.attempts, token: entry.token, leaseSeq: seq))
                }
            }
            if !claimed.isEmpty {
                try await connection.query(
                    """
                    INSERT INTO audit (at, token_id, episode, action, actor_system, reason)
                    SELECT \(now.unixMillis), id, ep, 'revoke_requested', 'scheduler', 'expired'
                    FROM unnest(\(claimed), \(claimed.map { Int64(pending[$0]!.row.episode) })) WITH ORDINALITY
                        AS t(id, ep, n) ORDER BY n
                    """, logger: self.logger)
            }
            return claims
        }
    }

    /// Records finished calls. Each outcome is a CAS on (state, episode, lease_seq): a token re-claimed by
    /// another instance since (our lease expired) keeps that instance's result; our attempt is still audited,
    /// since the call was made.
    public func recordAttempts(_ attempts: [AttemptRecord]) async throws -> [TokenState] {
        let now = clock.now()
        return try await write { connection in
            let settled = try await self.settle(connection, attempts, now: now)
            var states: [TokenState] = []
            var audit = AuditBatch()
            for (index, item) in attempts.enumerated() {
                states.append(try await self.apply(connection, item, now: now, settled: settled[index], audit: &audit))
            }
            try await audit.insert(connection, logger: self.logger)
            return states
        }
    }

    /// The compare-and-set of every `.done` outcome of a group in one statement (nearly every outcome is one):
    /// by index, whether the token's row changed; `nil` for outcomes of another kind.
    private func settle(_ connection: PostgresConnection, _ attempts: [AttemptRecord], now: Date) async throws -> [Bool?] {
        var settled = [Bool?](repeating: nil, count: attempts.count)
        var ids: [String] = [], states: [String] = [], episodes: [Int64] = [], seqs: [Int64] = [], tries: [Int64] = []
        // In id order, so that two writers touching overlapping rows lock them in the same order.
        for (index, item) in attempts.enumerated().sorted(by: { $0.element.claim.id < $1.element.claim.id }) {
            guard case .done(let state) = item.decision else { continue }
            settled[index] = false
            ids.append(item.claim.id)
            states.append(state.rawValue)
            episodes.append(Int64(item.claim.episode))
            seqs.append(item.claim.leaseSeq)
            tries.append(Int64(item.claim.attempts + 1))
        }
        guard !ids.isEmpty else { return settled }
        var changed = Set<String>()
        for try await id in try await connection.query(
            """
            UPDATE tokens t SET state = c.state, attempts = c.attempt, lease_owner = NULL, next_attempt_at = NULL,
                revoked_at = \(now.unixMillis), last_error = NULL, sealed = NULL
            FROM unnest(\(ids), \(states), \(episodes), \(seqs), \(tries)) AS c(id, state, episode, seq, attempt)
            WHERE t.id = c.id AND t.state = 'revoking' AND t.episode = c.episode AND t.lease_seq = c.seq
            RETURNING t.id
            """, logger: logger
        ).decode(String.self) {
            changed.insert(id)
        }
        // `remove`: should one claim appear twice, only one of them may write the terminal event.
        for (index, item) in attempts.enumerated() where settled[index] != nil {
            settled[index] = changed.remove(item.claim.id) != nil
        }
        return settled
    }

    /// One outcome's compare-and-set; its audit rows go to `audit`, written after every update of the group.
    private func apply(
        _ connection: PostgresConnection, _ item: AttemptRecord, now: Date, settled: Bool?, audit: inout AuditBatch
    ) async throws -> TokenState {
        let claim = item.claim
        let result = item.result
        let attempt = claim.attempts + 1
        audit.append(
            action: .attempt, actor: .system("scheduler"), at: now,
            AuditFields(
                tokenID: claim.id, episode: claim.episode, reason: result.outcome.name,
                providerStatus: result.httpStatus, providerDetail: result.outcome.detail,
                durationMillis: result.duration.milliseconds, attempt: attempt))
        let episode = Int64(claim.episode)
        let attempt64 = Int64(attempt)
        switch item.decision {
        case .done(let state):
            guard settled == true else { return try await currentState(connection, claim.id) }
            audit.append(
                action: AuditAction(terminal: state) ?? .revoked, actor: .system("scheduler"), at: now,
                AuditFields(
                    tokenID: claim.id, episode: claim.episode, providerStatus: result.httpStatus,
                    providerDetail: result.outcome.detail, attempt: attempt))
            return state
        case .retry(let at):
            try await connection.query(
                """
                UPDATE tokens SET attempts = \(attempt64), lease_owner = NULL, next_attempt_at = \(at.unixMillis),
                    last_error = \(result.outcome.detail)
                WHERE id = \(claim.id) AND state = 'revoking' AND episode = \(episode) AND lease_seq = \(claim.leaseSeq)
                """, logger: logger)
            return try await currentState(connection, claim.id)
        case .fail(let next, let error):
            let changed = try await connection.changes(
                """
                UPDATE tokens SET state = 'failed', attempts = \(attempt64), lease_owner = NULL,
                    next_attempt_at = \(next.unixMillis), last_error = \(error), revocation_reason = 'failed'
                WHERE id = \(claim.id) AND state = 'revoking' AND episode = \(episode) AND lease_seq = \(claim.leaseSeq)
                """, logger: logger)
            guard changed == 1 else { return try await currentState(connection, claim.id) }
            audit.append(
                action: .failed, actor: .system("scheduler"), at: now,
                AuditFields(
                    tokenID: claim.id, episode: claim.episode, reason: error, providerStatus: result.httpStatus,
                    providerDetail: result.outcome.detail, attempt: attempt))
            return .failed
        }
    }

    private func currentState(_ connection: PostgresConnection, _ id: String) async throws -> TokenState {
        let text = try await Self.one(
            connection.query("SELECT state FROM tokens WHERE id = \(id)", logger: logger), String.self)
        guard let text, let state = TokenState(rawValue: text) else { throw StoreError.notFound(id) }
        return state
    }

    public func release(_ claims: [Claim]) async throws {
        guard !claims.isEmpty else { return }
        let now = clock.now()
        try await write { connection in
            try await connection.query(
                """
                UPDATE tokens t SET lease_owner = NULL, next_attempt_at = \(now.unixMillis)
                FROM unnest(\(claims.map(\.id)), \(claims.map(\.leaseSeq))) AS c(id, seq)
                WHERE t.id = c.id AND t.lease_seq = c.seq AND t.lease_owner IS NOT NULL
                """, logger: self.logger)
        }
    }

    public func renewLeases(_ claims: [Claim]) async throws {
        guard !claims.isEmpty else { return }
        let until = clock.now().adding(leaseDuration).unixMillis
        let me = instanceID
        try await write { connection in
            // SKIP LOCKED: a row locked now is being settled by this instance's outcome writer, which ends the
            // lease anyway; waiting for it in another order than the writer's deadlocked the two.
            try await connection.query(
                """
                UPDATE tokens SET next_attempt_at = \(until)
                WHERE id IN (
                    SELECT t.id FROM tokens t
                    JOIN unnest(\(claims.map(\.id)), \(claims.map(\.leaseSeq))) AS c(id, seq) ON t.id = c.id
                    WHERE t.lease_seq = c.seq AND t.lease_owner = \(me) AND t.state = 'revoking'
                    FOR UPDATE OF t SKIP LOCKED)
                """, logger: self.logger)
        }
    }

    public func nextDue(account: String, revokeBeforeExpiry: Duration) async throws -> Date? {
        try await read { connection in
            let rows = try await connection.query(
                """
                SELECT (SELECT min(expires_at) FROM tokens WHERE state = 'active' AND quarantine IS NULL AND account = \(account)),
                       (SELECT min(next_attempt_at) FROM tokens WHERE state = 'revoking' AND quarantine IS NULL AND account = \(account)),
                       (SELECT min(next_attempt_at) FROM tokens WHERE state = 'failed' AND quarantine IS NULL AND account = \(account))
                """, logger: self.logger)
            for try await (expiry, revoking, failed) in rows.decode((Int64?, Int64?, Int64?).self) {
                let candidates = [expiry.map { $0 - revokeBeforeExpiry.milliseconds }, revoking, failed].compactMap { $0 }
                return candidates.min().map(Date.init(unixMillis:))
            }
            return nil
        }
    }

    public func backlog(accounts: [String], revokeBeforeExpiry: Duration) async throws -> (due: Int, oldest: Date?) {
        let now = clock.now()
        let horizon = now.adding(revokeBeforeExpiry).unixMillis
        return try await read { connection in
            let rows = try await connection.query(
                """
                SELECT (SELECT count(*) FROM tokens WHERE state = 'active' AND quarantine IS NULL
                            AND account = ANY(\(accounts)) AND expires_at <= \(horizon))
                     + (SELECT count(*) FROM tokens WHERE state = 'revoking' AND quarantine IS NULL
                            AND account = ANY(\(accounts)) AND next_attempt_at <= \(now.unixMillis)),
                       least((SELECT min(expires_at) FROM tokens WHERE state = 'active' AND quarantine IS NULL
                                AND account = ANY(\(accounts)) AND expires_at <= \(horizon)),
                             (SELECT min(next_attempt_at) FROM tokens WHERE state = 'revoking' AND quarantine IS NULL
                                AND account = ANY(\(accounts)) AND next_attempt_at <= \(now.unixMillis)))
                """, logger: self.logger)
            for try await (due, oldest) in rows.decode((Int64, Int64?).self) {
                return (Int(due), oldest.map(Date.init(unixMillis:)))
            }
            return (0, nil)
        }
    }
}

