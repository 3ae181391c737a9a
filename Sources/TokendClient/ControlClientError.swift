/// Failures of the transport itself, as opposed to error answers from the daemon
/// (those arrive as a ``ControlResponse`` with a non-2xx status; see ``ControlAPIError``).
public enum ControlClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The socket could not be opened: missing file, nobody listening, permission denied, path too long…
    /// - Parameters:
    ///   - path: the socket path that was tried.
    ///   - reason: a human explanation, usually the `strerror` text of the failing `connect(2)`.
    case cannotConnect(path: String, reason: String)
    /// The peer answered something that is not a well-formed HTTP/1.1 response.
    case protocolError(String)
    /// The connection was closed before a complete response arrived.
    case connectionClosed
    /// No complete response arrived within the client's request timeout.
    case timedOut
    /// The client was closed with ``ControlClient/close()`` before or during the request.
    case clientClosed

    /// A one-line human description.
    public var description: String {
        switch self {
        case let .cannotConnect(path, reason): "cannot connect to \(path): \(reason)"
        case let .protocolError(detail): "protocol error: \(detail)"
        case .connectionClosed: "the daemon closed the connection before answering"
        case .timedOut: "timed out waiting for the daemon"
        case .clientClosed: "the client was closed"
        }
    }
}
