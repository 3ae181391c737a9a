import CSQLiteTuning
import Foundation
import GRDB
import Logging
import Synchronization
import TokendCore
import TokendStore

#if canImport(Glibc)
import Glibc
#endif

/// The token registry and audit log on SQLite (WAL, `synchronous=NORMAL`).
///
/// Every state change is a compare-and-set `UPDATE … WHERE id = ? AND state = ?` plus its audit row in one
/// transaction; a lost race surfaces as ``StoreError/conflict(id:state:message:)``, never as an overwrite.
public final class SQLiteTokenStore: TokenStore {
    let pool: DatabasePool
    let sealer: Sealer
    let clock: any WallClock
    let logger: Logger
    /// Path of the database file.
    public let path: String
    /// Moves the WAL into the database file off the commit path.
    let checkpointer: Checkpointer
    /// Group commit of single registrations (see ``register(_:actor:limits:)``).
    let registrations: GroupCommit<QueuedRegistration, Result<Registration, any Error>>
    /// Set when a write fails as unavailable (full, read-only, I/O); cleared only by a successful
    /// ``probeWritable()``. A full database still takes small writes that fit into pages it already has, so one
    /// lucky write proves nothing, while the probe must allocate pages.
    private let writeFault = Atomic<Bool>(false)
    /// This process's last heartbeat (time, in-flight calls), for ``instances()``.
    let instance = Mutex<(at: Date?, inFlight: Int)>((nil, 0))
    let startedAt: Date
    /// The audit chain's head as last committed through this store (see ``ChainHeadCache``).
    let chainHead = ChainHeadCache()

    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    public init(path: String, sealer: Sealer, clock: any WallClock = SystemClock(), logger: Logger? = nil) throws {
        _ = Self.sqliteConfigured
        self.path = path
        self.sealer = sealer
        self.clock = clock
        self.logger = logger ?? Logger(label: "tokend.store")
        self.startedAt = clock.now()
        let box = WeakStoreBox()
        self.registrations = GroupCommit(maxGroup: 256) { items in
            guard let store = box.store else { return items.map { _ in .failure(StoreError.unavailable("store closed")) } }
            return await store.commitRegistrations(items)
        }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        var configuration = GRDB.Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(5)
        configuration.maximumReaderCount = 8
        configuration.prepareDatabase { db in
            try db.cachedStatement(sql: "PRAGMA synchronous = NORMAL").execute()
            try db.cachedStatement(sql: "PRAGMA secure_delete = ON").execute()
            // Checkpoints run on their own connection (see Checkpointer); this is the backstop.
            try db.cachedStatement(sql: "PRAGMA wal_autocheckpoint = \(Checkpointer.backstopPages)").execute()
            try db.cachedStatement(sql: "PRAGMA journal_size_limit = 67108864").execute()
        }
        // The database and its -wal/-shm files hold sealed tokens and the audit: owner-only.
        let oldMask = umask(0o077)
        defer { umask(oldMask) }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try Schema.migrator.migrate(pool)
        } catch {
            throw StoreError.map(error)
        }
        do {
            checkpointer = try Checkpointer(path: path)
        } catch {
            throw StoreError.map(error)
        }
        box.store = self
        try verifyKey()
        let checkpointer = self.checkpointer
        Task.detached { [box] in
            await checkpointer.run { box.store != nil }
        }
    }

    /// Applied once, before the first connection opens.
    private static let sqliteConfigured: Int32 = tokend_sqlite_configure()

    /// Refuses a master key other than the one the database was created with: opening with the wrong key
    /// would otherwise quarantine every row at its first due time.
    private func verifyKey() throws {
        let check = sealer.fingerprint("tokend/key-check/v1")
        let stored = try pool.write { db -> String? in
            if let existing = try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM settings WHERE key = 'key_check'")) {
                return existing
            }
            try db.cachedStatement(sql: "INSERT INTO settings (key, value) VALUES ('key_check', ?)").execute(arguments: [check])
            return check
        }
        guard stored == check else {
            throw MasterKey.LoadError(
                description: "the master key does not match the database \(path) (it was created with another key)")
        }
    }

    /// Test hook: caps the database size (`PRAGMA max_page_count`) on the writer connection to simulate a full
    /// disk; raise it again to simulate space returning.
    public func setMaxPageCount(_ pages: Int) throws {
        try pool.writeWithoutTransaction { db in try db.cachedStatement(sql: "PRAGMA max_page_count = \(pages)").execute() }
    }

    /// Current number of pages in the file (for the disk-full tests).
    public func pageCount() throws -> Int {
        try pool.read { db in try Int.fetchOne(db.cachedStatement(sql: "PRAGMA page_count")) ?? 0 }
    }

    /// Identifiers of the migrations applied to the file.
    public func appliedMigrations() throws -> [String] {
        try pool.read { db in try Schema.migrator.appliedIdentifiers(db).sorted() }
    }

    /// `PRAGMA integrity_check` (plus foreign keys); an empty array means the file is sound.
    public func integrityCheck() throws -> [String] {
        try pool.read { db in
            var problems = try String.fetchAll(db.cachedStatement(sql: "PRAGMA integrity_check")).filter { $0 != "ok" }
            let orphans = try Row.fetchAll(db.cachedStatement(sql: "PRAGMA foreign_key_check"))
            problems += orphans.map { "foreign key violation in \($0[0] as String? ?? "?")" }
            return problems
        }
    }

    /// Size of the database file plus its WAL, in bytes.
    public func databaseSize() -> Int64 {
        [path, path + "-wal"].reduce(Int64(0)) { total, file in
            let attributes = try? FileManager.default.attributesOfItem(atPath: file)
            return total + ((attributes?[.size] as? NSNumber)?.int64Value ?? 0)
        }
    }

    /// Checkpoints the WAL (used at shutdown and by tests that inspect the files).
    public func checkpoint() throws {
        // On the checkpointer's connection: two connections checkpointing at once make one fail with BUSY.
        try checkpointer.truncate()
    }

    /// Runs `body` in one write transaction, mapping database errors to ``StoreError``.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            let cache = chainHead
            return try await pool.write { db in try ChainHeadCache.$current.withValue(cache) { try body(db) } }
        } catch {
            let mapped = StoreError.map(error)
            if case StoreError.unavailable = mapped { writeFault.store(true, ordering: .releasing) }
            throw mapped
        }
    }

    /// True from a write failing as unavailable until ``probeWritable()`` succeeds: the engine starts no provider
    /// call meanwhile, since its outcome might not be recordable.
    public var writesFailing: Bool { writeFault.load(ordering: .acquiring) }

    /// Runs `body` on a read snapshot, mapping database errors to ``StoreError``.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(body)
        } catch {
            throw StoreError.map(error)
        }
    }

    /// Probes writability (used by `/healthz`, and by the scheduler while ``writesFailing``): a transaction that
    /// must allocate new pages (a 16 KiB row it deletes again), so a full disk or a size cap fails it even when
    /// in-place updates would still succeed.
    public func probeWritable() async -> Bool {
        do {
            try await write { db in
                try db.cachedStatement(sql: "INSERT INTO settings (key, value) VALUES ('healthz-probe', zeroblob(16384))").execute()
                try db.cachedStatement(sql: "DELETE FROM settings WHERE key = 'healthz-probe'").execute()
            }
            writeFault.store(false, ordering: .releasing)
            return true
        } catch {
            return false
        }
    }
}

extension StoreError {
    /// Maps GRDB/SQLite errors: full disk, read-only, I/O and lock timeouts are "unavailable".
    static func map(_ error: any Error) -> any Error {
        if error is StoreError { return error }
        if let db = error as? DatabaseError {
            switch db.resultCode {
            case .SQLITE_FULL, .SQLITE_READONLY, .SQLITE_IOERR, .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_CANTOPEN,
                .SQLITE_PROTOCOL, .SQLITE_NOLFS, .SQLITE_PERM:
                return StoreError.unavailable("\(db.resultCode): \(db.message ?? "")")
            default:
                return StoreError.internalError("\(db.resultCode): \(db.message ?? "")")
            }
        }
        return error
    }
}

/// Lets the registration queue reach its store without a reference cycle. Written once in `TokenStore.init`,
/// before the store is shared, then only read.
final class WeakStoreBox: @unchecked Sendable {
    weak var store: SQLiteTokenStore?
}
