import Foundation
import Logging
import Synchronization
import TokendCore
import TokendStore

/// One provider account's private pipeline: a bounded queue of claimed work, its own concurrency limit and
/// token-bucket rate. A slow or failing account fills only its own lane, never another's.
///
/// An attempt has two phases: the provider call, which holds one of the account's `concurrency` slots, and
/// the durable record of its outcome, which holds one of `recordingLimit` slots. Splitting them lets the next
/// call start while the last outcome waits for its group commit; bounding the second keeps the number of
/// provider calls whose outcome is not yet on disk small (and at zero new calls while the store refuses writes).
final class AccountLane: Sendable {
    /// The durable record of one finished provider call.
    typealias Finish = @Sendable () async -> Void

    private struct State {
        var account: Configuration.Account
        var queue = FIFO<Claim>()
        var inFlight = 0
        var recording = 0
        var bucket: TokenBucket
        /// Permits taken from the cluster-wide bucket and not yet used (shared rate only).
        var sharedPermits = 0
        /// Claims whose provider call or outcome record is under way, by token id (their leases are renewed).
        var started: [String: Claim] = [:]
        var stopping = false
        var dispatcherWaiting: CheckedContinuation<Void, Never>?
    }

    private let state: Mutex<State>
    private let epoch = ContinuousClock.now
    /// Where rate permits come from when the rate holds for a whole cluster (`nil`: the lane's own bucket).
    private let sharedRate: SharedRate?

    /// Takes up to `wanted` permits for `account` from a bucket shared by every instance; returns how many.
    typealias SharedRate = @Sendable (_ account: Configuration.Account, _ wanted: Int) async -> Int

    init(account: Configuration.Account, sharedRate: SharedRate? = nil) {
        state = Mutex(State(account: account, bucket: TokenBucket(ratePerSecond: account.ratePerSecond, now: 0)))
        self.sharedRate = sharedRate
    }

    /// Every claim the lane holds: queued, at the provider, or being recorded.
    var heldClaims: [Claim] {
        state.withLock { Array($0.queue.elements) + Array($0.started.values) }
    }

    var account: Configuration.Account { state.withLock { $0.account } }
    var name: String { state.withLock { $0.account.name } }
    var inFlight: Int { state.withLock { $0.inFlight } }
    /// Holds no claim: none queued, none at the provider, none being recorded.
    var isIdle: Bool { state.withLock { $0.queue.isEmpty && $0.inFlight == 0 && $0.recording == 0 } }

    /// A new call starts only while fewer outcomes than this wait for their commit (calls already in flight may
    /// add to them), so at most twice the concurrency of attempts are ever unrecorded.
    private static func recordingLimit(_ account: Configuration.Account) -> Int { account.concurrency }

    private static func canStart(_ state: State) -> Bool {
        !state.queue.isEmpty && state.inFlight < state.account.concurrency
            && state.recording < recordingLimit(state.account)
    }

    /// How many more claims the lane accepts now: half a second of work at the configured rate (at most 4,096,
    /// at least four rounds of the concurrency), minus what it already holds. Bounded so memory does not grow
    /// with the backlog.
    var room: Int {
        state.withLock { state in
            // On a shared store every queued claim is a lease to renew and a possible duplicate call if this
            // instance dies: hold only what the concurrency can start soon.
            let target =
                sharedRate != nil
                ? max(state.account.concurrency * 4, 8)
                : max(state.account.concurrency * 4, min(Int(state.account.ratePerSecond / 2), 4_096), 8)
            return max(0, target - state.queue.count - state.inFlight - state.recording)
        }
    }

    /// Applies new limits from a reloaded configuration (SIGHUP) without dropping queued work.
    func reload(_ account: Configuration.Account) {
        let now = monotonicSeconds()
        update { state in
            if state.account.ratePerSecond != account.ratePerSecond {
                state.bucket = TokenBucket(ratePerSecond: account.ratePerSecond, now: now)
            }
            state.account = account
        }
    }

    func enqueue(_ claims: [Claim]) {
        guard !claims.isEmpty else { return }
        update { $0.queue.append(contentsOf: claims) }
    }

    /// Stops dispatching; returns the claims that were queued but never started.
    func stop() -> [Claim] {
        update { state in
            state.stopping = true
            return state.queue.drain()
        }
    }

    private func monotonicSeconds() -> Double { (ContinuousClock.now - epoch).seconds }

    /// The lane's dispatcher: takes queued claims, waits for a concurrency slot, a recording slot and a rate
    /// permit, and runs `perform` (the provider call) and then the `Finish` it returns (the durable record) for
    /// each in a child task. While `gate` is closed (the store refuses writes) no new call starts. Returns after
    /// `stop()` once every started attempt has been recorded.
    func run(
        gate: @escaping @Sendable () -> Bool = { true },
        perform: @escaping @Sendable (Claim, Configuration.Account) async -> Finish
    ) async {
        await withDiscardingTaskGroup { group in
            while true {
                enum Step {
                    case start(Claim, Configuration.Account), waitForWork, waitFor(Double), refill(Configuration.Account), stop
                }
                let shared = sharedRate != nil
                let now = monotonicSeconds()
                let cancelled = Task.isCancelled
                let open = gate()
                let step = state.withLock { state -> Step in
                    if state.stopping || cancelled { return .stop }
                    guard Self.canStart(state) else { return .waitForWork }
                    // Polled: whatever reopens the store does not know about lanes.
                    guard open else { return .waitFor(0.05) }
                    if shared {
                        guard state.sharedPermits > 0 else { return .refill(state.account) }
                        state.sharedPermits -= 1
                    } else if let wait = state.bucket.take(now: now) {
                        return .waitFor(wait)
                    }
                    state.inFlight += 1
                    let claim = state.queue.removeFirst()
                    state.started[claim.id] = claim
                    return .start(claim, state.account)
                }
                switch step {
                case .stop:
                    return
                case .waitFor(let seconds):
                    try? await Task.sleep(for: .microseconds(Int64(max(seconds, 0.0001) * 1_000_000)))
                case .refill(let account):
                    await refillSharedPermits(account)
                case .waitForWork:
                    await withCheckedContinuation { continuation in
                        let resumeNow = state.withLock { state -> Bool in
                            if state.stopping || Self.canStart(state) {
                                return true
                            }
                            state.dispatcherWaiting = continuation
                            return false
                        }
                        if resumeNow { continuation.resume() }
                    }
                case .start(let claim, let account):
                    group.addTask {
                        let finish = await perform(claim, account)
                        self.update { state in
                            state.inFlight -= 1
                            state.recording += 1
                        }
                        await finish()
                        self.update { state in
                            state.recording -= 1
                            state.started[claim.id] = nil
                        }
                    }
                }
            }
        }
    }

    /// Takes a fiftieth of a second's worth of permits (at least one, at most the concurrency) from the shared
    /// bucket; when none is left, waits as long as the bucket needs to grant that many again.
    private func refillSharedPermits(_ account: Configuration.Account) async {
        guard let sharedRate else { return }
        let wanted = max(1, min(account.concurrency, Int(account.ratePerSecond / 50)))
        let granted = await sharedRate(account, wanted)
        if granted > 0 {
            update { $0.sharedPermits += granted }
        } else {
            let seconds = max(Double(wanted) / max(account.ratePerSecond, 0.001), 0.005)
            try? await Task.sleep(for: .microseconds(Int64(min(seconds, 1) * 1_000_000)))
        }
    }

    /// Changes the lane's state and wakes the dispatcher if it waits: every change may let it start work.
    @discardableResult
    private func update<T: Sendable>(_ change: (inout State) -> T) -> T {
        let (waiter, result) = state.withLock { state -> (CheckedContinuation<Void, Never>?, T) in
            let result = change(&state)
            defer { state.dispatcherWaiting = nil }
            return (state.dispatcherWaiting, result)
        }
        waiter?.resume()
        return result
    }
}
