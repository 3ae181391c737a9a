#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file descriptor passed by socket activation, with its `FileDescriptorName=`.
public struct ListenedFD: Sendable, Equatable {
    /// The descriptor number (3, 4, …).
    public let fd: CInt
    /// The name from `LISTEN_FDNAMES`, or `"unknown"` when the manager sent none (as sd_listen_fds_with_names(3)).
    public let name: String

    /// Creates a record; normally produced by ``ListenFDs``.
    public init(fd: CInt, name: String) {
        self.fd = fd
        self.name = name
    }
}

/// sd_listen_fds(3) / sd_listen_fds_with_names(3): adopt sockets passed by systemd socket activation.
///
/// The parsing is pure (``parse(environment:processID:firstFD:)``) so it can be tested with an injected
/// environment; ``adopt(environment:processID:unsetEnvironment:)`` additionally marks the fds close-on-exec
/// and removes `LISTEN_PID`, `LISTEN_FDS` and `LISTEN_FDNAMES` from the environment so children do not inherit
/// them.
///
/// ```swift
/// let fds = try ListenFDs.adopt()
/// if let control = ListenFDs.select(fds, named: "control"),
///    ListenFDs.isListeningUnixStreamSocket(control.fd) { /* serve on control.fd */ }
/// ```
public enum ListenFDs {
    /// `SD_LISTEN_FDS_START`: the first passed descriptor.
    public static let start: CInt = 3

    /// Parses `LISTEN_PID`, `LISTEN_FDS` and `LISTEN_FDNAMES`.
    ///
    /// - Returns: no fds if `LISTEN_PID` is missing or names another process, or `LISTEN_FDS` is missing or 0.
    /// - Throws: ``SystemdError/invalidEnvironment(name:value:)`` for unparsable numbers and
    ///   ``SystemdError/fdNameCountMismatch(fds:names:)`` when the names do not match the count.
    public static func parse(
        environment: [String: String],
        processID: pid_t = SystemdEnvironment.processID,
        firstFD: CInt = ListenFDs.start
    ) throws(SystemdError) -> [ListenedFD] {
        guard let pidText = environment["LISTEN_PID"] else { return [] }
        guard let pid = pid_t(pidText), pid > 0 else {
            throw .invalidEnvironment(name: "LISTEN_PID", value: pidText)
        }
        guard pid == processID else { return [] }
        guard let countText = environment["LISTEN_FDS"] else { return [] }
        guard let count = Int(countText), count >= 0, count <= Int(CInt.max - firstFD) else {
            throw .invalidEnvironment(name: "LISTEN_FDS", value: countText)
        }
        guard count > 0 else { return [] }
        var names = Array(repeating: "unknown", count: count)
        if let namesText = environment["LISTEN_FDNAMES"] {
            let given = namesText.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard given.count == count else { throw .fdNameCountMismatch(fds: count, names: given.count) }
            names = given
        }
        return (0..<count).map { ListenedFD(fd: firstFD + CInt($0), name: names[$0]) }
    }

    /// Adopts the passed descriptors: parses the environment, sets `FD_CLOEXEC` on each fd and (by default)
    /// unsets the three variables, whether or not they were meant for this process, as sd_listen_fds(3) does.
    ///
    /// - Parameter environment: `nil` reads (and may unset) the real process environment; a dictionary is only
    ///   parsed, never modified (for tests).
    public static func adopt(
        environment: [String: String]? = nil,
        processID: pid_t = SystemdEnvironment.processID,
        unsetEnvironment: Bool = true
    ) throws(SystemdError) -> [ListenedFD] {
        try adopt(environment: environment, processID: processID, unsetEnvironment: unsetEnvironment, firstFD: start)
    }

    /// Test seam: like ``adopt(environment:processID:unsetEnvironment:)`` with a different first fd.
    static func adopt(
        environment: [String: String]?,
        processID: pid_t,
        unsetEnvironment: Bool,
        firstFD: CInt
    ) throws(SystemdError) -> [ListenedFD] {
        defer {
            if environment == nil && unsetEnvironment {
                unsetenv("LISTEN_PID")
                unsetenv("LISTEN_FDS")
                unsetenv("LISTEN_FDNAMES")
            }
        }
        let fds = try parse(
            environment: environment ?? SystemdEnvironment.current(),
            processID: processID,
            firstFD: firstFD
        )
        for listened in fds {
            let flags = fcntl(listened.fd, F_GETFD)
            guard flags >= 0 else { throw .systemCall("fcntl(\(listened.fd), F_GETFD)", errno: errno) }
            guard fcntl(listened.fd, F_SETFD, flags | FD_CLOEXEC) >= 0 else {
                throw .systemCall("fcntl(\(listened.fd), F_SETFD)", errno: errno)
            }
        }
        return fds
    }

    /// Picks the descriptor named `name`; if none has that name but exactly one fd was passed, that one.
    public static func select(_ fds: [ListenedFD], named name: String) -> ListenedFD? {
        fds.first { $0.name == name } ?? (fds.count == 1 ? fds.first : nil)
    }

    /// The control API's socket among the passed `fds`: the one named `name` (`FileDescriptorName=control` in
    /// tokend.socket) or, when none carries that name, the only one passed; it must be a listening `AF_UNIX`
    /// stream socket.
    ///
    /// - Returns: `nil` when nothing was passed (the daemon then binds `control.socket` itself).
    /// - Throws: ``SystemdError/noSocketNamed(_:names:)`` when several fds are passed and none is `name`;
    ///   ``SystemdError/notAListeningUnixStreamSocket(fd:name:)`` when the chosen fd is anything else.
    public static func controlSocket(_ fds: [ListenedFD], named name: String = "control") throws(SystemdError) -> CInt? {
        guard !fds.isEmpty else { return nil }
        guard let chosen = select(fds, named: name) else { throw .noSocketNamed(name, names: fds.map(\.name)) }
        guard isListeningUnixStreamSocket(chosen.fd) else {
            throw .notAListeningUnixStreamSocket(fd: chosen.fd, name: chosen.name)
        }
        return chosen.fd
    }

    /// Whether `fd` is a listening `AF_UNIX` `SOCK_STREAM` socket (like `sd_is_socket_unix(fd, SOCK_STREAM, 1, …)`),
    /// optionally bound to `path`.
    public static func isListeningUnixStreamSocket(_ fd: CInt, path: String? = nil) -> Bool {
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFSOCK else { return false }
        guard let type = intOption(fd, SO_TYPE), type == CInt(SOCK_STREAM.rawValue) else { return false }
        guard let listening = intOption(fd, SO_ACCEPTCONN), listening != 0 else { return false }

        var address = sockaddr_un()
        var length = socklen_t(MemoryLayout<sockaddr_un>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0, address.sun_family == sa_family_t(AF_UNIX) else { return false }
        guard let path else { return true }
        let pathLength = Int(length) - MemoryLayout<sa_family_t>.size
        guard pathLength > 0 else { return false }
        let bound: [UInt8] = withUnsafeBytes(of: &address.sun_path) { raw in
            var bytes = Array(raw.prefix(pathLength))
            if bytes.first != 0, let nul = bytes.firstIndex(of: 0) { bytes.removeSubrange(nul...) }
            return bytes
        }
        var wanted = Array(path.utf8)
        if wanted.first == UInt8(ascii: "@") { wanted[0] = 0 }
        return bound == wanted
    }

    private static func intOption(_ fd: CInt, _ name: CInt) -> CInt? {
        var value: CInt = 0
        var length = socklen_t(MemoryLayout<CInt>.size)
        guard getsockopt(fd, SOL_SOCKET, name, &value, &length) == 0 else { return nil }
        return value
    }
}
