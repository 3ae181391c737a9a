import Crypto
import Foundation
import TokendCore

#if canImport(Glibc)
import Glibc
#endif

/// Loads (or, for a key file, creates) the 32-byte master key.
public enum MasterKey {
    /// Why the key could not be loaded. Each message names the path and what to do.
    public struct LoadError: Error, CustomStringConvertible, Sendable {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// Loads the key from `source`, creating a missing key *file* with 32 random bytes and mode 0600.
    public static func load(_ source: Configuration.KeySource) throws -> SymmetricKey {
        switch source {
        case .file(let path):
            if !FileManager.default.fileExists(atPath: path) { try create(at: path) }
            return try read(path, checkMode: true)
        case .credential(let name, let path):
            guard FileManager.default.fileExists(atPath: path) else {
                throw LoadError(description: "key credential '\(name)' not found at \(path)")
            }
            // systemd owns the credential file's mode (0400 under a private mount); don't second-guess it.
            return try read(path, checkMode: false)
        }
    }

    private static func create(at path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        // O_EXCL: two daemons racing on first start must not both write a key.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw LoadError(description: "cannot create key file \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == 32, fsync(fd) == 0 else {
            throw LoadError(description: "cannot write key file \(path): \(String(cString: strerror(errno)))")
        }
    }

    private static func read(_ path: String, checkMode: Bool) throws -> SymmetricKey {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw LoadError(description: "cannot stat key file \(path): \(String(cString: strerror(errno)))")
        }
        if checkMode && info.st_mode & 0o077 != 0 {
            let mode = String(info.st_mode & 0o777, radix: 8)
            throw LoadError(description: "key file \(path) has mode 0\(mode); it must be 0600 or stricter (chmod 600)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(description: "cannot read key file \(path)")
        }
        guard data.count == 32 else {
            throw LoadError(description: "key file \(path) holds \(data.count) bytes; it must hold exactly 32 raw bytes")
        }
        return SymmetricKey(data: data)
    }
}
