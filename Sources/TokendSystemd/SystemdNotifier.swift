#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Sends sd_notify(3) messages to the service manager over the `NOTIFY_SOCKET` datagram socket.
///
/// Without `NOTIFY_SOCKET` (not started by systemd, or `Type=simple`) every send is a no-op that returns `false`,
/// so the daemon can call it unconditionally. Supports filesystem paths and Linux abstract names (`@name`).
///
/// ```swift
/// let notifier = SystemdNotifier()            // reads the process environment once
/// notifier.notify(.ready, .status("serving"))  // after the control socket listens
/// ```
public struct SystemdNotifier: Sendable {
    /// The raw `NOTIFY_SOCKET` value, or `nil` when notifications are disabled.
    public let socketAddress: String?

    /// Creates a notifier from an environment (default: the process environment).
    public init(environment: [String: String] = SystemdEnvironment.current()) {
        let value = environment["NOTIFY_SOCKET"]
        self.socketAddress = (value?.isEmpty ?? true) ? nil : value
    }

    /// Creates a notifier that sends to `socketAddress` (`/path` or `@abstract`), or a disabled one for `nil`.
    public init(socketAddress: String?) {
        self.socketAddress = (socketAddress?.isEmpty ?? true) ? nil : socketAddress
    }

    /// Whether a notification socket is configured.
    public var isEnabled: Bool { socketAddress != nil }

    /// Sends the states in one datagram.
    ///
    /// - Returns: `true` if sent, `false` if notifications are disabled.
    /// - Throws: ``SystemdError`` if `NOTIFY_SOCKET` is malformed or the send fails.
    @discardableResult
    public func send(_ states: [NotifyState]) throws(SystemdError) -> Bool {
        guard let socketAddress else { return false }
        let payload = Array(NotifyState.message(states).utf8)
        try Self.sendDatagram(payload, to: socketAddress)
        return true
    }

    /// Sends the states in one datagram, ignoring errors (the service manager treats a missing message like a
    /// missing ping, so there is nothing useful a caller could do).
    ///
    /// - Returns: `true` if the datagram was sent.
    @discardableResult
    public func notify(_ states: NotifyState...) -> Bool {
        (try? send(states)) ?? false
    }

    /// `READY=1` plus an optional `STATUS=`: call once the store is open and the control socket listens,
    /// and again at the end of every reload.
    @discardableResult
    public func ready(status: String? = nil) -> Bool {
        notify(states: [.ready], status: status)
    }

    /// `STATUS=…` alone, e.g. live counts.
    @discardableResult
    public func status(_ text: String) -> Bool {
        notify(.status(text))
    }

    /// `WATCHDOG=1`.
    @discardableResult
    public func watchdog() -> Bool {
        notify(.watchdog)
    }

    /// `STOPPING=1` plus an optional `STATUS=`.
    @discardableResult
    public func stopping(status: String? = nil) -> Bool {
        notify(states: [.stopping], status: status)
    }

    /// `RELOADING=1` with `MONOTONIC_USEC=` (required by `Type=notify-reload`) plus an optional `STATUS=`.
    ///
    /// Follow it with ``ready(status:)`` when the reload is complete, whether it succeeded or the old
    /// configuration was kept.
    @discardableResult
    public func reloading(status: String? = nil) -> Bool {
        notify(states: [.reloading, .monotonicMicroseconds(NotifyState.monotonicNow())], status: status)
    }

    /// Runs `body` between `RELOADING=1` and `READY=1`.
    ///
    /// `READY=1` is sent even when `body` throws (the old configuration stays in effect); the error is rethrown.
    public func withReloading<T>(
        isolation: isolated (any Actor)? = #isolation,
        status: String? = "reloading",
        _ body: () async throws -> T
    ) async rethrows -> T {
        reloading(status: status)
        do {
            let value = try await body()
            ready(status: "reload complete")
            return value
        } catch {
            ready(status: "reload failed; previous configuration kept")
            throw error
        }
    }

    private func notify(states: [NotifyState], status: String?) -> Bool {
        (try? send(status.map { states + [.status($0)] } ?? states)) ?? false
    }

    static func sendDatagram(_ payload: [UInt8], to socketAddress: String) throws(SystemdError) {
        var path = Array(socketAddress.utf8)
        if path.first == UInt8(ascii: "@") {
            path[0] = 0  // Linux abstract namespace
        } else if path.first != UInt8(ascii: "/") {
            throw .invalidNotifySocket(socketAddress)
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        // A filesystem path needs room for its NUL terminator; an abstract name uses its exact length.
        guard path.count < capacity || (path.first == 0 && path.count <= capacity) else {
            throw .invalidNotifySocket(socketAddress)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path) }
        let addressLength = socklen_t(MemoryLayout<sa_family_t>.size + path.count + (path.first == 0 ? 0 : 1))

        #if canImport(Darwin)
        let fd = socket(AF_UNIX, SOCK_DGRAM, 0)
        #else
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #endif
        guard fd >= 0 else { throw .systemCall("socket", errno: errno) }
        defer { close(fd) }

        let sent = payload.withUnsafeBytes { buffer in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), $0, addressLength)
                }
            }
        }
        guard sent >= 0 else { throw .systemCall("sendto", errno: errno) }
        guard sent == payload.count else { throw .shortWrite(sent: sent, expected: payload.count) }
    }
}
