import Metrics
import Synchronization
import TokendCore

/// The engine's event metrics (swift-metrics; the daemon bootstraps a Prometheus backend): counters and the
/// attempt latency histogram. Level figures (tokens by state, backlog, hold) are read from the store at scrape
/// time by the control API's `/metrics`, so they are never stale and never registered twice.
///
/// Metric handles are made once per label set and kept: making one asks the backend's registry (a lock, label
/// strings built and sorted) and cost more than the increment itself, twice per revocation.
final class EngineMetrics: Sendable {
    private struct Key: Hashable {
        var name: String
        var provider: ProviderKind
        var account: String
        var outcome: String
    }
    private let counters = Mutex<[Key: Counter]>([:])
    private let timers = Mutex<[Key: Metrics.Timer]>([:])

    func revocation(provider: ProviderKind, account: String, outcome: String) {
        counter(Key(name: "tokend_revocations_total", provider: provider, account: account, outcome: outcome))
            .increment()
    }

    func attempt(provider: ProviderKind, account: String, result: AttemptResult) {
        counter(Key(name: "tokend_attempts_total", provider: provider, account: account, outcome: result.outcome.name))
            .increment()
        let key = Key(name: "tokend_attempt_duration_seconds", provider: provider, account: account, outcome: "")
        Self.cached(timers, key) {
            Metrics.Timer(
                label: key.name, dimensions: [("provider", provider.rawValue), ("account", account)],
                preferredDisplayUnit: .seconds)
        }.recordNanoseconds(result.duration.milliseconds * 1_000_000)
    }

    private func counter(_ key: Key) -> Counter {
        Self.cached(counters, key) {
            Counter(
                label: key.name,
                dimensions: [("provider", key.provider.rawValue), ("account", key.account), ("outcome", key.outcome)])
        }
    }

    private static func cached<Handle: Sendable>(
        _ cache: borrowing Mutex<[Key: Handle]>, _ key: Key, make: () -> Handle
    ) -> Handle {
        cache.withLock { handles in
            if let handle = handles[key] { return handle }
            let handle = make()
            handles[key] = handle
            return handle
        }
    }
}
