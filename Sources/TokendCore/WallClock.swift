import Foundation
import Synchronization

/// The source of "now". Injected everywhere so that tests never sleep for real time.
public protocol WallClock: Sendable {
    /// The current wall-clock time.
    func now() -> Date
}

/// The system's real-time clock.
public struct SystemClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that moves only when told to; for tests and simulations.
public final class ManualClock: WallClock {
    private let current: Mutex<Date>

    public init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { current = Mutex(start) }

    public func now() -> Date { current.withLock { $0 } }

    /// Moves the clock forward (or backward, to simulate a wall-clock jump).
    public func advance(by duration: Duration) {
        current.withLock { $0 = $0.addingTimeInterval(duration.seconds) }
    }

    /// Sets the clock to `date`.
    public func set(_ date: Date) { current.withLock { $0 = date } }
}

extension Date {
    /// Milliseconds since the Unix epoch: the on-disk representation of every instant. Rounded to the nearest
    /// millisecond so that `Date(unixMillis: n).unixMillis == n` (the seconds-based Double is not exact).
    public var unixMillis: Int64 { Int64((timeIntervalSince1970 * 1_000).rounded()) }

    /// The instant `millis` milliseconds after the Unix epoch.
    public init(unixMillis millis: Int64) { self.init(timeIntervalSince1970: Double(millis) / 1_000) }

    /// `self + duration`.
    public func adding(_ duration: Duration) -> Date { addingTimeInterval(duration.seconds) }
}
