import Foundation

/// The mass-revocation circuit breaker (anchors.md §6.10): hold instead of revoking everything at once after a
/// restore from an old backup or a wall-clock jump.
public struct Breaker: Sendable, Hashable {
    public var dueThreshold: Int
    public var clockJump: Duration

    public init(dueThreshold: Int, clockJump: Duration) {
        self.dueThreshold = dueThreshold
        self.clockJump = clockJump
    }

    /// Why the breaker tripped.
    public enum Trip: Sendable, Hashable, CustomStringConvertible {
        case dueSpike(count: Int, threshold: Int)
        case clockJump(by: Duration)

        public var description: String {
            switch self {
            case .dueSpike(let count, let threshold):
                "breaker: \(count) tokens due at once (threshold \(threshold)); resume to proceed"
            case .clockJump(let by):
                "breaker: wall clock moved \(DurationFormat.format(by)) against the monotonic clock; resume to proceed"
            }
        }
    }

    /// Checks a due backlog counted at start-up or right after a clock jump.
    public func check(dueCount: Int) -> Trip? {
        dueCount > dueThreshold ? .dueSpike(count: dueCount, threshold: dueThreshold) : nil
    }

    /// Compares elapsed wall time against elapsed monotonic time between two observations.
    public func check(wallElapsed: Duration, monotonicElapsed: Duration) -> Trip? {
        let skew = wallElapsed - monotonicElapsed
        let magnitude = skew < .zero ? .zero - skew : skew
        return magnitude > clockJump ? .clockJump(by: magnitude) : nil
    }
}
