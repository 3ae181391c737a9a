import Metrics
import TokendCore

/// The engine's event metrics (swift-metrics; the daemon bootstraps a Prometheus backend): counters and the
/// attempt latency histogram. Level figures (tokens by state, backlog, hold) are read from the store at scrape
/// time by the control API's `/metrics`, so they are never stale and never registered twice.
struct EngineMetrics: Sendable {
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
}
