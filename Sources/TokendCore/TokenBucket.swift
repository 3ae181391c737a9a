/// A token-bucket rate limiter as pure arithmetic over monotonic seconds; the engine supplies the time.
public struct TokenBucket: Sendable, Hashable {
    public let ratePerSecond: Double
    public let burst: Double
    private var available: Double
    private var last: Double

    public init(ratePerSecond: Double, burst: Double? = nil, now: Double) {
        self.ratePerSecond = ratePerSecond
        self.burst = max(1, burst ?? max(1, ratePerSecond / 10))
        self.available = self.burst
        self.last = now
    }

    /// Takes one permit if available at `now`; otherwise returns the seconds to wait for the next one.
    public mutating func take(now: Double) -> Double? {
        refill(now: now)
        if available >= 1 {
            available -= 1
            return nil
        }
        return (1 - available) / ratePerSecond
    }

    private mutating func refill(now: Double) {
        guard now > last else { return }
        available = min(burst, available + (now - last) * ratePerSecond)
        last = now
    }
}
