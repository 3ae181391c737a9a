import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Kernel credentials of each open connection, read once when it is accepted.
///
/// `SO_PEERCRED` reports the process that called `connect(2)`; the kernel fixes it then and it never changes
/// for the life of the connection, so reading it again for every request returns the same answer, at the price
/// of two thread hand-offs (the request runs off the connection's event loop). Entries are added by the
/// connection initializer on the event loop and removed when the connection closes; a connection whose
/// credentials could not be read has no entry, and its requests read them directly (and fail closed).
final class PeerCache: Sendable {
    static let shared = PeerCache()
    private let entries = Mutex<[ObjectIdentifier: PeerCredentials]>([:])

    /// Reads the credentials of a just-accepted `channel` (on its event loop) and keeps them until it closes.
    func remember(_ channel: any Channel) {
        guard let provider = channel as? any SocketOptionProvider else { return }
        let key = ObjectIdentifier(channel)
        provider.unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
            .whenSuccess { (credentials: PeerCredentials) in
                self.entries.withLock { $0[key] = credentials }
            }
        // The closure keeps the channel alive until it runs, so its identifier cannot be reused before removal.
        channel.closeFuture.whenComplete { _ in
            _ = channel
            self.entries.withLock { _ = $0.removeValue(forKey: key) }
        }
    }

    func credentials(of channel: any Channel) -> PeerCredentials? {
        entries.withLock { $0[ObjectIdentifier(channel)] }
    }

    var count: Int { entries.withLock { $0.count } }
}
