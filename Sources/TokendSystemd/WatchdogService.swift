import Logging
import ServiceLifecycle

/// Sends `WATCHDOG=1` every half period, but only while a ``Heartbeat`` is fresh.
///
/// The ping is tied to the scheduler's own loop: if the scheduler stops calling ``Heartbeat/beat()`` for longer
/// than ``staleAfter`` (default: the watchdog period), pings stop and systemd kills and restarts the service after
/// `WatchdogSec=`. Returns on graceful shutdown or cancellation.
///
/// Choose `WatchdogSec=` well above the scheduler's longest legitimate loop turn (sweep interval plus one batch).
public struct WatchdogService: Service {
    /// The watchdog period (`WATCHDOG_USEC`).
    public let period: Duration
    /// The heartbeat age beyond which pings stop.
    public let staleAfter: Duration
    /// The loop that must stay alive.
    public let heartbeat: Heartbeat
    /// Where pings go.
    public let notifier: SystemdNotifier
    /// Logs when pings stop and resume.
    public let logger: Logger

    /// Creates the service.
    ///
    /// - Parameters:
    ///   - period: the watchdog period, usually ``Watchdog/period(environment:processID:)``.
    ///   - heartbeat: bumped by the scheduler loop.
    ///   - staleAfter: heartbeat age that stops pings; defaults to `period`.
    public init(
        period: Duration,
        heartbeat: Heartbeat,
        notifier: SystemdNotifier,
        staleAfter: Duration? = nil,
        logger: Logger = Logger(label: "tokend.watchdog")
    ) {
        self.period = period
        self.staleAfter = staleAfter ?? period
        self.heartbeat = heartbeat
        self.notifier = notifier
        self.logger = logger
    }

    /// The interval between ping decisions: half the period, as sd_watchdog_enabled(3) recommends.
    public var interval: Duration { period / 2 }

    /// Whether a ping should be sent for a heartbeat of the given age.
    public func shouldPing(heartbeatAge: Duration) -> Bool {
        heartbeatAge < staleAfter
    }

    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { [self] in
                var stalled = false
                while !Task.isCancelled {
                    let age = heartbeat.age
                    if shouldPing(heartbeatAge: age) {
                        if stalled {
                            logger.notice("scheduler heartbeat resumed; watchdog pings resumed")
                            stalled = false
                        }
                        notifier.notify(.watchdog)
                    } else if !stalled {
                        stalled = true
                        logger.critical(
                            "scheduler heartbeat stale; withholding watchdog pings",
                            metadata: ["heartbeat_age_ms": "\(age.milliseconds)"]
                        )
                    }
                    try await Task.sleep(for: interval)
                }
            }
        } catch is CancellationError {}
    }
}

extension Duration {
    /// Whole milliseconds, for log metadata.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }
}
