import Foundation
import Logging
import Synchronization
import TokendCore
import TokendStore

/// One provider account's private pipeline: a bounded queue of claimed work, its own concurrency limit and
/// token-bucket rate. A slow or failing account fills only its own lane, never another's.
final class AccountLane: Sendable {
    private struct State {
        var account: Configuration.Account
        var queue = FIFO<Claim>()
        var inFlight = 0
        var bucket: TokenBucket
        var stopping = false
        var dispatcherWaiting: CheckedContinuation<Void, Never>?
    }

    private let state: Mutex<State>
    private let epoch = ContinuousClock.now

    init(account: Configuration.Account) {
        state = Mutex(State(account: account, bucket: TokenBucket(ratePerSecond: account.ratePerSecond, now: 0)))
    }

    var account: Configuration.Account { state.withLock { $0.account } }
    var name: String { state.withLock { $0.account.name } }
    var inFlight: Int { state.withLock { $0.inFlight } }

    /// How many more claims the lane accepts now: half a second of work at the configured rate (at most 4,096,
    /// at least four rounds of the concurrency), minus what it already holds. Bounded so memory does not grow
    /// with the backlog.
    var room: Int {
        state.withLock { state in
            let target = max(state.account.concurrency * 4, min(Int(state.account.ratePerSecond / 2), 4_096), 8)
            return max(0, target - state.queue.count - state.inFlight)
        }
    }

    /// Applies new limits from a reloaded configuration (SIGHUP) without dropping queued work.
    func reload(_ account: Configuration.Account) {
        let now = monotonicSeconds()
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.account.ratePerSecond != account.ratePerSecond {
                state.bucket = TokenBucket(ratePerSecond: account.ratePerSecond, now: now)
            }
            state.account = account
            defer { state.dispatcherWaiting = nil }
            return state.dispatcherWaiting
        }
        waiter?.resume()
    }

    func enqueue(_ claims: [Claim]) {
        guard !claims.isEmpty else { return }
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.queue.append(contentsOf: claims)
            defer { state.dispatcherWaiting = nil }
            return state.dispatcherWaiting
        }
        waiter?.resume()
    }

    /// Stops dispatching; returns the claims that were queued but never started.
    func stop() -> [Claim] {
        let (waiter, leftovers) = state.withLock { state -> (CheckedContinuation<Void, Never>?, [Claim]) in
            state.stopping = true
            let leftovers = state.queue.drain()
            defer { state.dispatcherWaiting = nil }
            return (state.dispatcherWaiting, leftovers)
        }
        waiter?.resume()
        return leftovers
    }

    private func monotonicSeconds() -> Double { (ContinuousClock.now - epoch).seconds }

    /// The lane's dispatcher: takes queued claims, waits for a concurrency slot and a rate permit, and runs
    /// `perform` for each in a child task. Returns after `stop()` once every started attempt has finished.
    func run(perform: @escaping @Sendable (Claim, Configuration.Account) async -> Void) async {
        await withDiscardingTaskGroup { group in
            while true {
                enum Step { case start(Claim, Configuration.Account), waitForWork, waitFor(Double), stop }
                let now = monotonicSeconds()
                let cancelled = Task.isCancelled
                let step = state.withLock { state -> Step in
                    if state.stopping || cancelled { return .stop }
                    guard !state.queue.isEmpty, state.inFlight < state.account.concurrency else { return .waitForWork }
                    if let wait = state.bucket.take(now: now) { return .waitFor(wait) }
                    state.inFlight += 1
                    return .start(state.queue.removeFirst(), state.account)
                }
                switch step {
                case .stop:
                    return
                case .waitFor(let seconds):
                    try? await Task.sleep(for: .microseconds(Int64(max(seconds, 0.0001) * 1_000_000)))
                case .waitForWork:
                    await withCheckedContinuation { continuation in
                        let resumeNow = state.withLock { state -> Bool in
                            if state.stopping
                                || (!state.queue.isEmpty && state.inFlight < state.account.concurrency)
                            {
                                return true
                            }
                            state.dispatcherWaiting = continuation
                            return false
                        }
                        if resumeNow { continuation.resume() }
                    }
                case .start(let claim, let account):
                    group.addTask {
                        await perform(claim, account)
                        let waiter = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
                            state.inFlight -= 1
                            defer { state.dispatcherWaiting = nil }
                            return state.dispatcherWaiting
                        }
                        waiter?.resume()
                    }
                }
            }
        }
    }
}
