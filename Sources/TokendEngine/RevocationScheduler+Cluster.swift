import Foundation
import Logging
import TokendCore
import TokendStore

/// What an instance owes the others: a heartbeat (its row in `instances`, read by `status` and by the lease
/// take-over), renewed leases for the claims it holds, and following the stored hold flag, which is how a hold,
/// resume or breaker trip on one instance reaches every instance.
extension RevocationScheduler {
    /// Heartbeat period: a third of the lease (so two beats may be lost before a lease expires), at most 2 s (the
    /// bound on how late another instance's hold is followed).
    var heartbeatInterval: Duration { min(store.leaseDuration / 3, .seconds(2)) }

    func clusterDuties() async {
        while !state.withLock({ $0.shuttingDown }) && !Task.isCancelled {
            let held = lanes.flatMap(\.heldClaims)
            let inFlight = lanes.reduce(0) { $0 + $1.inFlight }
            do {
                try await store.heartbeat(inFlight: inFlight)
                if store.isShared {
                    try await store.renewLeases(held)
                    try await followStoredHold()
                }
            } catch {
                // The claim and record paths see the same fault and fail closed; this only logs it.
                logger.warning("cluster heartbeat failed", metadata: ["error": "\(error)"])
            }
            await signalOrShutdown(timeout: heartbeatInterval)
        }
    }

    /// Adopts a hold another instance stored, and lifts a stored hold another instance resumed. A hold that
    /// is this instance's own and not stored (the `--hold` start-up flag) is left alone.
    func followStoredHold() async throws {
        let stored = try await store.holdState()
        let (local, persisted) = state.withLock { ($0.hold, $0.holdPersisted) }
        if stored.held && !local.held {
            apply(stored, persisted: true)
        } else if !stored.held && local.held && persisted {
            apply(stored, persisted: false)
            signal.signal()
        }
    }
}
