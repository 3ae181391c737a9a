import GRDB
import Synchronization
import TokendAudit

/// The audit chain's head (last id and hash) as this store last committed it, so that an audit insert need not
/// read the last row back (that read was a quarter of the chain's cost per row).
///
/// Only a hint: the insert names the id `head + 1` explicitly, so if any other connection or process appended
/// meanwhile, the primary key refuses it and the insert re-reads the head (``SQLiteTokenStore/insertAudit``).
/// A rolled-back transaction drops the hint. Bound to the store's writes through ``current``.
final class ChainHeadCache: Sendable {
    struct Head: Sendable {
        var id: Int64
        var hash: [UInt8]
    }

    private struct State {
        var committed: Head?
        var pending: Head?
        var observing = false
        /// Reused across rows: the encoding buffer is the chain's one allocation per row otherwise.
        var encoder = CanonicalEncoder()
    }

    private let state = Mutex(State())

    /// The cache of the store whose write transaction runs on this thread (set by `SQLiteTokenStore.write`).
    @TaskLocal static var current: ChainHeadCache?

    /// The head as far as this transaction knows, or nil when it must be read from the table.
    func head() -> Head? {
        state.withLock { $0.pending ?? $0.committed }
    }

    /// The chain hash of `row` after `prev`, encoded in this cache's reused buffer.
    func hash(_ row: ChainRow, prev: [UInt8]) -> [UInt8] {
        state.withLock { AuditChain.hash(row, prev: prev, using: &$0.encoder) }
    }

    /// Records the row just inserted; becomes the committed head when `db`'s transaction commits.
    func advance(to head: Head, in db: Database) {
        let observe = state.withLock { state -> Bool in
            state.pending = head
            defer { state.observing = true }
            return !state.observing
        }
        guard observe else { return }
        db.afterNextTransaction(
            onCommit: { [self] _ in
                state.withLock { state in
                    if let pending = state.pending { state.committed = pending }
                    state.pending = nil
                    state.observing = false
                }
            },
            onRollback: { [self] _ in invalidate() })
    }

    /// Forgets the head: the next insert reads it from the table.
    func invalidate() {
        state.withLock { state in
            state.committed = nil
            state.pending = nil
            state.observing = false
        }
    }
}
