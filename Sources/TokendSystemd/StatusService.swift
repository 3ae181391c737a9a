import ServiceLifecycle

/// Publishes a live `STATUS=` line (e.g. `"serving: 1204 active, 3 revoking, 0 failed"`) at a fixed interval,
/// shown by `systemctl status`. Returns on graceful shutdown or cancellation.
public struct StatusService: Service {
    /// Time between updates.
    public let interval: Duration
    /// Where the status goes.
    public let notifier: SystemdNotifier
    private let status: @Sendable () async -> String?

    /// Creates the service.
    ///
    /// - Parameter status: produces the current one-line status; `nil` skips this update.
    public init(interval: Duration = .seconds(10), notifier: SystemdNotifier, status: @escaping @Sendable () async -> String?) {
        self.interval = interval
        self.notifier = notifier
        self.status = status
    }

    public func run() async throws {
        guard notifier.isEnabled else { return try await gracefulShutdownOrCancel() }
        do {
            try await cancelWhenGracefulShutdown { [self] in
                while !Task.isCancelled {
                    if let text = await status() { notifier.status(text) }
                    try await Task.sleep(for: interval)
                }
            }
        } catch is CancellationError {}
    }

    private func gracefulShutdownOrCancel() async throws {
        do { try await gracefulShutdown() } catch is CancellationError {}
    }
}
