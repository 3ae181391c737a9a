import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Binding a Unix socket path without a window of wider permissions.
///
/// `umask` is process-wide: changing it around `bind` races with every other thread that creates files
/// (the store sets it too). Instead the socket is bound inside a fresh private directory (`mkdtemp`, 0700)
/// next to the target, `chmod`ed to the configured mode while nobody else can reach it, and `rename(2)`d
/// into place — which also replaces a stale socket file atomically. A live daemon on the path is detected
/// first by connecting to it.
enum SocketPath {
    static let maxPathBytes = 107

    /// Refuses when `path` exists and is not a socket, or when something accepts connections on it.
    static func checkReplaceable(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return }
            throw ControlServerError.system("lstat \(path)", errno: errno)
        }
        guard info.st_mode & S_IFMT == S_IFSOCK else { throw ControlServerError.notASocket(path) }
        if isLive(path) { throw ControlServerError.alreadyRunning(path) }
    }

    /// Whether a connect to `path` succeeds.
    static func isLive(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count <= maxPathBytes else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0
    }

    /// A new private directory next to `path` and the temporary socket path inside it.
    static func makeStaging(for path: String) throws -> (directory: String, socket: String) {
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, !FileManager.default.fileExists(atPath: parent) {
            // A dev config's `./var/run`; under systemd `RuntimeDirectory=` already exists.
            try FileManager.default.createDirectory(
                atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        }
        let template = (parent.isEmpty ? "." : parent) + "/.tokend-XXXXXX"
        var buffer = Array(template.utf8CString)
        guard let created = buffer.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw ControlServerError.system("mkdtemp \(template)", errno: errno)
        }
        let directory = String(cString: created)
        let socket = directory + "/s"
        guard socket.utf8.count <= maxPathBytes, path.utf8.count <= maxPathBytes else {
            rmdir(directory)
            throw ControlServerError.pathTooLong(socket.utf8.count > maxPathBytes ? socket : path)
        }
        return (directory, socket)
    }

    /// Gives the staged socket its mode and moves it to `path`; returns the inode for later clean-up.
    static func publish(staged: (directory: String, socket: String), to path: String, mode: mode_t) throws -> ino_t {
        defer { rmdir(staged.directory) }
        guard chmod(staged.socket, mode) == 0 else {
            let code = errno
            unlink(staged.socket)
            throw ControlServerError.system("chmod \(staged.socket)", errno: code)
        }
        var info = stat()
        guard stat(staged.socket, &info) == 0 else {
            throw ControlServerError.system("stat \(staged.socket)", errno: errno)
        }
        guard rename(staged.socket, path) == 0 else {
            let code = errno
            unlink(staged.socket)
            throw ControlServerError.system("rename \(staged.socket) → \(path)", errno: code)
        }
        return info.st_ino
    }

    /// Removes `path` if it is still the socket we created (another daemon may have replaced it since).
    static func remove(_ path: String, inode: ino_t) {
        var info = stat()
        if lstat(path, &info) == 0, info.st_ino == inode { unlink(path) }
    }

    /// Best-effort clean-up of a staging directory after a failed bind.
    static func discard(_ staged: (directory: String, socket: String)) {
        unlink(staged.socket)
        rmdir(staged.directory)
    }
}
