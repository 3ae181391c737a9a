import Foundation
import GRDB
import TokendCore
import TokendStore

extension SQLiteTokenStore {
    /// Token counts by provider, account and state.
    public func stateCounts() async throws -> StateCounts {
        try await read { db in
            var counts = StateCounts(byAccount: [:], quarantined: 0)
            for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT provider, account, state, n FROM state_counts WHERE n > 0")) {
                guard let provider = ProviderKind(rawValue: row["provider"]),
                    let state = TokenState(rawValue: row["state"])
                else { continue }
                counts.byAccount[provider, default: [:]][row["account"], default: [:]][state] = row["n"]
            }
            counts.quarantined =
                try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM tokens INDEXED BY tokens_quarantine WHERE quarantine IS NOT NULL")) ?? 0
            return counts
        }
    }

    /// The persisted hold flag.
    public func holdState() async throws -> HoldState {
        try await read { db in
            let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT value FROM settings WHERE key = 'hold'"))
            guard let value: String = row?["value"] else { return HoldState(held: false, reason: nil) }
            return HoldState(held: true, reason: value)
        }
    }

    /// Sets or clears hold, audited as `hold` / `resume`. With `persist: false` only the audit row is written
    /// (start-up flag and breaker trips, which are re-evaluated at each start).
    public func setHold(_ hold: HoldState, actor: Actor, persist: Bool) async throws {
        let now = clock.now()
        try await write { db in
            if !persist {
                // audit only
            } else if hold.held {
                try db.cachedStatement(sql: "INSERT INTO settings (key, value) VALUES ('hold', ?) ON CONFLICT DO UPDATE SET value = excluded.value").execute(arguments: [hold.reason ?? "held"])
            } else {
                try db.cachedStatement(sql: "DELETE FROM settings WHERE key = 'hold'").execute()
            }
            try Self.insertAudit(
                db, action: hold.held ? .hold : .resume, actor: actor, at: now, AuditFields(reason: hold.reason))
        }
    }
}
