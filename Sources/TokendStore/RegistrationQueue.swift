import Synchronization
import TokendCore

/// Group commit for single registrations: requests that arrive while a transaction is running are written
/// together in the next one. Each keeps its own idempotency check, caps and audit row.
final class RegistrationQueue: Sendable {
    struct Item: Sendable {
        var token: TokenStore.PreparedToken
        var actor: Actor
        var limits: LiveLimits
    }
    private struct Pending {
        var item: Item
        var continuation: CheckedContinuation<Result<Registration, any Error>, Never>
    }
    private struct State {
        var pending: [Pending] = []
        var writing = false
    }
    private let state = Mutex(State())
    private let maxGroup = 256
    private let commit: @Sendable ([Item]) async -> [Result<Registration, any Error>]

    init(commit: @escaping @Sendable ([Item]) async -> [Result<Registration, any Error>]) {
        self.commit = commit
    }

    func submit(_ item: Item) async -> Result<Registration, any Error> {
        await withCheckedContinuation { continuation in
            let startWriter = state.withLock { state -> Bool in
                state.pending.append(Pending(item: item, continuation: continuation))
                if state.writing { return false }
                state.writing = true
                return true
            }
            if startWriter { Task { await self.drain() } }
        }
    }

    private func drain() async {
        while true {
            let group = state.withLock { state -> [Pending] in
                guard !state.pending.isEmpty else {
                    state.writing = false
                    return []
                }
                let count = min(maxGroup, state.pending.count)
                defer { state.pending.removeFirst(count) }
                return Array(state.pending.prefix(count))
            }
            if group.isEmpty { return }
            let results = await commit(group.map(\.item))
            for (pending, result) in zip(group, results) { pending.continuation.resume(returning: result) }
        }
    }
}
