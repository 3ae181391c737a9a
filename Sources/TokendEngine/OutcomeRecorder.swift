import Foundation
import Logging
import Synchronization
import TokendCore
import TokendStore

/// Group commit for attempt outcomes: attempts finishing while a transaction runs are written together in the
/// next one. Each item still gets its own CAS and audit rows; the caller resumes only after its commit, so a
/// lane's concurrency slot is held until the outcome is durable.
///
/// If the database cannot be written (full disk, read-only), the batch is retried every second and callers stay
/// blocked: lanes fill up and no further provider call is made whose outcome could not be recorded.
final class OutcomeRecorder: Sendable {
    private struct Pending {
        var record: AttemptRecord
        var continuation: CheckedContinuation<TokenState?, Never>
    }
    private struct State {
        var pending: [Pending] = []
        var writerRunning = false
    }

    private let store: TokenStore
    private let logger: Logger
    private let state = Mutex(State())
    private let onUnavailable: @Sendable (Bool) -> Void
    private let maxBatch = 512

    init(store: TokenStore, logger: Logger, onUnavailable: @escaping @Sendable (Bool) -> Void) {
        self.store = store
        self.logger = logger
        self.onUnavailable = onUnavailable
    }

    /// Queues `record` and returns the token's state once it is committed (`nil` if the token vanished).
    func record(_ record: AttemptRecord) async -> TokenState? {
        await withCheckedContinuation { continuation in
            let startWriter = state.withLock { state -> Bool in
                state.pending.append(Pending(record: record, continuation: continuation))
                if state.writerRunning { return false }
                state.writerRunning = true
                return true
            }
            if startWriter { Task { await self.drain() } }
        }
    }

    private func drain() async {
        while true {
            let batch = state.withLock { state -> [Pending] in
                if state.pending.isEmpty {
                    state.writerRunning = false
                    return []
                }
                let count = min(maxBatch, state.pending.count)
                let batch = Array(state.pending.prefix(count))
                state.pending.removeFirst(count)
                return batch
            }
            if batch.isEmpty { return }
            var delay = Duration.milliseconds(200)
            while true {
                do {
                    let states = try await store.recordAttempts(batch.map(\.record))
                    onUnavailable(false)
                    for (item, state) in zip(batch, states) { item.continuation.resume(returning: state) }
                    break
                } catch let error as StoreError {
                    if case .notFound = error {
                        // One token vanished (cannot happen without DELETE); record the rest one by one.
                        for item in batch {
                            let state = try? await store.recordAttempts([item.record]).first
                            item.continuation.resume(returning: state)
                        }
                        break
                    }
                    onUnavailable(true)
                    logger.error("cannot record attempt outcomes; retrying", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: delay)
                    delay = min(delay * 2, .seconds(5))
                } catch {
                    onUnavailable(true)
                    logger.error("cannot record attempt outcomes; retrying", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: delay)
                    delay = min(delay * 2, .seconds(5))
                }
            }
        }
    }
}
