import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` on `<database>.lock`: one daemon per database, so claims and leases have one owner.
final class DaemonLock {
    private let fd: CInt

    /// Takes the lock or returns `nil` if another process holds it.
    init?(database: String) throws {
        let path = database + ".lock"
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return nil
        }
    }

    deinit { close(fd) }
}
