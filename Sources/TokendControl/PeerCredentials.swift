#if canImport(Glibc)
import Glibc
#endif

/// The kernel's view of the process at the other end of a Unix socket: layout-compatible with `struct ucred`
/// (Glibc does not export it without `_GNU_SOURCE`), read with `SO_PEERCRED`.
public struct PeerCredentials: Sendable, Hashable {
    public var pid: pid_t
    public var uid: uid_t
    public var gid: gid_t

    public init(pid: pid_t = 0, uid: uid_t = 0, gid: gid_t = 0) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }
}
