import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TokendAudit
import TokendCore
import TokendStore

/// The one scheduler of the daemon: a single loop over the store's due indexes (no timer per token, nothing
/// loaded at start-up) that claims due work oldest-first in bounded batches and feeds per-account lanes.
///
/// It wakes at the earliest of: the next due instant (queried), ``wake()``, ``sweep()``, and `sweep_interval`.
public final class RevocationScheduler: Service, RevocationControl {
    /// Tunables beyond the config file's `[schedule]`.
    public struct Options: Sendable {
        public var schedule: Configuration.Schedule
        /// Start in hold (`tokend serve --hold`).
        public var startHeld: Bool
        /// Audit retention (`[audit] retain`); pruned in small batches from the loop.
        public var auditRetain: Duration?
        /// Signs audit checkpoints (genesis at start, then every `checkpointInterval`) and retention's prune
        /// checkpoints; without it neither runs.
        public var auditSigner: CheckpointSigner?
        public var checkpointInterval: Duration = .seconds(3_600)
        /// Source of jitter in `0..<1` for retry backoff.
        public var jitter: @Sendable () -> Double

        public init(
            schedule: Configuration.Schedule, startHeld: Bool = false, auditRetain: Duration? = nil,
            jitter: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
        ) {
            self.schedule = schedule
            self.startHeld = startHeld
            self.auditRetain = auditRetain
            self.jitter = jitter
        }
    }

    struct State {
        var options: Options
        var hold = HoldState(held: false, reason: nil)
        var holdPersisted = false
        var health: [String: HealthTracker] = [:]
        var lastLoopAt: Date?
        var shuttingDown = false
        var stalled = false
        /// Tokens forgotten under a claim (``forgotten(id:)``); checked before each provider call, so it stays
        /// empty, and the check costs nothing, unless an admin forgets claimed tokens.
        var forgotten: Set<String> = []
    }

    let store: any TokenStore
    private let performer: any LogoffPerformer
    let clock: any WallClock
    let logger: Logger
    let lanes: [AccountLane]
    let state: Mutex<State>
    let signal = WakeSignal()
    let metrics = EngineMetrics()
    private let onLoop: @Sendable () -> Void
    private let recorder: OutcomeRecorder
    private let writable = AtomicFlag(true)
    /// False while outcomes cannot be committed: lanes start no provider call whose outcome could not be recorded.
    private let recording = AtomicFlag(true)
    /// Bound tokens past their heartbeat deadline (UnboundSweeper.swift).
    private let unbound: UnboundSweeper
    /// Bulk jobs still marking (BulkMarker.swift).
    private let bulk: BulkMarker

    /// - Parameter onLoop: called at each pass of the loop (the systemd watchdog heartbeat hangs here, so a stuck
    ///   scheduler stops the pings).
    public init(
        store: any TokenStore, performer: any LogoffPerformer, accounts: [Configuration.Account], options: Options,
        clock: any WallClock = SystemClock(), logger: Logger = Logger(label: "tokend.engine"),
        onLoop: @escaping @Sendable () -> Void = {}
    ) {
        self.store = store
        self.performer = performer
        self.clock = clock
        self.logger = logger
        self.onLoop = onLoop
        if store.isShared {
            // The account's rate holds for the cluster: permits come from the store's shared bucket.
            self.lanes = accounts.map { account in
                AccountLane(account: account) { account, wanted in
                    // A twentieth of a second of burst: with permits taken in small grants (AccountLane), the
                    // calls of any one-second window stay within rate × 1.1 for the whole cluster.
                    let burst = max(1, account.ratePerSecond / 20)
                    return (try? await store.takeRatePermits(
                        account: account.name, wanted: wanted, ratePerSecond: account.ratePerSecond, burst: burst)) ?? 0
                }
            }
        } else {
            self.lanes = accounts.map { AccountLane(account: $0) }
        }
        self.unbound = UnboundSweeper(store: store, clock: clock, logger: logger)
        self.bulk = BulkMarker(store: store, logger: logger)
        var initial = State(options: options)
        for account in accounts { initial.health[account.name] = HealthTracker(provider: account.provider) }
        self.state = Mutex(initial)
        let writable = self.writable, recording = self.recording
        self.recorder = OutcomeRecorder(store: store, logger: logger) { unavailable in
            writable.set(!unavailable)
            recording.set(!unavailable)
        }
    }

    // MARK: RevocationControl

    public func wake() { signal.signal() }

    public func sweep() { signal.signal() }

    public func forgotten(id: String) { state.withLock { _ = $0.forgotten.insert(id) } }

    public func hold(reason: String, actor: Actor) async throws {
        try await setHold(HoldState(held: true, reason: reason), actor: actor, persist: true)
    }

    public func resume(actor: Actor) async throws {
        try await setHold(HoldState(held: false, reason: nil), actor: actor, persist: true)
        signal.signal()
    }

    public func waitForTerminal(id: String, timeout: Duration) async throws -> TokenRecord? {
        let deadline = ContinuousClock.now + timeout
        var pause = Duration.milliseconds(10)
        while true {
            let record = try await store.token(id: id)
            if let record, record.state.isTerminal { return record }
            let now = ContinuousClock.now
            if record == nil || now >= deadline { return record }
            try await Task.sleep(for: min(pause, deadline - now))
            pause = min(pause * 2, .milliseconds(200))
        }
    }

    public func status() -> EngineStatus {
        let inFlight = Dictionary(uniqueKeysWithValues: lanes.map { ($0.name, $0.inFlight) })
        return state.withLock { state in
            EngineStatus(
                hold: state.hold.held, holdReason: state.hold.reason,
                accounts: state.health.sorted { $0.key < $1.key }.map { name, tracker in
                    tracker.snapshot(account: name, inFlight: inFlight[name] ?? 0)
                },
                lastLoopAt: state.lastLoopAt)
        }
    }

    /// Whether the last write of attempt outcomes succeeded (for `/healthz`).
    public var storeAvailable: Bool { writable.isSet }

    /// Applies reloaded account limits and schedule (SIGHUP). Accounts added or removed need a restart.
    public func reload(accounts: [Configuration.Account], schedule: Configuration.Schedule) {
        for lane in lanes {
            if let account = accounts.first(where: { $0.name == lane.name }) { lane.reload(account) }
        }
        state.withLock { $0.options.schedule = schedule }
        signal.signal()
    }

    /// Test hook: a stalled scheduler stops calling `onLoop` (and so stops watchdog pings).
    public func stallForTesting(_ stalled: Bool) { state.withLock { $0.stalled = stalled } }

    // MARK: Service

    public func run() async throws {
        let released = try await store.releaseStaleLeases()
        if released > 0 { logger.notice("released leases of an earlier run", metadata: ["count": "\(released)"]) }
        let persisted = try await store.holdState()
        if persisted.held {
            state.withLock {
                $0.hold = persisted
                $0.holdPersisted = true
            }
            logger.warning("starting in hold (persisted)", metadata: ["reason": "\(persisted.reason ?? "")"])
        }
        let options = state.withLock { $0.options }
        if options.startHeld && !persisted.held {
            // In effect even if its audit row cannot be written (setHold logged that): not a reason to exit.
            try? await setHold(
                HoldState(held: true, reason: "start-up flag --hold"), actor: .system("startup"), persist: false)
        }
        await checkBreaker(context: "start-up")

        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for lane in lanes {
                    group.addTask {
                        // Closed while outcomes cannot be committed, or while the store reports failing writes:
                        // claims queued before the fault wait instead of calling the provider.
                        await lane.run(gate: { self.recording.isSet && !self.store.writesFailing }) { claim, account in
                            await self.perform(claim, account, lane)
                        }
                    }
                }
                if let signer = options.auditSigner {
                    group.addTask { await self.checkpoints(signer: signer, interval: options.checkpointInterval) }
                    if let retain = options.auditRetain {
                        group.addTask { await self.retention(retain: retain, signer: signer) }
                    }
                }
                let duties = Task { await self.clusterDuties() }
                let listener = Task { await self.store.listenForWork { self.signal.signal() } }
                await loop()
                listener.cancel()
                duties.cancel()
                await duties.value
                var leftovers: [Claim] = []
                for lane in lanes { leftovers += lane.stop() }
                do {
                    try await store.release(leftovers)
                } catch {
                    logger.error("cannot release queued claims at shutdown", metadata: ["error": "\(error)"])
                }
            }
        } onGracefulShutdown: {
            self.state.withLock { $0.shuttingDown = true }
            self.signal.signal()
        }
        logger.info("scheduler stopped")
    }

    private func loop() async {
        var lastWall = clock.now()
        var lastMonotonic = ContinuousClock.now
        while true {
            let (shuttingDown, stalled, held, options) = state.withLock {
                ($0.shuttingDown, $0.stalled, $0.hold.held, $0.options)
            }
            if shuttingDown || Task.isCancelled { return }
            if stalled {
                await signal.wait(timeout: .milliseconds(50))
                continue
            }
            let passStarted = ContinuousClock.now
            onLoop()
            let wallNow = clock.now()
            state.withLock { $0.lastLoopAt = wallNow }

            // A wall-clock jump (restore, NTP step) can make a mass of tokens due at once: check the breaker.
            let wallElapsed = Duration.milliseconds(wallNow.unixMillis - lastWall.unixMillis)
            if options.schedule.breaker.check(wallElapsed: wallElapsed, monotonicElapsed: passStarted - lastMonotonic)
                != nil
            {
                logger.warning("wall clock jumped", metadata: ["by_ms": "\((wallElapsed - (passStarted - lastMonotonic)).milliseconds)"])
                await checkBreaker(context: "clock jump")
            }
            lastWall = wallNow
            lastMonotonic = passStarted

            var moreWork = false
            var storeFailing = false
            if !held {
                // Fail closed: while writes fail, nothing is claimed (a claim may still fit into the pages of a
                // full file, but its attempt's outcome might not); a page-allocating probe each pass decides
                // when space has returned.
                if store.writesFailing, await !store.probeWritable() {
                    storeFailing = true
                    writable.set(false)
                } else {
                    let moreUnbound = await unbound.sweep()
                    let moreBulk = await bulk.step()
                    moreWork = await claimPass(options: options) || moreUnbound || moreBulk
                }
            }

            let timeout: Duration
            if moreWork {
                timeout = .milliseconds(5)
            } else if held || storeFailing {
                timeout = options.schedule.sweepInterval
            } else {
                timeout = await unbound.clamp(untilNextDue(options: options))
            }
            await signal.wait(timeout: timeout)
            // Coalesce bursts of wake-ups (a registration storm) into at most ~200 passes a second.
            let elapsed = ContinuousClock.now - passStarted
            if elapsed < .milliseconds(5) { try? await Task.sleep(for: .milliseconds(5) - elapsed) }
        }
    }

    /// Claims for every lane that has room; returns whether any lane may have more due work right now.
    private func claimPass(options: Options) async -> Bool {
        // Claims enter lanes only here, so while every lane is empty no claim is in memory: a forget heard after
        // its claim's call had finished leaves an entry nothing would remove, and this is the moment to drop it.
        if state.withLock({ !$0.forgotten.isEmpty }) && lanes.allSatisfy(\.isIdle) {
            state.withLock { $0.forgotten.removeAll() }
        }
        var more = false
        for lane in lanes {
            let room = min(lane.room, options.schedule.claimBatch)
            guard room > 0 else { continue }
            do {
                let claims = try await store.claimDue(
                    account: lane.name, limit: room, revokeBeforeExpiry: options.schedule.revokeBeforeExpiry)
                writable.set(true)
                lane.enqueue(claims)
                if claims.count == room { more = true }
            } catch {
                writable.set(false)
                logger.error(
                    "cannot claim due work", metadata: ["account": "\(lane.name)", "error": "\(error)"])
            }
        }
        return more
    }

    private func untilNextDue(options: Options) async -> Duration {
        var next: Date?
        for lane in lanes where lane.room > 0 {
            if let due = try? await store.nextDue(
                account: lane.name, revokeBeforeExpiry: options.schedule.revokeBeforeExpiry)
            {
                next = min(next ?? due, due)
            }
        }
        guard let next else { return options.schedule.sweepInterval }
        let millis = max(0, next.unixMillis - clock.now().unixMillis + 1)
        return min(.milliseconds(millis), options.schedule.sweepInterval)
    }

    /// The provider call for `claim`; returns the durable record of its outcome, which the lane runs after
    /// giving the call's concurrency slot back.
    private func perform(_ claim: Claim, _ account: Configuration.Account, _ lane: AccountLane) async
        -> AccountLane.Finish
    {
        enum Skip { case drop, release }
        let cancelled = Task.isCancelled
        // Under the lock `forgotten(id:)` takes: once the engine has heard of a forget, no call for it starts.
        let skip = state.withLock { state -> Skip? in
            if !state.forgotten.isEmpty && state.forgotten.remove(claim.id) != nil { return .drop }
            return cancelled || state.hold.held || state.shuttingDown ? .release : nil
        }
        switch skip {
        case .drop:
            // Out of custody: nothing to send, and nothing to release (the forget cleared the lease).
            logger.info("claim dropped: token forgotten", metadata: ["token_id": "\(claim.id)"])
            if lane.room > 0 { signal.signal() }
            return {}
        case .release:
            // Hold (or shutdown) began after the claim: no provider call; the token waits as `revoking`.
            try? await store.release([claim])
            if lane.room > 0 { signal.signal() }
            return {}
        case nil:
            break
        }
        let result = await performer.logoff(account: account, token: claim.token)
        return { await self.finish(claim, result, lane) }
    }

    /// Commits one attempt (audit `attempt` plus the outcome's transition), then metrics and the log line.
    private func finish(_ claim: Claim, _ result: AttemptResult, _ lane: AccountLane) async {
        defer { if lane.room > 0 { signal.signal() } }
        let options = state.withLock { $0.options }
        let decision = options.schedule.retryPolicy.decide(
            outcome: result.outcome, attempt: claim.attempts + 1, now: clock.now(), jitter: options.jitter())
        let finalState = await recorder.record(AttemptRecord(claim: claim, result: result, decision: decision))

        metrics.attempt(provider: claim.provider, account: claim.account, result: result)
        // `forgotten` here means the token was forgotten while the call was in flight: the forget is its
        // outcome, not this attempt, and it is no revocation.
        if let finalState, finalState.isTerminal, finalState != .forgotten {
            metrics.revocation(provider: claim.provider, account: claim.account, outcome: finalState.rawValue)
        }
        let now = clock.now()
        state.withLock { state in
            state.health[claim.account]?.record(result.outcome, at: now)
            // A forget heard while this call was in flight: there is no claim left to drop.
            if !state.forgotten.isEmpty { state.forgotten.remove(claim.id) }
        }
        let level: Logger.Level
        switch result.outcome {
        case .revoked, .alreadyRevoked: level = .info
        case .transient, .permanent: level = .warning
        }
        guard logger.logLevel <= level else { return }
        var metadata: Logger.Metadata = [
            "token_id": "\(claim.id)", "provider": "\(claim.provider.rawValue)", "account": "\(claim.account)",
            "outcome": "\(result.outcome.name)", "attempt": "\(claim.attempts + 1)",
            "duration_ms": "\(result.duration.milliseconds)",
        ]
        if let status = result.httpStatus { metadata["http_status"] = "\(status)" }
        if let detail = result.outcome.detail { metadata["detail"] = "\(detail)" }
        logger.log(level: level, "logoff", metadata: metadata)
    }
}

/// A shareable atomic boolean (a `Mutex`/`Atomic` itself cannot be captured by escaping closures).
final class AtomicFlag: Sendable {
    private let value: Atomic<Bool>
    init(_ initial: Bool) { value = Atomic(initial) }
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set(_ newValue: Bool) { value.store(newValue, ordering: .releasing) }
}
