import Metrics
import TokendCore

/// The engine's metrics (swift-metrics; the daemon bootstraps a Prometheus backend).
struct EngineMetrics: Sendable {
    let backlog = Gauge(label: "tokend_due_backlog")
    let oldestOverdue = Gauge(label: "tokend_oldest_overdue_seconds")
    let held = Gauge(label: "tokend_hold")

    func revocation(provider: ProviderKind, account: String, outcome: String) {
        Counter(
            label: "tokend_revocations_total",
            dimensions: [("provider", provider.rawValue), ("account", account), ("outcome", outcome)]
        ).increment()
    }

    func attempt(provider: ProviderKind, account: String, result: AttemptResult) {
        let dimensions = [("provider", provider.rawValue), ("account", account), ("outcome", result.outcome.name)]
        Counter(label: "tokend_attempts_total", dimensions: dimensions).increment()
        Metrics.Timer(
            label: "tokend_attempt_duration_seconds",
            dimensions: [("provider", provider.rawValue), ("account", account)],
            preferredDisplayUnit: .seconds
        ).recordNanoseconds(result.duration.milliseconds * 1_000_000)
    }

    func tokens(_ counts: StateCountsSnapshot) {
        for state in TokenState.allCases {
            Gauge(label: "tokend_tokens", dimensions: [("state", state.rawValue)]).record(counts[state] ?? 0)
        }
    }
}

typealias StateCountsSnapshot = [TokenState: Int]
