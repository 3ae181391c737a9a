import Foundation
import GRDB

/// Copies committed pages from the WAL into the database file on its own connection, off the commit path.
///
/// With SQLite's automatic checkpoint the commit that crosses the threshold pays for writing (and syncing)
/// every page in the WAL, so one registration in a thousand waits for milliseconds of I/O while every other
/// writer queues behind it. A `PASSIVE` checkpoint on a second connection never blocks the writer; the writer
/// keeps a high automatic threshold only as a backstop should this loop fall behind.
final class Checkpointer: Sendable {
    /// Writer-side automatic checkpoint threshold (pages): reached only if this loop lags.
    static let backstopPages = 10_000
    private let connection: DatabaseQueue
    private let interval: Duration

    init(path: String, interval: Duration = .milliseconds(200)) throws {
        var configuration = GRDB.Configuration()
        configuration.busyMode = .timeout(5)
        configuration.label = "tokend.checkpointer"
        connection = try DatabaseQueue(path: path, configuration: configuration)
        self.interval = interval
    }

    /// Checkpoints every `interval` while `isAlive()` holds; errors (a full disk, say) are retried next round,
    /// and the writer's backstop still bounds the WAL.
    func run(while isAlive: @escaping @Sendable () -> Bool) async {
        while isAlive() && !Task.isCancelled {
            let moved = (try? await checkpointOnce()) ?? 0
            // A busy WAL is drained again at once; an idle one is only looked at every `interval`.
            if moved < 1_000 { try? await Task.sleep(for: interval) }
        }
    }

    /// One passive checkpoint; returns how many WAL frames it copied.
    @discardableResult
    func checkpointOnce() async throws -> Int {
        try await connection.writeWithoutTransaction { db in
            guard let row = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)") else { return 0 }
            let checkpointed: Int = row[2]
            return max(0, checkpointed)
        }
    }
}
