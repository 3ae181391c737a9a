import Logging
import ServiceLifecycle
import TokendCore
import TokendEngine
import TokendStore
import TokendSystemd

/// Keeps systemd's `STATUS=` line current: counts by state, backlog and hold, every few seconds.
struct StatusReporter: Service {
    let store: TokenStore
    let engine: RevocationScheduler
    let notifier: SystemdNotifier

    func run() async throws {
        guard notifier.isEnabled else {
            try? await gracefulShutdown()
            return
        }
        do {
            try await cancelWhenGracefulShutdown {
                while true {
                    try await Task.sleep(for: .seconds(5))
                    guard let counts = try? await store.stateCounts().byState else { continue }
                    let status = engine.status()
                    var line = "\(counts[.active] ?? 0) active, \(counts[.revoking] ?? 0) revoking, "
                        + "\(counts[.failed] ?? 0) failed"
                    if status.hold { line += "; HOLD: \(status.holdReason ?? "")" }
                    _ = try? notifier.notify([.status(line)])
                }
            }
        } catch is CancellationError {}
    }
}
