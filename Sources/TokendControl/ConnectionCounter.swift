import Synchronization

/// Open connections, bounded.
final class ConnectionCounter: Sendable {
    private let count = Atomic<Int>(0)

    func tryAcquire(limit: Int) -> Bool {
        while true {
            let current = count.load(ordering: .relaxed)
            guard current < limit else { return false }
            if count.compareExchange(expected: current, desired: current + 1, ordering: .acquiringAndReleasing).exchanged {
                return true
            }
        }
    }

    func release() { count.subtract(1, ordering: .relaxed) }
}
