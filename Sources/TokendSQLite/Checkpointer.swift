import Foundation
import GRDB

/// Copies committed pages from the WAL into the database file on its own connection, off the commit path.
///
/// With SQLite's automatic checkpoint the commit that crosses the threshold pays for writing (and syncing)
/// every page in the WAL, so one registration in a thousand waits for milliseconds of I/O while every other
/// writer queues behind it. A `PASSIVE` checkpoint on a second connection never blocks the writer.
final class Checkpointer: Sendable {
    /// Writer-side automatic checkpoint threshold (pages): bounds the WAL (see ``run(while:)``).
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

    /// Checkpoints every `interval` (a quarter of it while the WAL is far behind) as long as `isAlive()` holds;
    /// errors (a full disk, say) are retried at the next round.
    ///
    /// A passive pass racing a busy writer never quite finishes, and SQLite rewinds the WAL only once it has
    /// been copied completely. The writer's backstop does that: past ``backstopPages`` its own automatic
    /// checkpoint runs while it holds the write lock, finds nearly every frame already copied by this loop, and
    /// the next commit starts the WAL from the beginning. So the WAL stays near the backstop's size under any
    /// load, and the writer never pays for a whole checkpoint.
    func run(while isAlive: @escaping @Sendable () -> Bool) async {
        while isAlive() && !Task.isCancelled {
            let pass = try? await checkpointOnce()
            let behind = (pass?.walFrames ?? 0) - (pass?.copied ?? 0)
            try? await Task.sleep(for: behind > 1_000 ? interval / 4 : interval)
        }
    }

    /// One passive checkpoint: the frames in the WAL and how many of them are now in the database file.
    @discardableResult
    func checkpointOnce() async throws -> (walFrames: Int, copied: Int) {
        try await connection.writeWithoutTransaction { db in
            guard let row = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)") else { return (0, 0) }
            return (max(0, row[1] as Int), max(0, row[2] as Int))
        }
    }

    /// Copies the whole WAL and truncates it, waiting (busy timeout) for the writer and readers.
    func truncate() throws {
        try connection.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
    }
}
