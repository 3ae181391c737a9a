import Crypto
import Foundation
import GRDB
import Logging
import Synchronization
import Testing
import TokendCore

@testable import TokendSQLite
@testable import TokendStore
import TokendPostgres

/// A token store on a real SQLite file in a fresh temporary directory, with a manual clock.
struct StoreHarness {
    let directory: URL
    let clock: ManualClock
    let key: SymmetricKey
    let sealer: Sealer
    let store: any TokenStore
    let backend: StoreBackend
    /// The PostgreSQL database of this harness (nil on SQLite).
    let database: String?
    /// The store as SQLite, for the tests of that backend alone.
    var sqlite: SQLiteTokenStore { store as! SQLiteTokenStore }
    var path: String { sqlite.path }

    static let client = Actor.caller(uid: 1000, pid: 4242, role: .client)
    static let operatorActor = Actor.caller(uid: 1001, pid: 4243, role: .operator)

    init(key: SymmetricKey = SymmetricKey(size: .bits256), logger: Logger? = nil) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tokend-store-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        clock = ManualClock()
        self.key = key
        sealer = Sealer(masterKey: key)
        store = try SQLiteTokenStore(
            path: directory.appendingPathComponent("tokend.sqlite3").path, sealer: sealer, clock: clock,
            logger: logger)
        backend = .sqlite
        database = nil
    }

    private init(postgres database: String, key: SymmetricKey, logger: Logger?) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tokend-store-\(UUID().uuidString)", isDirectory: true)
        clock = ManualClock()
        self.key = key
        sealer = Sealer(masterKey: key)
        self.database = database
        backend = .postgres
        store = try await PostgresTokenStore(
            configuration: PostgresTestDatabase.configuration(database: database), description: database,
            sealer: sealer, clock: clock, logger: logger)
    }

    /// A harness on `backend`: a fresh SQLite file, or a fresh database on the test cluster.
    static func make(
        _ backend: StoreBackend, key: SymmetricKey = SymmetricKey(size: .bits256), logger: Logger? = nil
    ) async throws -> StoreHarness {
        switch backend {
        case .sqlite: try StoreHarness(key: key, logger: logger)
        case .postgres: try await StoreHarness(postgres: try await PostgresTestDatabase.create(), key: key, logger: logger)
        }
    }

    /// Another store instance on the same data (a restart; on PostgreSQL, another instance of the cluster).
    func reopen() async throws -> any TokenStore {
        switch backend {
        case .sqlite: try SQLiteTokenStore(path: path, sealer: sealer, clock: clock)
        case .postgres:
            try await PostgresTokenStore(
                configuration: PostgresTestDatabase.configuration(database: database!), description: database!,
                sealer: sealer, clock: clock)
        }
    }

    /// Audit actions of one token, oldest first, through the store (any backend).
    func auditActions(_ id: String) async throws -> [String] {
        try await store.audit(AuditQuery(tokenID: id, limit: 1_000)).events.reversed().map(\.action.rawValue)
    }

    func cleanup() { try? FileManager.default.removeItem(at: directory) }

    func newToken(
        _ raw: String, provider: ProviderKind = .fogbugz, account: String = "acme", owner: String = "alice",
        labels: [String: String] = [:], ttl: Duration = .seconds(3600), uid: UInt32 = 1000
    ) -> NewToken {
        NewToken(
            provider: provider, account: account, owner: owner, labels: labels, token: raw,
            expiresAt: clock.now().adding(ttl), registeredByUID: uid)
    }

    @discardableResult
    func register(
        _ raw: String, provider: ProviderKind = .fogbugz, account: String = "acme", owner: String = "alice",
        labels: [String: String] = [:], ttl: Duration = .seconds(3600)
    ) async throws -> TokenRecord {
        try await store.register(
            newToken(raw, provider: provider, account: account, owner: owner, labels: labels, ttl: ttl),
            actor: Self.client
        ).record
    }

    /// Drives `id` through the scheduler to a terminal provider outcome (`revoked`, `already_revoked`, `failed`).
    @discardableResult
    func finish(_ id: String, account: String = "acme", as decision: RetryPolicy.Decision) async throws -> TokenState {
        let record = try #require(try await store.token(id: id))
        if record.state == .active {
            _ = try await store.requestRevoke(id: id, reason: .requested, note: nil, actor: Self.operatorActor)
        }
        let claims = try await store.claimDue(account: account, limit: 1_000)
        let claim = try #require(claims.first { $0.id == id })
        return try await store.recordAttempt(
            claim, result: AttemptResult(outcome: .revoked, httpStatus: 200, duration: .milliseconds(5)),
            decision: decision)
    }

    func fail(_ id: String, account: String = "acme") async throws {
        try await finish(
            id, account: account, as: .fail(nextAttemptAt: clock.now().adding(.seconds(86_400)), error: "permanent: x"))
    }

    /// A plain GRDB connection to the same file, bypassing the store (as an attacker or a bug would).
    func rawQueue() throws -> DatabaseQueue {
        var configuration = GRDB.Configuration()
        configuration.busyMode = .timeout(5)
        return try DatabaseQueue(path: path, configuration: configuration)
    }

    /// Audit actions of one token, oldest first, as `(action, episode)`, through the store (any backend).
    func auditTrail(_ id: String) async throws -> [(action: String, episode: Int?)] {
        try await store.audit(AuditQuery(tokenID: id, limit: 1_000)).events.reversed().map { ($0.action.rawValue, $0.episode) }
    }

    func actions(_ id: String) async throws -> [String] { try await auditTrail(id).map(\.action) }
}

/// `StoreError.conflict` check that reports what was thrown instead.
func expectConflict(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async {
    do {
        try await body()
        Issue.record("expected a conflict, got success", sourceLocation: sourceLocation)
    } catch let error as StoreError {
        guard case .conflict = error else {
            Issue.record("expected a conflict, got \(error)", sourceLocation: sourceLocation)
            return
        }
    } catch {
        Issue.record("expected a conflict, got \(error)", sourceLocation: sourceLocation)
    }
}

/// A log handler that keeps every rendered line, to search them for secrets.
struct CapturingLogHandler: LogHandler {
    let lines: CapturedLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lines.append("\(event.level) \(event.message) \(metadata.merging(event.metadata ?? [:]) { $1 }) \(event.source)")
    }
}

final class CapturedLines: Sendable {
    private let storage = Mutex<[String]>([])
    func append(_ line: String) { storage.withLock { $0.append(line) } }
    var all: [String] { storage.withLock { $0 } }
}

extension DatabaseQueue {
    /// Synchronous read, usable from async tests without picking GRDB's async overload.
    func readSync<T>(_ body: (Database) throws -> T) throws -> T { try read(body) }
    /// Synchronous write, usable from async tests without picking GRDB's async overload.
    func writeSync<T>(_ body: (Database) throws -> T) throws -> T { try write(body) }
}
