import Crypto
import Foundation
import Logging
import Synchronization
import TokendCore
import TokendEngine
import TokendFakeProviders
import TokendProviders
import TokendSQLite
import TokendStore

/// End-to-end revocations/s next to the fake provider's raw capacity, and expiry lateness.
enum EngineBenchmark {
    static let concurrency = Int(ProcessInfo.processInfo.environment["BENCH_CONC"] ?? "32")!

    static func account(_ fake: FakeProviderServer, name: String = "fb") -> Configuration.Account {
        Configuration.Account(
            name: name, api: .fogbugzXML, baseURL: fake.baseURL, apiPath: "api.asp?", concurrency: concurrency,
            ratePerSecond: 1_000_000, timeout: .seconds(10))
    }

    /// Raw capacity: the same HTTP client stack hammering the fake with `concurrency` calls in flight.
    static func rawCapacity(fake: FakeProviderServer, seconds: Double) async -> Rate {
        let cpuStart = processCPUSeconds()
        let clients = ProviderClients(accounts: [account(fake)], logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() })
        let acct = account(fake)
        let done = SharedCounter()
        let start = ContinuousClock.now
        let stop = start + .milliseconds(Int64(seconds * 1000))
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var index = 0
                    while ContinuousClock.now < stop {
                        _ = await clients.logoff(account: acct, token: "raw-\(worker)-\(index)")
                        index += 1
                        done.add(1)
                    }
                }
            }
        }
        let elapsed = (ContinuousClock.now - start).seconds
        let cpu = processCPUSeconds() - cpuStart
        try? await clients.shutdown()
        return Rate(
            perSecond: Double(done.total) / elapsed, cpuMicros: cpu * 1e6 / Double(done.total),
            utilisation: cpu / elapsed / Double(ProcessInfo.processInfo.activeProcessorCount))
    }

    static func makeStore(_ directory: URL) throws -> SQLiteTokenStore {
        try SQLiteTokenStore(
            path: directory.appendingPathComponent("bench.sqlite3").path,
            sealer: Sealer(masterKey: SymmetricKey(size: .bits256)))
    }

    /// Inserts `count` tokens of account `fb`, `expiresAt(i)` each, in batches.
    static func populate(
        _ store: SQLiteTokenStore, fake: FakeProviderServer?, count: Int, prefix: String, owner: (Int) -> String = { _ in "bench" },
        expiresAt: (Int) -> Date
    ) async throws {
        var index = 0
        while index < count {
            let end = min(index + 1_000, count)
            let batch = (index..<end).map { i in
                NewToken(
                    provider: .fogbugz, account: "fb", owner: owner(i), labels: [:], token: "\(prefix)-\(i)",
                    expiresAt: expiresAt(i), registeredByUID: 1000)
            }
            fake?.issue(contentsOf: batch.map(\.token))
            _ = try await store.registerBatch(batch, actor: .system("bench"))
            index = end
        }
    }

    static func schedule() -> Configuration.Schedule {
        var schedule = Configuration.Schedule()
        schedule.breakerDueThreshold = 10_000_000
        schedule.claimBatch = Int(ProcessInfo.processInfo.environment["BENCH_CLAIM"] ?? "2000")!
        schedule.sweepInterval = .milliseconds(200)
        return schedule
    }

    /// Revokes `count` already-expired tokens and returns revocations per second.
    static func endToEnd(fake: FakeProviderServer, count: Int) async throws -> Rate {
        let directory = try Scratch.make("e2e")
        defer { Scratch.remove(directory) }
        let store = try makeStore(directory)
        try await populate(store, fake: fake, count: count, prefix: "e2e") { _ in Date().addingTimeInterval(-1) }
        let clients = ProviderClients(accounts: [account(fake)], logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() })
        let scheduler = RevocationScheduler(
            store: store, performer: clients, accounts: [account(fake)], options: .init(schedule: schedule()),
            logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() })
        let start = ContinuousClock.now
        let cpuStart = processCPUSeconds()
        let task = Task { try await scheduler.run() }
        while true {
            let counts = try await store.stateCounts().byState
            if (counts[.revoked] ?? 0) + (counts[.alreadyRevoked] ?? 0) + (counts[.failed] ?? 0) >= count { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let elapsed = (ContinuousClock.now - start).seconds
        let cpu = processCPUSeconds() - cpuStart
        task.cancel()
        _ = await task.result
        try? await clients.shutdown()
        return Rate(
            perSecond: Double(count) / elapsed, cpuMicros: cpu * 1e6 / Double(count),
            utilisation: cpu / elapsed / Double(ProcessInfo.processInfo.activeProcessorCount))
    }

    /// `count` tokens fall due uniformly within `window` seconds; returns lateness p50/p99/max in seconds.
    static func lateness(fake: FakeProviderServer, count: Int, window: Double) async throws -> (Double, Double, Double) {
        let directory = try Scratch.make("late")
        defer { Scratch.remove(directory) }
        let store = try makeStore(directory)
        // The first expiry lies after the population finishes (about 10,000/s here), so no token is overdue
        // before the scheduler even starts.
        let base = Date().addingTimeInterval(5 + Double(count) / 5_000)
        try await populate(store, fake: fake, count: count, prefix: "late") { i in
            base.addingTimeInterval(window * Double(i) / Double(count))
        }
        let clients = ProviderClients(accounts: [account(fake)], logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() })
        let scheduler = RevocationScheduler(
            store: store, performer: clients, accounts: [account(fake)], options: .init(schedule: schedule()),
            logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() })
        let task = Task { try await scheduler.run() }
        while true {
            let counts = try await store.stateCounts().byState
            if (counts[.revoked] ?? 0) + (counts[.alreadyRevoked] ?? 0) + (counts[.failed] ?? 0) >= count { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        task.cancel()
        _ = await task.result
        try? await clients.shutdown()
        var late: [Double] = []
        var cursor: TokenCursor?
        repeat {
            let page = try await store.list(TokenFilter(), limit: 1_000, after: cursor)
            for record in page.tokens {
                late.append(max(0, (record.revokedAt ?? Date()).timeIntervalSince(record.expiresAt)))
            }
            cursor = page.nextCursor
        } while cursor != nil
        late.sort()
        return (Stats.percentile(late, 0.5), Stats.percentile(late, 0.99), late.last ?? 0)
    }
}

enum Scratch {
    static func make(_ name: String) throws -> URL {
        let url = URL(fileURLWithPath: "/tmp/tokend-bench-\(name)-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
    static func remove(_ url: URL) { try? FileManager.default.removeItem(at: url) }
}

/// CPU seconds (user + system) this process has used: with the fake provider, the HTTP client, the engine
/// and the store in one process, CPU per operation shows where the 2-core ceiling lies.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1_000_000 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// Throughput plus the CPU it cost.
struct Rate {
    var perSecond: Double
    /// CPU microseconds per operation, all threads of this process.
    var cpuMicros: Double
    /// Share of all cores busy in this process during the run.
    var utilisation: Double
}

enum Stats {
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
    }
}

/// Shareable counters for benchmark workers (`Atomic`/`Mutex` themselves can't be captured).
final class SharedCounter: Sendable {
    private let value = Atomic<Int>(0)
    func add(_ n: Int) { value.add(n, ordering: .relaxed) }
    var total: Int { value.load(ordering: .relaxed) }
}

final class SharedSamples: Sendable {
    private let values = Mutex<[Double]>([])
    func append(_ samples: [Double]) { values.withLock { $0.append(contentsOf: samples) } }
    var sorted: [Double] { values.withLock { $0.sorted() } }
}
