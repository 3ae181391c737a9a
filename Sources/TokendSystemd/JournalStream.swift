#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Detects whether a file descriptor is connected to the journal, as described in systemd.exec(5), `$JOURNAL_STREAM`:
/// the variable holds `device:inode` of the stream systemd connected stdout/stderr to; a process compares it with
/// `fstat(2)` of its own stderr, since the variable is inherited by children whose stderr may be redirected.
public enum JournalStream {
    /// Parses `JOURNAL_STREAM` (`"<dev>:<ino>"`, both decimal).
    public static func parse(_ value: String) -> (device: UInt64, inode: UInt64)? {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return nil }
        return (device, inode)
    }

    /// Whether `fd` (default: stderr) is the stream named by `JOURNAL_STREAM` in `environment`.
    public static func isConnected(
        environment: [String: String] = SystemdEnvironment.current(),
        fd: CInt = STDERR_FILENO
    ) -> Bool {
        guard let value = environment["JOURNAL_STREAM"], let expected = parse(value) else { return false }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return false }
        return UInt64(info.st_dev) == expected.device && UInt64(info.st_ino) == expected.inode
    }
}
