import Synchronization

/// Group commit: items submitted while a commit is running are handed to the next one together, so many
/// concurrent writers cost one transaction instead of one each. `commit` returns one output per item, in order.
///
/// Used for single registrations (store) and attempt outcomes (engine).
public final class GroupCommit<Item: Sendable, Output: Sendable>: Sendable {
    private struct Pending {
        var item: Item
        var continuation: CheckedContinuation<Output, Never>
    }
    private struct State {
        var pending: [Pending] = []
        var committing = false
    }
    private let state = Mutex(State())
    private let maxGroup: Int
    private let commit: @Sendable ([Item]) async -> [Output]

    /// - Parameters:
    ///   - maxGroup: the largest number of items per commit.
    ///   - commit: writes a group; must return exactly one output per item.
    public init(maxGroup: Int, commit: @escaping @Sendable ([Item]) async -> [Output]) {
        self.maxGroup = maxGroup
        self.commit = commit
    }

    /// Queues `item` and returns its output once its group has been committed.
    public func submit(_ item: Item) async -> Output {
        await withCheckedContinuation { continuation in
            let startCommitter = state.withLock { state -> Bool in
                state.pending.append(Pending(item: item, continuation: continuation))
                if state.committing { return false }
                state.committing = true
                return true
            }
            if startCommitter { Task { await self.drain() } }
        }
    }

    private func drain() async {
        while true {
            let group = state.withLock { state -> [Pending] in
                guard !state.pending.isEmpty else {
                    state.committing = false
                    return []
                }
                let count = min(maxGroup, state.pending.count)
                defer { state.pending.removeFirst(count) }
                return Array(state.pending.prefix(count))
            }
            if group.isEmpty { return }
            let outputs = await commit(group.map(\.item))
            precondition(outputs.count == group.count, "a group commit must answer every item")
            for (pending, output) in zip(group, outputs) { pending.continuation.resume(returning: output) }
        }
    }
}
