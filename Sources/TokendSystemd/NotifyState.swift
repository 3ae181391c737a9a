#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One `KEY=value` assignment of the sd_notify(3) protocol.
///
/// Several states can be sent in one datagram; they are joined with newlines in the given order.
public enum NotifyState: Sendable, Equatable {
    /// `READY=1`: start-up finished (store open, control socket listening) or a reload finished.
    case ready
    /// `STATUS=…`: a one-line human-readable status shown by `systemctl status`. Newlines are replaced by spaces.
    case status(String)
    /// `WATCHDOG=1`: keep-alive ping for `WatchdogSec=`.
    case watchdog
    /// `WATCHDOG=trigger`: ask the service manager to act as if the watchdog timed out.
    case watchdogTrigger
    /// `STOPPING=1`: the service began shutting down.
    case stopping
    /// `RELOADING=1`: the service began reloading its configuration.
    ///
    /// sd_notify(3) requires a ``monotonicMicroseconds(_:)`` in the same message for `Type=notify-reload`;
    /// use ``SystemdNotifier/reloading(status:)`` which adds it.
    case reloading
    /// `MONOTONIC_USEC=…`: `CLOCK_MONOTONIC` in microseconds, sent together with ``reloading``.
    case monotonicMicroseconds(UInt64)
    /// `MAINPID=…`: the main process id (only needed if the notifying process is not the main process).
    case mainPID(pid_t)
    /// `ERRNO=…`: a failure as an errno number, shown by `systemctl status`.
    case errno(Int32)
    /// `EXTEND_TIMEOUT_USEC=…`: extend the current start/stop/reload timeout.
    case extendTimeoutMicroseconds(UInt64)

    /// The `KEY=value` line for this state (without a trailing newline).
    public var line: String {
        switch self {
        case .ready: "READY=1"
        case .status(let text): "STATUS=" + Self.singleLine(text)
        case .watchdog: "WATCHDOG=1"
        case .watchdogTrigger: "WATCHDOG=trigger"
        case .stopping: "STOPPING=1"
        case .reloading: "RELOADING=1"
        case .monotonicMicroseconds(let usec): "MONOTONIC_USEC=\(usec)"
        case .mainPID(let pid): "MAINPID=\(pid)"
        case .errno(let number): "ERRNO=\(number)"
        case .extendTimeoutMicroseconds(let usec): "EXTEND_TIMEOUT_USEC=\(usec)"
        }
    }

    /// The datagram payload for a list of states.
    public static func message(_ states: [NotifyState]) -> String {
        states.map(\.line).joined(separator: "\n")
    }

    /// `CLOCK_MONOTONIC` now, in microseconds (the clock sd_notify(3) means by `MONOTONIC_USEC`).
    public static func monotonicNow() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }

    private static func singleLine(_ text: String) -> String {
        String(text.map { $0.isNewline || $0 == "\0" ? " " : $0 })
    }
}
