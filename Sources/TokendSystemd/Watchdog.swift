#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// sd_watchdog_enabled(3): the watchdog period requested by `WatchdogSec=`.
public enum Watchdog {
    /// The period from `WATCHDOG_USEC`, or `nil` when the watchdog is off for this process.
    ///
    /// Off means: `WATCHDOG_USEC` missing or 0, or `WATCHDOG_PID` set to another process.
    ///
    /// - Throws: ``SystemdError/invalidEnvironment(name:value:)`` for unparsable values.
    public static func period(
        environment: [String: String] = SystemdEnvironment.current(),
        processID: pid_t = SystemdEnvironment.processID
    ) throws(SystemdError) -> Duration? {
        guard let usecText = environment["WATCHDOG_USEC"] else { return nil }
        guard let usec = Int64(usecText), usec >= 0 else {
            throw .invalidEnvironment(name: "WATCHDOG_USEC", value: usecText)
        }
        if let pidText = environment["WATCHDOG_PID"] {
            guard let pid = pid_t(pidText), pid > 0 else {
                throw .invalidEnvironment(name: "WATCHDOG_PID", value: pidText)
            }
            guard pid == processID else { return nil }
        }
        return usec == 0 ? nil : .microseconds(usec)
    }
}
