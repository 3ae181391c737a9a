import Hummingbird
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Where a request's kernel credentials come from.
///
/// Production uses ``SocketPeerResolver`` (`SO_PEERCRED` on the connection). In-process router tests, which
/// have no socket, inject their own resolver; nothing in the daemon ever reads identity from the request.
public protocol PeerResolver: Sendable {
    /// The credentials of the process that sent `request`, or `nil` when they cannot be determined.
    func credentials(for request: Request, context: ControlContext) async -> PeerCredentials?
}

/// `SO_PEERCRED` of the connection: as read when it was accepted (``PeerCache``), else from the socket now.
public struct SocketPeerResolver: PeerResolver {
    public init() {}

    public func credentials(for request: Request, context: ControlContext) async -> PeerCredentials? {
        if let known = PeerCache.shared.credentials(of: context.channel) { return known }
        guard let provider = context.channel as? any SocketOptionProvider else { return nil }
        return try? await provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED)
        ).get() as PeerCredentials
    }
}
