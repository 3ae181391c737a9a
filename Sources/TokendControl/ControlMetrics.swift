import Foundation
import Metrics
import Prometheus
import TokendCore
import TokendStore

/// The control API's metrics, kept in an explicit Prometheus registry (no global bootstrap needed, so tests
/// can create as many as they like). The daemon bootstraps `MetricsSystem` once with the same registry via
/// ``ControlMetrics/bootstrapMetricsSystem(registry:)`` so that the engine's swift-metrics figures land in
/// the same `/metrics` text.
public final class ControlMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry

    public init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    /// Bootstraps the process-wide `MetricsSystem` with a Prometheus factory on `registry`.
    /// Call at most once per process (the daemon's `main`), never from tests.
    public static func bootstrapMetricsSystem(registry: PrometheusCollectorRegistry) {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }

    static let latencyBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .seconds(5), .seconds(30),
    ]

    /// Counts one answered request and its latency.
    func recordRequest(method: String, route: String, status: Int, duration: Duration) {
        registry.makeCounter(
            name: "tokend_http_requests_total",
            labels: [("method", method), ("route", route), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            name: "tokend_http_request_duration_seconds", labels: [("route", route)], buckets: Self.latencyBuckets
        ).recordNanoseconds(duration.nanoseconds)
    }

    /// Counts registrations (`created` or idempotent).
    func recordRegistration(created: Bool, count: Int = 1) {
        registry.makeCounter(name: "tokend_registrations_total", labels: [("result", created ? "created" : "existing")])
            .increment(by: Int64(count))
    }

    /// Refreshes the state gauges right before a scrape.
    func refreshGauges(counts: StateCounts, backlog: (due: Int, oldest: Date?), now: Date, hold: Bool, dbSize: Int64, uptime: Double) {
        for provider in ProviderKind.allCases {
            let byState = counts.byState(provider: provider)
            for state in TokenState.allCases {
                registry.makeGauge(
                    name: "tokend_tokens", labels: [("provider", provider.rawValue), ("state", state.rawValue)]
                ).set(Double(byState[state] ?? 0))
            }
        }
        registry.makeGauge(name: "tokend_tokens_quarantined").set(Double(counts.quarantined))
        registry.makeGauge(name: "tokend_backlog_due").set(Double(backlog.due))
        registry.makeGauge(name: "tokend_backlog_oldest_overdue_seconds")
            .set(backlog.oldest.map { max(0, now.timeIntervalSince($0)) } ?? 0)
        registry.makeGauge(name: "tokend_hold").set(hold ? 1 : 0)
        registry.makeGauge(name: "tokend_database_bytes").set(Double(dbSize))
        registry.makeGauge(name: "tokend_uptime_seconds").set(uptime)
    }

    /// The exposition text.
    func render() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
