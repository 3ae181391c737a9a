import Foundation
import Logging
import TokendCore
import TokendStore

/// Group commit for attempt outcomes: attempts finishing while a transaction runs are written together in the
/// next one. Each item still gets its own CAS and audit rows; the caller resumes only after its commit, so a
/// lane's concurrency slot is held until the outcome is durable.
///
/// If the database cannot be written (full disk, read-only), the group is retried with backoff and callers stay
/// blocked: lanes fill up and no further provider call is made whose outcome could not be recorded.
final class OutcomeRecorder: Sendable {
    private let group: GroupCommit<AttemptRecord, TokenState?>

    init(store: any TokenStore, logger: Logger, onUnavailable: @escaping @Sendable (Bool) -> Void) {
        group = GroupCommit(maxGroup: 512) { records in
            var delay = Duration.milliseconds(200)
            while true {
                do {
                    let states = try await store.recordAttempts(records)
                    onUnavailable(false)
                    return states
                } catch {
                    onUnavailable(true)
                    logger.error("cannot record attempt outcomes; retrying", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: delay)
                    delay = min(delay * 2, .seconds(5))
                }
            }
        }
    }

    /// Queues `record` and returns the token's state once it is committed.
    func record(_ record: AttemptRecord) async -> TokenState? {
        await group.submit(record)
    }
}
