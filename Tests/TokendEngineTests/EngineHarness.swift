import Crypto
import Foundation
import Synchronization
import TokendCore
import TokendSQLite
import TokendStore

@testable import TokendEngine

/// A scripted in-process provider: per-account behaviour, every call counted.
final class ScriptedPerformer: LogoffPerformer {
    enum Behaviour: Sendable {
        case revoke
        case script([ProviderOutcome])  // then revoke
        case hang
        case delay(Duration)
    }
    private struct State {
        var behaviours: [String: Behaviour] = [:]
        var calls: [String: Int] = [:]  // by token
        var callsByAccount: [String: Int] = [:]
        var scriptIndex: [String: Int] = [:]
    }
    private let state = Mutex(State())

    func set(_ behaviour: Behaviour, for account: String) { state.withLock { $0.behaviours[account] = behaviour } }
    var totalCalls: Int { state.withLock { $0.calls.values.reduce(0, +) } }
    func calls(account: String) -> Int { state.withLock { $0.callsByAccount[account] ?? 0 } }
    func calls(token: String) -> Int { state.withLock { $0.calls[token] ?? 0 } }

    func logoff(account: Configuration.Account, token: String) async -> AttemptResult {
        let behaviour = state.withLock { state -> Behaviour in
            state.calls[token, default: 0] += 1
            state.callsByAccount[account.name, default: 0] += 1
            return state.behaviours[account.name] ?? .revoke
        }
        switch behaviour {
        case .revoke:
            return AttemptResult(outcome: .revoked, httpStatus: 200, duration: .milliseconds(1))
        case .delay(let duration):
            try? await Task.sleep(for: duration)
            return AttemptResult(outcome: .revoked, httpStatus: 200, duration: duration)
        case .hang:
            try? await Task.sleep(for: .seconds(3600))
            return AttemptResult(outcome: .transient(detail: "timeout", retryAfter: nil), httpStatus: nil, duration: .seconds(1))
        case .script(let outcomes):
            let outcome = state.withLock { state -> ProviderOutcome in
                let index = state.scriptIndex[token, default: 0]
                state.scriptIndex[token] = index + 1
                return index < outcomes.count ? outcomes[index] : .revoked
            }
            let status: Int? =
                switch outcome {
                case .transient: 503
                case .permanent: 400
                default: 200
                }
            return AttemptResult(outcome: outcome, httpStatus: status, duration: .milliseconds(1))
        }
    }
}

struct EngineHarness {
    let directory: URL
    let store: SQLiteTokenStore
    let performer = ScriptedPerformer()
    let accounts: [Configuration.Account]

    init(clock: any WallClock = SystemClock()) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tokend-engine-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try SQLiteTokenStore(
            path: directory.appendingPathComponent("t.sqlite3").path,
            sealer: Sealer(masterKey: SymmetricKey(size: .bits256)), clock: clock)
        accounts = [
            Configuration.Account(name: "fb", api: .fogbugzXML, baseURL: "http://127.0.0.1:1", concurrency: 4, ratePerSecond: 10_000),
            Configuration.Account(name: "bx", api: .boxREST, baseURL: "http://127.0.0.1:1", concurrency: 4, ratePerSecond: 10_000),
        ]
    }

    static func schedule() -> Configuration.Schedule {
        var schedule = Configuration.Schedule()
        schedule.sweepInterval = .milliseconds(50)
        schedule.retryBase = .milliseconds(20)
        schedule.retryMaxDelay = .milliseconds(200)
        schedule.maxAttempts = 4
        return schedule
    }

    var databasePath: String { directory.appendingPathComponent("t.sqlite3").path }

    func scheduler(
        schedule: Configuration.Schedule = EngineHarness.schedule(), startHeld: Bool = false,
        clock: any WallClock = SystemClock(), onLoop: @escaping @Sendable () -> Void = {}
    ) -> RevocationScheduler {
        RevocationScheduler(
            store: store, performer: performer, accounts: accounts,
            options: .init(schedule: schedule, startHeld: startHeld, jitter: { 0.5 }), clock: clock,
            onLoop: onLoop)
    }

    @discardableResult
    func register(_ token: String, account: String = "fb", expiresIn: Duration = .zero) async throws -> TokenRecord {
        let provider: ProviderKind = account == "fb" ? .fogbugz : .box
        return try await store.register(
            NewToken(
                provider: provider, account: account, owner: "alice", labels: [:], token: token,
                expiresAt: Date().adding(expiresIn), registeredByUID: 1000),
            actor: .caller(uid: 1000, pid: 1, role: .client)
        ).record
    }

    /// Polls `condition` every 10 ms up to `timeout`.
    func eventually(timeout: Duration = .seconds(5), _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return try await condition()
    }

    func cleanup() { try? FileManager.default.removeItem(at: directory) }
}

/// Runs `scheduler` for the duration of `body`, then cancels it and waits for it to stop.
func withRunning<T>(_ scheduler: RevocationScheduler, _ body: () async throws -> T) async throws -> T {
    let task = Task { try await scheduler.run() }
    do {
        let value = try await body()
        task.cancel()
        _ = try? await task.value
        return value
    } catch {
        task.cancel()
        _ = try? await task.value
        throw error
    }
}

/// A count shared with `@Sendable` callbacks (a `Mutex` itself cannot be captured by an escaping closure).
final class Counter: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    @Sendable func increment() { count.withLock { $0 += 1 } }
}
