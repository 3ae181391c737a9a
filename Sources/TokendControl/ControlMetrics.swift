import Foundation
import Metrics
import Prometheus
import Synchronization
import TokendCore
import TokendStore

/// The control API's metrics, kept in an explicit Prometheus registry (no global bootstrap needed, so tests
/// can create as many as they like). The daemon bootstraps `MetricsSystem` once with the same registry via
/// ``ControlMetrics/bootstrapMetricsSystem(registry:)`` so that the engine's swift-metrics figures land in
/// the same `/metrics` text.
public final class ControlMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry

    /// Handles by label values: the registry's `make…` builds and validates the metric's name and takes its lock
    /// on every call (1.9 % of a single registration's daemon samples when called per request).
    private struct RequestKey: Hashable {
        var method: String
        var route: String
        var status: Int
    }
    private struct Handles {
        var requests: [RequestKey: Prometheus.Counter] = [:]
        var durations: [String: DurationHistogram] = [:]
        var registrations: [Bool: Prometheus.Counter] = [:]
    }
    private let handles = Mutex(Handles())

    public init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    /// The handle under `key`, made and kept on first use.
    private static func cached<Key: Hashable, Handle>(_ handles: inout [Key: Handle], _ key: Key, make: () -> Handle) -> Handle {
        if let handle = handles[key] { return handle }
        let handle = make()
        handles[key] = handle
        return handle
    }

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

    static func name(_ metric: String, unit: String = "", _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "tokend", metricName: metric, unitName: unit, helpText: help)
    }

    static var requests: MetricNameDescriptor { name("http_requests", unit: "total", "Control API requests by method, route and status.") }
    static var requestDuration: MetricNameDescriptor { name("http_request_duration", unit: "seconds", "Control API latency by route.") }
    static var registrations: MetricNameDescriptor { name("registrations", unit: "total", "Registrations: created or idempotent.") }
    static var tokens: MetricNameDescriptor { name("tokens", "Tokens by provider and state.") }
    static var quarantined: MetricNameDescriptor { name("tokens_quarantined", "Tokens the scheduler skips (undecodable rows).") }
    static var backlogDue: MetricNameDescriptor { name("backlog_due", "Due-now work (expired active plus due revoking).") }
    static var backlogOldest: MetricNameDescriptor { name("backlog_oldest_overdue", unit: "seconds", "Age of the oldest overdue item.") }
    static var hold: MetricNameDescriptor { name("hold", "1 while the daemon is in hold mode.") }
    static var databaseBytes: MetricNameDescriptor { name("database", unit: "bytes", "Size of the database file plus its WAL.") }
    static var uptime: MetricNameDescriptor { name("uptime", unit: "seconds", "Seconds since start.") }

    /// Counts one answered request and its latency.
    func recordRequest(method: String, route: String, status: Int, duration: Duration) {
        let key = RequestKey(method: method, route: route, status: status)
        let (counter, histogram) = handles.withLock { handles in
            (
                Self.cached(&handles.requests, key) {
                    registry.makeCounter(
                        descriptor: Self.requests, labels: [("method", method), ("route", route), ("status", String(status))])
                },
                Self.cached(&handles.durations, route) {
                    registry.makeDurationHistogram(
                        descriptor: Self.requestDuration, labels: [("route", route)], buckets: Self.latencyBuckets)
                }
            )
        }
        counter.increment()
        histogram.recordNanoseconds(duration.nanoseconds)
    }

    /// Counts registrations (`created` or idempotent).
    func recordRegistration(created: Bool, count: Int = 1) {
        let counter = handles.withLock { handles in
            Self.cached(&handles.registrations, created) {
                registry.makeCounter(descriptor: Self.registrations, labels: [("result", created ? "created" : "existing")])
            }
        }
        counter.increment(by: Int64(count))
    }

    /// Refreshes the state gauges right before a scrape.
    func refreshGauges(
        counts: StateCounts, backlog: (due: Int, oldest: Date?), now: Date, hold: Bool, dbSize: Int64, uptime: Double
    ) {
        for provider in ProviderKind.allCases {
            let byState = counts.byState(provider: provider)
            for state in TokenState.allCases {
                registry.makeGauge(
                    descriptor: Self.tokens, labels: [("provider", provider.rawValue), ("state", state.rawValue)]
                ).set(to: Double(byState[state] ?? 0))
            }
        }
        let oldest: Double = backlog.oldest.map { max(0, now.timeIntervalSince($0)) } ?? 0
        registry.makeGauge(descriptor: Self.quarantined).set(to: Double(counts.quarantined))
        registry.makeGauge(descriptor: Self.backlogDue).set(to: Double(backlog.due))
        registry.makeGauge(descriptor: Self.backlogOldest).set(to: oldest)
        registry.makeGauge(descriptor: Self.hold).set(to: hold ? 1 : 0)
        registry.makeGauge(descriptor: Self.databaseBytes).set(to: Double(dbSize))
        registry.makeGauge(descriptor: Self.uptime).set(to: uptime)
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
