import Foundation
import Logging
import TokendCore
import TokendStore

/// The scheduler's hook for bound tokens: each pass starts the revocation of those whose heartbeat deadline has
/// passed, and the idle wait is cut short for the next deadline.
///
/// Sweep bound: the scheduler waits at most `sweep_interval` between passes and, when idle, no longer than until
/// the earliest deadline it knows (queried each pass), so a missed heartbeat is acted on within
/// `sweep_interval` of its deadline — sooner when the deadline was already in the database at the last pass. A
/// deadline set by another instance is found the same way: it lives in the shared database.
/// While held nothing is swept (like expiry): a clock jump that trips the breaker must not unbind every token.
final class UnboundSweeper: Sendable {
    /// Rows moved per transaction; a pass that moves this many asks for another pass at once.
    static let batch = 500

    private let store: any TokenStore
    private let clock: any WallClock
    private let logger: Logger

    init(store: any TokenStore, clock: any WallClock, logger: Logger) {
        self.store = store
        self.clock = clock
        self.logger = logger
    }

    /// Moves the bound tokens past their deadline to `revoking`; true when there may be more right now.
    func sweep() async -> Bool {
        do {
            let moved = try await store.revokeUnbound(now: clock.now(), limit: Self.batch)
            if moved > 0 { logger.notice("bound tokens missed their heartbeat: revoking", metadata: ["count": "\(moved)"]) }
            return moved == Self.batch
        } catch {
            logger.error("cannot sweep bound tokens", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// `timeout`, shortened to end just after the earliest heartbeat deadline when that comes first.
    func clamp(_ timeout: Duration) async -> Duration {
        guard let deadline = try? await store.nextHeartbeatDeadline() else { return timeout }
        let millis = max(0, deadline.unixMillis - clock.now().unixMillis + 1)
        return min(timeout, .milliseconds(millis))
    }
}
