#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Logging
import ServiceLifecycle

/// Runs an async handler each time a signal arrives (e.g. `SIGUSR1` → sweep now), one at a time.
///
/// Signals that arrive while the handler runs are coalesced into one further run. The signal's default
/// disposition is replaced by `SIG_IGN` and delivery goes through a Dispatch signal source (as swift-service-lifecycle
/// does for SIGTERM), so no code runs in signal-handler context. Returns on graceful shutdown or cancellation.
public struct SignalService: Service {
    /// The signal number, e.g. `SIGUSR1`.
    public let signalNumber: CInt
    private let handler: @Sendable () async -> Void

    /// Creates the service.
    public init(signal: CInt, handler: @escaping @Sendable () async -> Void) {
        self.signalNumber = signal
        self.handler = handler
    }

    public func run() async throws {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        _ = Glibc.signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
        source.setEventHandler { continuation.yield() }
        source.resume()
        defer {
            source.cancel()
            continuation.finish()
        }
        let handler = self.handler
        await cancelWhenGracefulShutdown {
            for await _ in stream {
                await handler()
            }
        }
    }
}

/// Reloads the configuration on `SIGHUP` (`systemctl reload`, `ExecReload=/bin/kill -HUP $MAINPID`) and reports it:
/// `RELOADING=1` + `MONOTONIC_USEC=` before, `READY=1` + `STATUS=` after, as sd_notify(3) specifies for
/// `Type=notify-reload` (harmless with `Type=notify`).
///
/// When `reload` throws (e.g. the new file is invalid), the error is logged, the previous configuration stays in
/// effect and the daemon keeps serving.
public struct ReloadSignalService: Service {
    private let signalService: SignalService

    /// Creates the service.
    ///
    /// - Parameters:
    ///   - signal: the reload signal, `SIGHUP` by default.
    ///   - reload: validates and applies the new configuration atomically; throws to keep the old one.
    public init(
        notifier: SystemdNotifier,
        logger: Logger = Logger(label: "tokend.reload"),
        signal: CInt = SIGHUP,
        reload: @escaping @Sendable () async throws -> Void
    ) {
        signalService = SignalService(signal: signal) {
            logger.info("reloading configuration")
            do {
                try await notifier.withReloading { try await reload() }
                logger.notice("configuration reloaded", metadata: ["outcome": "ok"])
            } catch {
                logger.error(
                    "configuration reload failed; previous configuration kept",
                    metadata: ["outcome": "rejected", "error": "\(error)"]
                )
            }
        }
    }

    public func run() async throws {
        try await signalService.run()
    }
}
