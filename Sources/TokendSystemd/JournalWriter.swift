#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Sends datagrams to journald's native socket, or to a syslog daemon's `/dev/log` when there is no journal
/// (then as one RFC 3164 line, `<PRI>tag: key=value …`). Unconnected, so a restarted journald is found again.
public final class JournalWriter: Sendable {
    public enum Kind: Sendable, Equatable {
        /// journald's native protocol (structured fields kept).
        case journal
        /// A syslog socket: fields flattened into the message line.
        case syslog
    }

    public static let journalSocket = "/run/systemd/journal/socket"
    public static let syslogSocket = "/dev/log"

    public let path: String
    public let kind: Kind
    private let fd: CInt

    /// Opens a datagram socket for `path`; nil when no such socket exists. With no path: the journal's socket
    /// (`$TOKEND_JOURNAL_SOCKET` overrides it, for tests), else `/dev/log`.
    public init?(path: String? = nil, kind: Kind? = nil, environment: [String: String] = SystemdEnvironment.current()) {
        let candidates: [(String, Kind)] =
            if let path { [(path, kind ?? .journal)] }
            else if let override = environment["TOKEND_JOURNAL_SOCKET"] { [(override, .journal)] }
            else { [(Self.journalSocket, .journal), (Self.syslogSocket, .syslog)] }
        guard let found = candidates.first(where: { Self.isSocket($0.0) }) else { return nil }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        self.fd = fd
        self.path = found.0
        self.kind = found.1
    }

    deinit { close(fd) }

    private static func isSocket(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK
    }

    /// Sends one datagram; false when the socket refused it (full, gone, too large).
    @discardableResult
    public func send(_ bytes: [UInt8]) -> Bool {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: pathBytes + [0]) }
        let sent = bytes.withUnsafeBytes { buffer in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT), $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
        }
        return sent == bytes.count
    }

    /// An RFC 3164 line for `/dev/log`: `<PRI>tag: message key=value …` (values quoted when they hold spaces).
    public static func syslogLine(
        tag: String, facility: Int = 10, severity: Int = 6, message: String, fields: [(name: String, value: String)]
    ) -> [UInt8] {
        var line = "<\(facility * 8 + severity)>\(tag): \(message)"
        for (name, value) in fields {
            let flat = String(value.map { $0 == "\n" ? " " : $0 == "\"" ? "'" : $0 })
            line += flat.contains(" ") || flat.isEmpty ? " \(name)=\"\(flat)\"" : " \(name)=\(flat)"
        }
        return Array(line.utf8)
    }
}
