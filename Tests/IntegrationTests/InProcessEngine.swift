import Crypto
import Foundation
import Logging
import TokendCore
import TokendEngine
import TokendFakeProviders
import TokendProviders
import TokendSQLite
import TokendStore

/// The real store, engine and HTTP client in-process, against fake providers on 127.0.0.1.
struct InProcessEngine {
    let directory: URL
    let store: SQLiteTokenStore
    let clients: ProviderClients
    let accounts: [Configuration.Account]

    init(fogbugz: FakeProviderServer, box: FakeProviderServer, timeout: Duration = .seconds(2), concurrency: Int = 4,
         key: SymmetricKey = SymmetricKey(size: .bits256), directory: URL? = nil, clock: any WallClock = SystemClock()) throws {
        self.directory = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("tokend-it-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        store = try SQLiteTokenStore(path: self.directory.appendingPathComponent("t.sqlite3").path, sealer: Sealer(masterKey: key), clock: clock)
        accounts = [
            Configuration.Account(name: "fb", api: .fogbugzXML, baseURL: fogbugz.baseURL, apiPath: "api.asp?",
                                  concurrency: concurrency, ratePerSecond: 5_000, timeout: timeout),
            Configuration.Account(name: "bx", api: .boxREST, baseURL: box.boxBaseURL, apiKey: Secret(FakeProviderOptions().apiKey),
                                  concurrency: concurrency, ratePerSecond: 5_000, timeout: timeout),
        ]
        clients = ProviderClients(accounts: accounts, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
    }

    static func schedule() -> Configuration.Schedule {
        var schedule = Configuration.Schedule()
        schedule.sweepInterval = .milliseconds(50)
        schedule.retryBase = .milliseconds(50)
        schedule.retryMaxDelay = .milliseconds(400)
        schedule.maxAttempts = 5
        schedule.breakerDueThreshold = 1_000_000
        return schedule
    }

    func scheduler(schedule: Configuration.Schedule = InProcessEngine.schedule(), startHeld: Bool = false) -> RevocationScheduler {
        RevocationScheduler(
            store: store, performer: clients, accounts: accounts,
            options: .init(schedule: schedule, startHeld: startHeld),
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
    }

    @discardableResult
    func register(_ token: String, account: String, expiresIn: Duration = .zero) async throws -> TokenRecord {
        try await store.register(
            NewToken(provider: account == "fb" ? .fogbugz : .box, account: account, owner: "it", labels: [:],
                     token: token, expiresAt: Date().adding(expiresIn), registeredByUID: 0),
            actor: .system("test")).record
    }

    func shutdown() async {
        try? await clients.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }
}


/// Runs `scheduler` while `body` runs.
func running<T>(_ scheduler: RevocationScheduler, _ body: () async throws -> T) async throws -> T {
    let task = Task { try await scheduler.run() }
    defer { task.cancel() }
    let value = try await body()
    task.cancel()
    _ = try? await task.value
    return value
}
