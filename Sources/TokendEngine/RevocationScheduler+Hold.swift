import Foundation
import Logging
import TokendAudit
import TokendCore
import TokendStore

/// Hold, the breaker and audit retention: the scheduler's slow paths.
extension RevocationScheduler {
    /// Enters or leaves hold, recording it in the store (the `hold`/`resume` audit event, and with `persist` the
    /// flag that survives restarts).
    ///
    /// Entering takes effect in memory first: a hold keeps provider calls from starting and must not depend on
    /// the database accepting a write (a full disk during a clock jump is exactly when it is needed). If the
    /// write fails the hold stays in effect; the failure is logged and thrown. Leaving is written first: a resume
    /// the store has not recorded would be undone by the persisted flag at the next start.
    func setHold(_ hold: HoldState, actor: Actor, persist: Bool) async throws {
        if hold.held {
            apply(hold, persisted: persist)
            do {
                try await store.setHold(hold, actor: actor, persist: persist)
            } catch {
                state.withLock { $0.holdPersisted = false }
                logger.error(
                    "hold in effect but not recorded in the store",
                    metadata: ["reason": "\(hold.reason ?? "")", "error": "\(error)"])
                throw error
            }
        } else {
            try await store.setHold(hold, actor: actor, persist: persist)
            apply(hold, persisted: false)
        }
    }

    func apply(_ hold: HoldState, persisted: Bool) {
        state.withLock {
            $0.hold = hold
            $0.holdPersisted = persisted && hold.held
        }
        if hold.held {
            logger.warning("hold: no provider calls until resumed", metadata: ["reason": "\(hold.reason ?? "")"])
        } else {
            logger.notice("resumed")
        }
    }

    /// Enters hold if too much is due. Never throws: a store that cannot be read or written must neither end the
    /// scheduler (at start-up that would exit the daemon) nor keep a hold from taking effect.
    func checkBreaker(context: String) async {
        let options = state.withLock { $0.options }
        guard !state.withLock({ $0.hold.held }) else { return }
        let backlog: (due: Int, oldest: Date?)
        do {
            backlog = try await store.backlog(
                accounts: lanes.map(\.name), revokeBeforeExpiry: options.schedule.revokeBeforeExpiry)
        } catch {
            // Claims need the same store, so nothing is sent while it cannot be read either.
            logger.error("breaker cannot count the backlog", metadata: ["context": "\(context)", "error": "\(error)"])
            return
        }
        if let trip = options.schedule.breaker.check(dueCount: backlog.due) {
            try? await setHold(
                HoldState(held: true, reason: "\(trip) (\(context))"), actor: .system("breaker"),
                // Shared store: the breaker's hold is the cluster's (every instance follows the stored flag).
                persist: store.isShared)
        }
    }

    /// Audit retention, off the scheduler's path: every 10 s, small batches (each its own short transaction)
    /// until nothing older than `retain` is left or shutdown begins.
    /// Signed checkpoints of the audit chain head: the genesis at start (once per database), then one per
    /// `interval` cluster-wide (the store skips it when another instance signed recently or nothing was added),
    /// each also written to the journal.
    func checkpoints(signer: CheckpointSigner, interval: Duration) async {
        var first = true
        while !state.withLock({ $0.shuttingDown }) && !Task.isCancelled {
            do {
                if let checkpoint = try await store.appendCheckpoint(
                    kind: first ? .genesis : .interval, minimumAge: interval, signer: signer)
                {
                    logCheckpoint(checkpoint)
                }
                first = false
            } catch {
                logger.warning("audit checkpoint failed", metadata: ["error": "\(error)"])
            }
            await signalOrShutdown(timeout: min(interval, .seconds(60)))
        }
    }

    func logCheckpoint(_ checkpoint: Checkpoint) {
        logger.notice(
            "audit checkpoint",
            metadata: [
                "checkpoint_id": "\(checkpoint.id)", "audit_id": "\(checkpoint.auditID)",
                "hash": "\(Hex.encode(checkpoint.hash))", "count": "\(checkpoint.count)",
                "kind": "\(checkpoint.kind.rawValue)", "signature": "\(Hex.encode(checkpoint.signature))",
            ])
    }

    func retention(retain: Duration, signer: CheckpointSigner) async {
        let batch = 1_000
        while !state.withLock({ $0.shuttingDown }) && !Task.isCancelled {
            var removed = 0
            for _ in 0..<100 {
                let cutoff = clock.now().adding(.zero - retain)
                guard let count = try? await store.pruneAudit(olderThan: cutoff, batch: batch, signer: signer) else { break }
                removed += count
                if count < batch { break }
                await Task.yield()
            }
            if removed > 0 { logger.info("audit retention", metadata: ["removed": "\(removed)"]) }
            await signalOrShutdown(timeout: .seconds(10))
        }
    }

    /// Sleeps up to `timeout`, returning early when shutdown begins.
    func signalOrShutdown(timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline && !state.withLock({ $0.shuttingDown }) && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(100))
        }
    }
}
