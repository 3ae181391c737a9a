import Foundation
import GRDB
import TokendCore
import TokendStore

extension SQLiteTokenStore {
    /// How far ahead a claim pushes `next_attempt_at`; only a crash leaves it there, and start-up clears it.
    static let leaseDuration: Duration = .seconds(3_600)

    /// Clears leases left by a previous run (a crash mid-attempt): bounded by the in-flight work of that run,
    /// found through a partial index, so start-up stays O(in-flight), not O(tokens).
    @discardableResult
    public func releaseStaleLeases() async throws -> Int {
        let now = clock.now()
        return try await write { db in
            try db.cachedStatement(sql: "UPDATE tokens SET in_flight = 0, next_attempt_at = min(coalesce(next_attempt_at, ?), ?) WHERE in_flight = 1").execute(arguments: [now.unixMillis, now.unixMillis])
            let released = db.changesCount
            // Quarantined rows get one more chance per start (the operator may have fixed the key or the row).
            try db.cachedStatement(sql: "UPDATE tokens SET quarantine = NULL WHERE quarantine IS NOT NULL").execute()
            return released
        }
    }

    /// Claims up to `limit` due tokens of `account`, oldest due first, in one transaction:
    /// expired `active` tokens become `revoking` (audit `revoke_requested`, reason `expired`), due `revoking`
    /// tokens are leased, and `failed` tokens whose retry interval has passed reopen (audit `retry`).
    ///
    /// A claimed row's `next_attempt_at` becomes a lease far in the future, so the due indexes skip work that is
    /// in flight instead of scanning past it; recording the outcome (or a restart) sets the real next time.
    public func claimDue(account: String, limit: Int, revokeBeforeExpiry: Duration) async throws -> [Claim] {
        guard limit > 0 else { return [] }
        let now = clock.now()
        let expiryHorizon = now.adding(revokeBeforeExpiry).unixMillis
        let lease = now.adding(Self.leaseDuration).unixMillis
        return try await write { db in
            // Everything a claim needs, the `failed` reopen included, comes with the due row (the due index leads
            // to the table row directly).
            let rows = try Row.fetchAll(db.cachedStatement(sql: """
                    SELECT id, state, due, provider, episode, attempts, sealed, row_id FROM (
                        SELECT * FROM (SELECT id, state, expires_at AS due, provider, episode, attempts, sealed,
                                rowid AS row_id
                            FROM tokens INDEXED BY tokens_due_expiry
                            WHERE state = 'active' AND account = ? AND expires_at <= ? AND quarantine IS NULL
                            ORDER BY expires_at LIMIT ?)
                        UNION ALL
                        SELECT * FROM (SELECT id, state, next_attempt_at AS due, provider, episode, attempts, sealed,
                                rowid AS row_id
                            FROM tokens INDEXED BY tokens_due_attempt
                            WHERE state = 'revoking' AND account = ? AND next_attempt_at <= ?
                              AND in_flight = 0 AND quarantine IS NULL
                            ORDER BY next_attempt_at LIMIT ?)
                        UNION ALL
                        -- One range per state: with `state IN (…)` SQLite sorts every due row before the LIMIT.
                        SELECT * FROM (SELECT id, state, next_attempt_at AS due, provider, episode, attempts, sealed,
                                rowid AS row_id
                            FROM tokens INDEXED BY tokens_due_attempt
                            WHERE state = 'failed' AND account = ? AND next_attempt_at <= ? AND quarantine IS NULL
                            ORDER BY next_attempt_at LIMIT ?)
                    ) ORDER BY due LIMIT ?
                    """), arguments: [
                        account, expiryHorizon, limit, account, now.unixMillis, limit, account, now.unixMillis, limit,
                        limit,
                    ])
            var claims: [Claim] = []
            claims.reserveCapacity(rows.count)
            for row in rows {
                // Read strictly, then unseal, before any transition: a row with a value of the wrong type, no known
                // provider or sealed bytes that cannot be opened is quarantined with its state unchanged
                // (anchors.md §6.2), and everything else keeps going. The rowid reaches even a row whose id is
                // unreadable.
                var columns = ColumnReader(row)
                let id = columns.requiredText(0, "id")
                let state = columns.requiredText(1, "state")
                let provider = columns.required(ProviderKind.self, 3, "provider")
                let episode = columns.integer(4, "episode").map { Int(truncatingIfNeeded: $0) }
                let attempts = Int(truncatingIfNeeded: columns.requiredInteger(5, "attempts"))
                let sealed = columns.blob(6, "sealed")
                let rowID = columns.requiredInteger(7, "rowid")
                var problem = columns.problems.isEmpty ? nil : columns.problems.joined(separator: "; ")
                var token: String?
                if problem == nil {
                    do throws(Sealer.UnsealError) {
                        guard let sealed else { throw Sealer.UnsealError(description: "no sealed token stored") }
                        token = try self.sealer.open(sealed, tokenID: id)
                    } catch {
                        problem = error.description
                    }
                }
                guard let provider, let episode, let token, problem == nil else {
                    let why = problem ?? "undecodable row"
                    try db.cachedStatement(sql: "UPDATE tokens SET quarantine = ?, last_error = ? WHERE rowid = ?").execute(arguments: [why, "quarantined: \(why)", rowID])
                    try Self.insertAudit(
                        db, action: .quarantined, actor: .system("scheduler"), at: now,
                        AuditFields(tokenID: id.isEmpty ? nil : id, episode: episode, reason: why))
                    self.logger.error(
                        "token quarantined", metadata: ["token_id": "\(id)", "account": "\(account)", "error": "\(why)"])
                    continue
                }
                switch state {
                case "active":
                    try Self.compareAndSet(
                        db, id: id, from: .active, to: .revoking,
                        assignments: "revocation_reason = 'expired', next_attempt_at = ?, in_flight = 1",
                        arguments: [lease])
                    try Self.insertAudit(
                        db, action: .revokeRequested, actor: .system("scheduler"), at: now,
                        AuditFields(tokenID: id, episode: episode, reason: RevocationReason.expired.rawValue))
                case "failed":
                    try Self.reopen(
                        db, id: id, episode: episode, actor: .system("scheduler"), reason: "failed_retry_interval",
                        now: now, inFlight: true)
                    try db.cachedStatement(sql: "UPDATE tokens SET next_attempt_at = ? WHERE id = ?")
                        .execute(arguments: [lease, id])
                default:
                    try Self.compareAndSet(
                        db, id: id, from: .revoking, to: .revoking, assignments: "in_flight = 1, next_attempt_at = ?",
                        arguments: [lease])
                }
                let reopened = state == "failed"
                claims.append(
                    Claim(
                        id: id, provider: provider, account: account, episode: reopened ? episode + 1 : episode,
                        attempts: reopened ? 0 : attempts, token: token))
            }
            return claims
        }
    }

    /// Records many attempts in one transaction (group commit); each keeps its own CAS and audit rows.
    public func recordAttempts(_ attempts: [AttemptRecord]) async throws -> [TokenState] {
        let now = clock.now()
        return try await write { db in
            try attempts.map { try Self.apply(db, $0, now: now) }
        }
    }

    static func apply(_ db: Database, _ item: AttemptRecord, now: Date) throws -> TokenState {
        let claim = item.claim
        let result = item.result
        let attempt = claim.attempts + 1
        try insertAudit(
            db, action: .attempt, actor: .system("scheduler"), at: now,
            AuditFields(
                tokenID: claim.id, episode: claim.episode, reason: result.outcome.name,
                providerStatus: result.httpStatus, providerDetail: result.outcome.detail,
                durationMillis: result.duration.milliseconds, attempt: attempt))
        let matches = "WHERE id = ? AND state = 'revoking' AND episode = ? AND in_flight = 1"
        switch item.decision {
        case .done(let state):
            try db.cachedStatement(sql: """
                    UPDATE tokens SET state = ?, attempts = ?, in_flight = 0, next_attempt_at = NULL,
                        revoked_at = ?, last_error = NULL, sealed = NULL \(matches)
                    """).execute(arguments: [state.rawValue, attempt, now.unixMillis, claim.id, claim.episode])
            guard db.changesCount == 1 else { return try currentState(db, claim.id) }
            try insertAudit(
                db, action: AuditAction(terminal: state) ?? .revoked, actor: .system("scheduler"), at: now,
                AuditFields(
                    tokenID: claim.id, episode: claim.episode, providerStatus: result.httpStatus,
                    providerDetail: result.outcome.detail, attempt: attempt))
            return state
        case .retry(let at):
            try db.cachedStatement(sql: "UPDATE tokens SET attempts = ?, in_flight = 0, next_attempt_at = ?, last_error = ? \(matches)").execute(arguments: [attempt, at.unixMillis, result.outcome.detail, claim.id, claim.episode])
            return try currentState(db, claim.id)
        case .fail(let next, let error):
            try db.cachedStatement(sql: """
                    UPDATE tokens SET state = 'failed', attempts = ?, in_flight = 0, next_attempt_at = ?,
                        last_error = ?, revocation_reason = 'failed' \(matches)
                    """).execute(arguments: [attempt, next.unixMillis, error, claim.id, claim.episode])
            guard db.changesCount == 1 else { return try currentState(db, claim.id) }
            try insertAudit(
                db, action: .failed, actor: .system("scheduler"), at: now,
                AuditFields(
                    tokenID: claim.id, episode: claim.episode, reason: error, providerStatus: result.httpStatus,
                    providerDetail: result.outcome.detail, attempt: attempt))
            return .failed
        }
    }

    /// Releases claims without an attempt (shutdown before the call): due again at once.
    public func release(_ claims: [Claim]) async throws {
        guard !claims.isEmpty else { return }
        let now = clock.now()
        try await write { db in
            for claim in claims {
                try db.cachedStatement(
                    sql: "UPDATE tokens SET in_flight = 0, next_attempt_at = ? WHERE id = ? AND episode = ? AND in_flight = 1"
                ).execute(arguments: [now.unixMillis, claim.id, claim.episode])
            }
        }
    }

    static func currentState(_ db: Database, _ id: String) throws -> TokenState {
        let text = try String.fetchOne(db.cachedStatement(sql: "SELECT state FROM tokens WHERE id = ?"), arguments: [id])
        guard let text, let state = TokenState(rawValue: text) else { throw StoreError.notFound(id) }
        return state
    }

    /// The earliest instant any work of `account` falls due (expiry or retry), if any.
    public func nextDue(account: String, revokeBeforeExpiry: Duration) async throws -> Date? {
        try await read { db in
            let expiry = try Int64.fetchOne(db.cachedStatement(sql: "SELECT min(expires_at) FROM tokens INDEXED BY tokens_due_expiry WHERE state = 'active' AND account = ? AND quarantine IS NULL"), arguments: [account])
            let revoking = try Int64.fetchOne(db.cachedStatement(sql: "SELECT min(next_attempt_at) FROM tokens INDEXED BY tokens_due_attempt WHERE next_attempt_at IS NOT NULL AND state = 'revoking' AND account = ? AND in_flight = 0 AND quarantine IS NULL"), arguments: [account])
            let failed = try Int64.fetchOne(db.cachedStatement(sql: "SELECT min(next_attempt_at) FROM tokens INDEXED BY tokens_due_attempt WHERE next_attempt_at IS NOT NULL AND state = 'failed' AND account = ? AND quarantine IS NULL"), arguments: [account])
            let candidates = [
                expiry.map { $0 - revokeBeforeExpiry.milliseconds }, revoking, failed,
            ].compactMap { $0 }
            return candidates.min().map(Date.init(unixMillis:))
        }
    }

    /// Due-now backlog (expired active + due revoking) and the oldest overdue instant, across `accounts`.
    /// Quarantined rows are not work the scheduler will do, so they count in neither.
    public func backlog(accounts: [String], revokeBeforeExpiry: Duration) async throws
        -> (due: Int, oldest: Date?)
    {
        let now = clock.now()
        let horizon = now.adding(revokeBeforeExpiry).unixMillis
        return try await read { db in
            var due = 0
            var oldest: Int64?
            for account in accounts {
                let window: StatementArguments = [account, horizon, account, now.unixMillis]
                due += try Int.fetchOne(db.cachedStatement(sql: Self.dueCountSQL), arguments: window) ?? 0
                due -= try Int.fetchOne(db.cachedStatement(sql: Self.quarantinedDueCountSQL), arguments: window) ?? 0
                let first = try Int64.fetchOne(db.cachedStatement(sql: Self.oldestExpiredSQL), arguments: [account, horizon])
                let firstRetry = try Int64.fetchOne(db.cachedStatement(sql: Self.oldestRetrySQL), arguments: [account, now.unixMillis])
                for value in [first, firstRetry].compactMap({ $0 }) { oldest = min(oldest ?? value, value) }
            }
            return (due, oldest.map(Date.init(unixMillis:)))
        }
    }

    // The counts stay the due indexes' range searches, without a `quarantine` term that would make the retry
    // count (a covering search) read a table row per due token, which a clock jump can make a million; the few
    // quarantined rows are subtracted through their partial index instead.
    static let dueCountSQL = """
        SELECT (SELECT count(*) FROM tokens INDEXED BY tokens_due_expiry
                WHERE state = 'active' AND account = ?1 AND expires_at <= ?2)
             + (SELECT count(*) FROM tokens INDEXED BY tokens_due_attempt
                WHERE state = 'revoking' AND account = ?3 AND next_attempt_at <= ?4)
        """
    static let quarantinedDueCountSQL = """
        SELECT count(*) FROM tokens INDEXED BY tokens_quarantine
        WHERE quarantine IS NOT NULL AND ((state = 'active' AND account = ?1 AND expires_at <= ?2)
            OR (state = 'revoking' AND account = ?3 AND next_attempt_at <= ?4))
        """
    // min() walks the index from the low end and stops at the first row that is not quarantined.
    static let oldestExpiredSQL = "SELECT min(expires_at) FROM tokens INDEXED BY tokens_due_expiry WHERE state = 'active' AND account = ? AND expires_at <= ? AND quarantine IS NULL"
    static let oldestRetrySQL = "SELECT min(next_attempt_at) FROM tokens INDEXED BY tokens_due_attempt WHERE state = 'revoking' AND account = ? AND next_attempt_at <= ? AND quarantine IS NULL"
}
