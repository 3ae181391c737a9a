#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A liveness stamp that a busy loop (the scheduler) bumps on every iteration.
///
/// ``WatchdogService`` pings systemd only while the heartbeat is fresh, so a stuck scheduler stops the pings and
/// systemd restarts the daemon. ``beat()`` is one relaxed atomic store: cheap enough for every loop turn.
///
/// ```swift
/// while !Task.isCancelled {
///     heartbeat.beat()
///     try await sweepOnce()
///     try await Task.sleep(for: sweepInterval)
/// }
/// ```
public final class Heartbeat: Sendable {
    private let lastBeat: Atomic<Int64>

    /// Creates a heartbeat that counts as beating now (the start-up grace period).
    public init() {
        lastBeat = Atomic(Self.monotonicNanoseconds())
    }

    /// Records that the owning loop is alive.
    public func beat() {
        lastBeat.store(Self.monotonicNanoseconds(), ordering: .relaxed)
    }

    /// Time since the last ``beat()``.
    public var age: Duration {
        let elapsed = Self.monotonicNanoseconds() - lastBeat.load(ordering: .relaxed)
        return .nanoseconds(max(elapsed, 0))
    }

    /// Whether the last ``beat()`` happened less than `limit` ago.
    public func isFresh(within limit: Duration) -> Bool {
        age < limit
    }

    static func monotonicNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}
