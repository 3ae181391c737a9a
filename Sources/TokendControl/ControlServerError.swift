#if canImport(Glibc)
import Glibc
#endif

/// Why the control socket could not be set up.
public enum ControlServerError: Error, Sendable, CustomStringConvertible {
    /// Another daemon accepts connections on the path.
    case alreadyRunning(String)
    /// The path exists and is not a socket: refusing to replace it.
    case notASocket(String)
    /// A system call failed.
    case system(String, errno: Int32)
    /// The (temporary) path does not fit `sun_path`.
    case pathTooLong(String)

    public var description: String {
        switch self {
        case .alreadyRunning(let path): "another tokend is answering on \(path); refusing to start"
        case .notASocket(let path): "\(path) exists and is not a socket; refusing to replace it"
        case .system(let what, let code): "\(what): \(String(cString: strerror(code)))"
        case .pathTooLong(let path): "socket path too long for sun_path (108 bytes): \(path)"
        }
    }
}
