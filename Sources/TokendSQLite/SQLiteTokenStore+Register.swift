import Foundation
import GRDB
import TokendCore
import TokendStore

extension SQLiteTokenStore {
    /// Registers one token (or returns the existing record for the same raw token and account).
    ///
    /// Concurrent registrations are group-committed: those arriving while a transaction runs share the next
    /// one, each with its own checks and audit row, so many clients cost one commit instead of one each.
    public func register(_ token: NewToken, actor: Actor, limits: LiveLimits) async throws
        -> Registration
    {
        let prepared = try prepare(token)
        return try await registrations.submit(QueuedRegistration(token: prepared, actor: actor, limits: limits)).get()
    }

    /// Writes one group of queued registrations in one transaction (the commit of ``registrations``).
    func commitRegistrations(_ items: [QueuedRegistration]) async -> [Result<Registration, any Error>] {
        let now = clock.now()
        do {
            // A cap is the item's own answer; any other failure aborts the whole group (rolled back, every
            // caller gets the error), so no half-written registration without its audit row can commit.
            return try await write { db in
                try items.map { item in
                    do {
                        return .success(try Self.insert(db, item.token, actor: item.actor, limits: item.limits, now: now))
                    } catch let error as StoreError {
                        if case .tooMany = error { return .failure(error) }
                        throw error
                    }
                }
            }
        } catch {
            return items.map { _ in .failure(error) }
        }
    }

    /// Registers many tokens in one transaction; per-item failures (caps) don't stop the others.
    /// A database failure fails the whole batch.
    public func registerBatch(_ tokens: [NewToken], actor: Actor, limits: LiveLimits) async throws
        -> [Result<Registration, StoreError>]
    {
        let prepared = try tokens.map(prepare)
        let now = clock.now()
        return try await write { db in
            try prepared.map { item in
                do {
                    return .success(try Self.insert(db, item, actor: actor, limits: limits, now: now))
                } catch let error as StoreError {
                    if case .tooMany = error { return .failure(error) }
                    throw error
                }
            }
        }
    }

    /// A single registration waiting for its group commit.
    struct QueuedRegistration: Sendable {
        var token: PreparedToken
        var actor: Actor
        var limits: LiveLimits
    }

    struct PreparedToken: Sendable {
        var id: String
        var input: NewToken
        /// The record's text, and the MAC the table stores (see migration `v9-fingerprint-mac`).
        var fingerprint: String
        var fingerprintMAC: Data
        var sealed: Data
    }

    /// Sealing and fingerprinting happen outside the write lock (CPU work, no shared state).
    private func prepare(_ token: NewToken) throws -> PreparedToken {
        let id = Identifier.make(prefix: "tok_", now: clock.now())
        var redacted = token
        redacted.token = ""
        let mac = sealer.fingerprintMAC(token.token)
        return PreparedToken(
            id: id, input: redacted, fingerprint: Sealer.fingerprintText(mac: mac), fingerprintMAC: Data(mac),
            sealed: try sealer.seal(token.token, tokenID: id))
    }

    private static func insert(
        _ db: Database, _ item: PreparedToken, actor: Actor, limits: LiveLimits, now: Date
    ) throws -> Registration {
        let input = item.input
        if let existing = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(recordColumns) FROM tokens WHERE account = ? AND fingerprint = ?"), arguments: [input.account, item.fingerprintMAC])
        {
            return Registration(record: try record(existing), created: false)
        }
        if limits.perOwner < .max || limits.perAccount < .max {
            let ownerLive =
                try Int.fetchOne(db.cachedStatement(sql: "SELECT n FROM live_counts WHERE scope = 'owner' AND key = ?"), arguments: [input.owner]) ?? 0
            if ownerLive >= limits.perOwner {
                throw StoreError.tooMany(scope: "owner", key: input.owner, limit: limits.perOwner)
            }
            let accountLive =
                try Int.fetchOne(db.cachedStatement(sql: "SELECT n FROM live_counts WHERE scope = 'account' AND key = ?"), arguments: [input.account]) ?? 0
            if accountLive >= limits.perAccount {
                throw StoreError.tooMany(scope: "account", key: input.account, limit: limits.perAccount)
            }
        }
        let bound = input.heartbeatSeconds.map { seconds in
            BoundLease(
                heartbeatSeconds: seconds, lastHeartbeatAt: Date(unixMillis: now.unixMillis),
                deadline: Date(unixMillis: now.unixMillis + Int64(seconds) * 1_000))
        }
        try db.cachedStatement(sql: """
                INSERT INTO tokens (id, provider, account, owner, labels, state, fingerprint, sealed, issued_at,
                                    expires_at, registered_by_uid, heartbeat_seconds, last_heartbeat_at,
                                    heartbeat_deadline)
                VALUES (?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [
                item.id, input.provider.rawValue, input.account, input.owner, encodeLabels(input.labels),
                item.fingerprintMAC, item.sealed, now.unixMillis, input.expiresAt.unixMillis,
                Int64(input.registeredByUID), bound.map { Int64($0.heartbeatSeconds) },
                bound?.lastHeartbeatAt.unixMillis, bound?.deadline.unixMillis,
            ])
        for (key, value) in input.labels {
            try db.cachedStatement(sql: "INSERT INTO token_labels (token_id, key, value) VALUES (?, ?, ?)").execute(arguments: [item.id, key, value])
        }
        try insertAudit(db, action: input.openingAction, actor: actor, at: now, AuditFields(tokenID: item.id, episode: 1))
        // Built from what was inserted: reading the row back would cost a query per registration.
        let created = TokenRecord(
            id: item.id, provider: input.provider, account: input.account, owner: input.owner, labels: input.labels,
            state: .active, fingerprint: item.fingerprint, issuedAt: Date(unixMillis: now.unixMillis),
            expiresAt: Date(unixMillis: input.expiresAt.unixMillis), lastRenewedAt: nil,
            registeredByUID: input.registeredByUID, attempts: 0, nextAttemptAt: nil, lastError: nil, revokedAt: nil,
            revocationReason: nil, revocationNote: nil, episode: 1, quarantine: nil, jobID: nil, bound: bound)
        return Registration(record: created, created: true)
    }
}
