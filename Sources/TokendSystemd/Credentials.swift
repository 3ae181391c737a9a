#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// systemd service credentials (`LoadCredential=`, `LoadCredentialEncrypted=`, `SetCredential=`).
///
/// systemd places each credential as a read-only file in `$CREDENTIALS_DIRECTORY` (a private ramfs/tmpfs only
/// the service can read). A credential name is a single path component: names containing `/`, NUL, or equal to
/// `.` or `..` are rejected, so a config value such as `key_credential = "../../etc/shadow"` cannot escape.
public struct Credentials: Sendable {
    /// Longest accepted name (`NAME_MAX`).
    public static let maximumNameLength = 255

    /// The credentials directory, or `nil` when the unit passes none.
    public let directory: String?

    /// Reads `CREDENTIALS_DIRECTORY` from an environment (default: the process environment).
    ///
    /// A relative directory is ignored (treated as unset).
    public init(environment: [String: String] = SystemdEnvironment.current()) {
        self.init(directory: environment["CREDENTIALS_DIRECTORY"])
    }

    /// Uses an explicit directory (`nil` or a relative path: unavailable).
    public init(directory: String?) {
        if let directory, directory.hasPrefix("/") {
            self.directory = directory
        } else {
            self.directory = nil
        }
    }

    /// Whether `name` is a valid credential name (one path component, no NUL, not `.`/`..`, ≤ 255 bytes).
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && name.utf8.count <= maximumNameLength
            && !name.utf8.contains(UInt8(ascii: "/")) && !name.utf8.contains(0)
    }

    /// The absolute path of the credential `name`.
    ///
    /// - Throws: ``SystemdError/invalidCredentialName(_:)`` or ``SystemdError/credentialsUnavailable``.
    public func path(for name: String) throws(SystemdError) -> String {
        guard Self.isValidName(name) else { throw .invalidCredentialName(name) }
        guard let directory else { throw .credentialsUnavailable }
        return directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// Reads the credential `name` as raw bytes (e.g. a 32-byte master key).
    ///
    /// The file is opened with `O_NOFOLLOW`, so a symlink planted in place of a credential is refused.
    ///
    /// - Parameter maximumSize: larger credentials are refused (default 1 MiB).
    public func read(_ name: String, maximumSize: Int = 1 << 20) throws(SystemdError) -> [UInt8] {
        let path = try path(for: name)
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY)
        guard fd >= 0 else {
            let error = errno
            if error == ENOENT { throw .credentialNotFound(name) }
            throw .systemCall("open credential '\(name)'", errno: error)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .systemCall("fstat credential '\(name)'", errno: errno) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .systemCall("read credential '\(name)'", errno: EINVAL) }

        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .systemCall("read credential '\(name)'", errno: errno)
            }
            if count == 0 { break }
            guard bytes.count + count <= maximumSize else { throw .credentialTooLarge(name, limit: maximumSize) }
            bytes.append(contentsOf: chunk[0..<count])
        }
        // Do not leave a copy of the secret in the scratch buffer.
        for index in chunk.indices { chunk[index] = 0 }
        return bytes
    }

    /// Reads the credential `name` as UTF-8 text, without one trailing newline (e.g. an API key).
    public func readString(_ name: String, maximumSize: Int = 1 << 20) throws(SystemdError) -> String {
        var bytes = try read(name, maximumSize: maximumSize)
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}
