import Synchronization

struct TimeoutError: Error {}

/// Runs `body`, throwing ``TimeoutError`` when it takes longer than `limit`; the body is cancelled then.
///
/// Unlike a task group, the caller does not wait for the cancelled body to finish: PostgresClient's wait for a
/// connection and a query on a connection whose server vanished do not always end on cancellation, and a
/// scheduler loop or heartbeat stuck there for good stopped a whole instance after a PostgreSQL crash-restart.
/// An abandoned body may still finish later; every store write is a compare-and-set, so a late commit is safe.
func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let race = TimeoutRace<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            race.start(continuation, limit: limit, body)
        }
    } onCancel: {
        race.finish(.failure(CancellationError()))
    }
}

/// The body and its timer, of which the first to finish resumes the caller once.
final class TimeoutRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var work: Task<Void, Never>?
        var timer: Task<Void, Never>?
        var finished: Result<T, any Error>?
    }

    private let state = Mutex(State())

    func start(
        _ continuation: CheckedContinuation<T, any Error>, limit: Duration,
        _ body: @escaping @Sendable () async throws -> T
    ) {
        let early = state.withLock { state -> Result<T, any Error>? in
            if state.finished == nil { state.continuation = continuation }
            return state.finished
        }
        if let early {  // cancelled before it started
            continuation.resume(with: early)
            return
        }
        let work = Task {
            do { self.finish(.success(try await body())) } catch { self.finish(.failure(error)) }
        }
        let timer = Task {
            do {
                try await Task.sleep(for: limit)
                self.finish(.failure(TimeoutError()))
            } catch {}
        }
        let done = state.withLock { state -> Bool in
            state.work = work
            state.timer = timer
            return state.finished != nil
        }
        if done {
            work.cancel()
            timer.cancel()
        }
    }

    func finish(_ result: Result<T, any Error>) {
        let taken = state.withLock { state -> (CheckedContinuation<T, any Error>?, Task<Void, Never>?, Task<Void, Never>?)? in
            guard state.finished == nil else { return nil }
            state.finished = result
            defer { state.continuation = nil }
            return (state.continuation, state.work, state.timer)
        }
        guard let (continuation, work, timer) = taken else { return }
        timer?.cancel()
        if case .failure = result { work?.cancel() }
        continuation?.resume(with: result)
    }
}
