/// Errors reported by the systemd integration helpers.
///
/// Each case carries enough context to be logged as one line; none carries secret material.
public enum SystemdError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `NOTIFY_SOCKET` is set but is neither an absolute path nor an abstract (`@…`) name, or is too long.
    case invalidNotifySocket(String)
    /// A system call failed; `errno` is the C error number.
    case systemCall(String, errno: Int32)
    /// The notification datagram was only partly sent.
    case shortWrite(sent: Int, expected: Int)
    /// An environment variable has a value that cannot be parsed.
    case invalidEnvironment(name: String, value: String)
    /// `LISTEN_FDNAMES` does not name exactly `LISTEN_FDS` descriptors.
    case fdNameCountMismatch(fds: Int, names: Int)
    /// Several descriptors were passed and none has the wanted `FileDescriptorName=`.
    case noSocketNamed(String, names: [String])
    /// The passed descriptor chosen for the control API is not a listening `AF_UNIX` stream socket.
    case notAListeningUnixStreamSocket(fd: CInt, name: String)

    public var description: String {
        switch self {
        case .invalidNotifySocket(let value): "invalid NOTIFY_SOCKET '\(value)'"
        case .systemCall(let call, let errno): "\(call) failed: errno \(errno)"
        case .shortWrite(let sent, let expected): "short write to notify socket: \(sent) of \(expected) bytes"
        case .invalidEnvironment(let name, let value): "invalid \(name)='\(value)'"
        case .fdNameCountMismatch(let fds, let names): "LISTEN_FDNAMES has \(names) names for \(fds) fds"
        case .noSocketNamed(let name, let names):
            "no passed socket is named '\(name)' (LISTEN_FDNAMES: \(names.joined(separator: ":")))"
        case .notAListeningUnixStreamSocket(let fd, let name):
            "passed fd \(fd) ('\(name)') is not a listening AF_UNIX stream socket"
        }
    }
}
