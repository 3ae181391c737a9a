import Foundation
import Logging
import TokendCore
import TokendStore

/// The scheduler's hook for bulk jobs: each pass marks one more chunk of the oldest job still marking, so a
/// job of any size proceeds in bounded transactions and resumes by itself after a crash or restart (its
/// progress is the stored job, not memory). On a shared store any instance's pass may take the next chunk.
final class BulkMarker: Sendable {
    private let store: any TokenStore
    private let logger: Logger

    init(store: any TokenStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// Marks a chunk; true when a job may have more to mark right now.
    func step() async -> Bool {
        do {
            return try await store.continueBulkJobs(limit: BulkJob.markChunk) > 0
        } catch {
            logger.error("cannot mark the next chunk of a bulk job", metadata: ["error": "\(error)"])
            return false
        }
    }
}
