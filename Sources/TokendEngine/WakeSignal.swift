import Synchronization

/// A level-triggered wake-up: `signal()` before `wait` is not lost; many signals coalesce into one.
final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())

    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns when signalled or after `timeout`, whichever comes first. One waiter at a time.
    func wait(timeout: Duration) async {
        let consumed = state.withLock { state -> Bool in
            if state.pending {
                state.pending = false
                return true
            }
            return false
        }
        if consumed { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        let resumeNow = self.state.withLock { state -> Bool in
                            if state.pending || Task.isCancelled {
                                state.pending = false
                                return true
                            }
                            state.waiter = continuation
                            return false
                        }
                        if resumeNow { continuation.resume() }
                    }
                } onCancel: {
                    self.signal()
                }
            }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
        // A timeout leaves a waiter or a pending flag from the cancel path: clear it so the next wait blocks.
        let stale = state.withLock { state -> CheckedContinuation<Void, Never>? in
            defer { state.waiter = nil }
            return state.waiter
        }
        stale?.resume()
    }
}
