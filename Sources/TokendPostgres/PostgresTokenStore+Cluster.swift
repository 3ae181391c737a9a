import Foundation
import PostgresNIO
import TokendCore
import TokendStore

#if canImport(Glibc)
import Glibc
#endif

extension PostgresTokenStore {
    public func stateCounts() async throws -> StateCounts {
        try await read { connection in
            var counts = StateCounts(byAccount: [:], quarantined: 0)
            for try await (provider, account, state, n) in try await connection.query(
                "SELECT provider, account, state, count(*) FROM tokens GROUP BY provider, account, state",
                logger: self.logger
            ).decode((String, String, String, Int64).self) {
                guard let provider = ProviderKind(rawValue: provider), let state = TokenState(rawValue: state) else {
                    continue
                }
                counts.byAccount[provider, default: [:]][account, default: [:]][state] = Int(n)
            }
            counts.quarantined = Int(
                try await Self.one(
                    connection.query("SELECT count(*) FROM tokens WHERE quarantine IS NOT NULL", logger: self.logger),
                    Int64.self) ?? 0)
            return counts
        }
    }

    public func holdState() async throws -> HoldState {
        try await read { connection in
            let value = try await Self.one(
                connection.query("SELECT value FROM settings WHERE key = 'hold'", logger: self.logger), String.self)
            return HoldState(held: value != nil, reason: value)
        }
    }

    /// Hold is a row: every instance sees it at its next scheduler pass.
    public func setHold(_ hold: HoldState, actor: Actor, persist: Bool) async throws {
        let now = clock.now()
        try await write { connection in
            if persist {
                if hold.held {
                    try await connection.query(
                        """
                        INSERT INTO settings (key, value) VALUES ('hold', \(hold.reason ?? "held"))
                        ON CONFLICT (key) DO UPDATE SET value = excluded.value
                        """, logger: self.logger)
                } else {
                    try await connection.query("DELETE FROM settings WHERE key = 'hold'", logger: self.logger)
                    try await self.notifyWork(connection)
                }
            }
            try await self.insertAudit(
                connection, action: hold.held ? .hold : .resume, actor: actor, at: now,
                AuditFields(reason: hold.reason))
        }
    }

    /// Instances whose last heartbeat is within two leases.
    public func instances() async throws -> [InstanceInfo] {
        let cutoff = clock.now().unixMillis - 2 * leaseDuration.milliseconds
        return try await read { connection in
            var list: [InstanceInfo] = []
            for try await (id, host, pid, started, beat, inFlight) in try await connection.query(
                """
                SELECT id, host, pid, started_at, last_heartbeat_at, in_flight FROM instances
                WHERE last_heartbeat_at > \(cutoff) ORDER BY started_at, id
                """, logger: self.logger
            ).decode((String, String, Int64, Int64, Int64, Int64).self) {
                list.append(
                    InstanceInfo(
                        id: id, host: host, pid: Int32(truncatingIfNeeded: pid), startedAt: Date(unixMillis: started),
                        lastHeartbeatAt: Date(unixMillis: beat), inFlight: Int(inFlight)))
            }
            return list
        }
    }

    /// Upserts this instance's row; rows silent for a day are removed.
    public func heartbeat(inFlight: Int) async throws {
        let now = clock.now().unixMillis
        let host = ProcessInfo.processInfo.hostName
        let pid = Int64(getpid())
        let started = startedAt.unixMillis
        let me = instanceID
        try await write { connection in
            try await connection.query(
                """
                INSERT INTO instances (id, host, pid, started_at, last_heartbeat_at, in_flight)
                VALUES (\(me), \(host), \(pid), \(started), \(now), \(Int64(inFlight)))
                ON CONFLICT (id) DO UPDATE SET last_heartbeat_at = excluded.last_heartbeat_at,
                    in_flight = excluded.in_flight
                """, logger: self.logger)
            try await connection.query(
                "DELETE FROM instances WHERE last_heartbeat_at < \(now - 86_400_000)", logger: self.logger)
        }
    }

    /// A token bucket per account in one row: refilled by elapsed time at `ratePerSecond`, capped at `burst`.
    /// The row lock orders instances taking permits together.
    public func takeRatePermits(account: String, wanted: Int, ratePerSecond: Double, burst: Double) async throws
        -> Int
    {
        guard wanted > 0 else { return 0 }
        guard ratePerSecond > 0 else { return wanted }
        let now = clock.now().unixMillis
        return try await write { connection in
            let rows = try await connection.query(
                """
                INSERT INTO rate_buckets AS b (account, tokens, updated_at) VALUES (\(account), \(burst), \(now))
                ON CONFLICT (account) DO UPDATE
                    SET tokens = least(\(burst), b.tokens + greatest(0, \(now) - b.updated_at) / 1000.0 * \(ratePerSecond)),
                        updated_at = greatest(b.updated_at, \(now))
                RETURNING tokens
                """, logger: self.logger)
            let available = try await Self.one(rows, Double.self) ?? 0
            let granted = min(wanted, Int(available.rounded(.down)))
            if granted > 0 {
                try await connection.query(
                    "UPDATE rate_buckets SET tokens = tokens - \(Double(granted)) WHERE account = \(account)",
                    logger: self.logger)
            }
            return max(0, granted)
        }
    }
}
