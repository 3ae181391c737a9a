import Foundation
import Logging
import NIOCore
import PostgresNIO
import ServiceLifecycle
import Synchronization
import TokendCore
import TokendStore

#if canImport(Glibc)
import Glibc
#endif

/// The token registry and audit log on PostgreSQL, shared by any number of active-active tokend instances.
///
/// Coordination lives in the database only: due work is claimed with `FOR UPDATE SKIP LOCKED` and held by a
/// lease (`lease_owner`, `lease_seq`, expiry in `next_attempt_at`); every outcome is a compare-and-set that
/// must still match the claim's `lease_seq`, so a late answer from an instance presumed dead changes nothing.
/// Hold, the rate buckets and the instance list are rows, so they hold cluster-wide.
public final class PostgresTokenStore: TokenStore, Service {
    let client: PostgresClient
    let sealer: Sealer
    let clock: any WallClock
    let logger: Logger
    /// This instance's id in `instances` and `lease_owner`.
    public let instanceID: String
    public let leaseDuration: Duration
    public let locationDescription: String
    /// How long one store operation may wait for the database before it answers `unavailable`.
    let operationTimeout: Duration
    let startedAt: Date
    private let runTask: Mutex<Task<Void, Never>?>
    private let writeFault = Atomic<Bool>(false)
    /// Recent table-size estimate for the live caps (see ``liveCapNeedsCount(limit:)``).
    let sizeEstimate = Mutex<(at: Date, rows: Double)?>(nil)

    public var kind: String { "postgres" }

    /// Connects, applies pending migrations (once for the whole cluster) and checks the master key.
    /// - Parameter description: where the database is, for messages (host and database, never a password).
    public init(
        configuration: PostgresClient.Configuration, description: String, sealer: Sealer,
        clock: any WallClock = SystemClock(), instanceID: String? = nil, leaseDuration: Duration = .seconds(30),
        operationTimeout: Duration = .seconds(5), logger: Logger? = nil
    ) async throws {
        var configuration = configuration
        configuration.options.connectTimeout = .seconds(5)
        if configuration.options.maximumConnections == 20 { configuration.options.maximumConnections = 16 }
        let logger = logger ?? Logger(label: "tokend.store")
        self.logger = logger
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.sealer = sealer
        self.clock = clock
        self.leaseDuration = leaseDuration
        self.operationTimeout = operationTimeout
        self.locationDescription = description
        self.startedAt = clock.now()
        self.instanceID = instanceID ?? "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UInt32.random(in: 0...UInt32.max))"
        let client = self.client
        self.runTask = Mutex(Task { await client.run() })
        do {
            _ = try await withTimeout(.seconds(10)) {
                try await PostgresSchema.migrate(client, logger: logger)
            }
            try await verifyKey()
            try await heartbeat(inFlight: 0)
        } catch {
            await close()
            if let error = error as? StoreOpenError { throw error }
            if let error = error as? MasterKey.LoadError { throw error }
            throw StoreOpenError.unreachable("cannot open PostgreSQL database \(description): \(Self.describe(error))")
        }
    }

    /// Runs until graceful shutdown, then closes the pool: placed first in the service group, it stops last.
    public func run() async throws {
        try? await gracefulShutdown()
        await cancelWhenGracefulShutdown {}
    }

    public func close() async {
        // Leave the instance list at once rather than after two leases of silence.
        let me = instanceID
        _ = try? await withTimeout(.seconds(2)) {
            try await self.client.query("DELETE FROM instances WHERE id = \(me)", logger: self.logger)
        }
        let task = runTask.withLock { task -> Task<Void, Never>? in
            defer { task = nil }
            return task
        }
        task?.cancel()
        await task?.value
    }

    private func verifyKey() async throws {
        let check = sealer.fingerprint("tokend/key-check/v1")
        let stored: String? = try await write { connection in
            try await connection.query(
                "INSERT INTO settings (key, value) VALUES ('key_check', \(check)) ON CONFLICT (key) DO NOTHING",
                logger: self.logger)
            return try await Self.one(
                connection.query("SELECT value FROM settings WHERE key = 'key_check'", logger: self.logger), String.self)
        }
        guard stored == check else {
            throw MasterKey.LoadError(
                description: "the master key does not match the database \(locationDescription) (it was created with another key)")
        }
    }

    // MARK: Running statements

    /// Runs `body` in one transaction. Serialization failures and deadlocks are retried (a few times, with a
    /// short random pause); connection failures and timeouts become ``StoreError/unavailable(_:)``.
    @discardableResult
    func write<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                let client = self.client
                let logger = self.logger
                let value = try await withTimeout(operationTimeout) {
                    try await client.withTransaction(logger: logger) { connection in try await body(connection) }
                }
                return value
            } catch {
                let mapped = Self.map(error)
                if case .retryable = Self.classify(error), attempt < 5 {
                    try await Task.sleep(for: .milliseconds(Int.random(in: 2...20) * attempt))
                    continue
                }
                if case StoreError.unavailable = mapped { writeFault.store(true, ordering: .releasing) }
                throw mapped
            }
        }
    }

    /// Runs `body` on a pooled connection outside an explicit transaction (reads).
    func read<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        do {
            let client = self.client
            return try await withTimeout(operationTimeout) {
                try await client.withConnection { connection in try await body(connection) }
            }
        } catch {
            throw Self.map(error)
        }
    }

    public var writesFailing: Bool { writeFault.load(ordering: .acquiring) }

    public func probeWritable() async -> Bool {
        do {
            try await write { connection in
                try await connection.query(
                    "INSERT INTO settings (key, value) VALUES ('healthz-probe', 'x') ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    logger: self.logger)
            }
            writeFault.store(false, ordering: .releasing)
            return true
        } catch {
            return false
        }
    }

    public func databaseSize() async -> Int64 {
        (try? await read { connection in
            try await Self.one(
                connection.query("SELECT pg_database_size(current_database())", logger: self.logger), Int64.self)
        }) ?? 0
    }

    public func appliedMigrations() async throws -> [String] {
        try await read { connection in
            var versions: [String] = []
            for try await version in try await connection.query(
                "SELECT version FROM schema_migrations ORDER BY version", logger: self.logger
            ).decode(Int.self) {
                versions.append("pg-v\(version)")
            }
            return versions
        }
    }

    /// Checks what the database does not: every live token has sealed bytes, at most one terminal event per
    /// episode (also an index), and the audit triggers are in place.
    public func integrityCheck() async throws -> [String] {
        try await read { connection in
            var problems: [String] = []
            let unsealed = try await Self.one(
                connection.query(
                    "SELECT count(*) FROM tokens WHERE state IN ('active','revoking','failed') AND sealed IS NULL",
                    logger: self.logger), Int64.self) ?? 0
            if unsealed > 0 { problems.append("\(unsealed) live tokens without sealed bytes") }
            let triggers = try await Self.one(
                connection.query(
                    "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'audit'::regclass AND NOT tgisinternal AND tgenabled <> 'D'",
                    logger: self.logger), Int64.self) ?? 0
            if triggers < 2 { problems.append("the audit table's append-only triggers are missing or disabled") }
            return problems
        }
    }

    public func flush() async throws {}

    // MARK: Helpers

    /// The first column of the first row, if any.
    static func one<T: PostgresDecodable & Sendable>(_ rows: PostgresRowSequence, _ type: T.Type) async throws -> T?
    where T._DecodableType == T {
        for try await row in rows {
            return try row.makeRandomAccess()[0].decode(T?.self)
        }
        return nil
    }

    enum ErrorClass { case retryable, unavailable, uniqueViolation, other }

    static func sqlState(_ error: any Error) -> String? {
        if let error = error as? PSQLError { return error.serverInfo?[.sqlState] }
        if let error = error as? PostgresTransactionError {
            for inner in [error.closureError, error.commitError, error.beginError].compactMap({ $0 }) {
                if let state = sqlState(inner) { return state }
            }
        }
        return nil
    }

    static func classify(_ error: any Error) -> ErrorClass {
        if let state = sqlState(error) {
            switch state {
            case "40001", "40P01": return .retryable
            case "23505": return .uniqueViolation
            case _ where state.hasPrefix("08"), "57P01", "57P02", "57P03", "53300", "53100", "25006", "55P03":
                return .unavailable
            default: return .other
            }
        }
        if error is TimeoutError { return .unavailable }
        if let error = error as? PSQLError {
            switch error.code {
            case .server: return .other
            default: return .unavailable
            }
        }
        if let error = error as? PostgresTransactionError {
            for inner in [error.closureError, error.commitError, error.beginError].compactMap({ $0 }) {
                if inner is StoreError { return .other }
                let kind = classify(inner)
                if kind != .other { return kind }
            }
            return .other
        }
        if error is StoreError { return .other }
        return .unavailable
    }

    /// Our errors pass through; the database's become `unavailable` (cannot reach or write) or `internal`.
    static func map(_ error: any Error) -> any Error {
        if let error = error as? StoreError { return error }
        if let error = error as? PostgresTransactionError, let inner = error.closureError as? StoreError {
            return inner
        }
        switch classify(error) {
        case .unavailable, .retryable: return StoreError.unavailable("database unavailable: \(describe(error))")
        case .uniqueViolation, .other: return StoreError.internalError(describe(error))
        }
    }

    /// A readable description: PSQLError's own hides the server's message.
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                return "\(error.serverInfo?[.sqlState] ?? "?"): \(message)"
            }
            return "\(error.code)"
        }
        if let error = error as? PostgresTransactionError {
            if let inner = error.closureError ?? error.commitError ?? error.beginError { return describe(inner) }
        }
        if error is TimeoutError { return "no answer from the database in time" }
        return "\(error)"
    }
}

