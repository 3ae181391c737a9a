import ServiceLifecycle

/// Sends `STOPPING=1` as soon as graceful shutdown begins (SIGTERM from `systemctl stop`).
///
/// A `ServiceGroup` shuts services down in reverse order, so put this **last** in the services array: it then
/// reacts first, before the control server drains.
public struct StoppingNotifier: Service {
    /// Where the notification goes.
    public let notifier: SystemdNotifier
    /// The `STATUS=` sent together with `STOPPING=1`.
    public let status: String

    /// Creates the service.
    public init(notifier: SystemdNotifier, status: String = "shutting down") {
        self.notifier = notifier
        self.status = status
    }

    public func run() async throws {
        do {
            try await gracefulShutdown()
        } catch is CancellationError {
            // Cancelled without a graceful phase: the process is exiting anyway; still tell systemd.
        }
        notifier.stopping(status: status)
    }
}
