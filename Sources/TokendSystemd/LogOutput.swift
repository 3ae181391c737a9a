#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Where ``JournalLogHandler`` writes its lines. Each line (with its trailing newline) is delivered in one call.
public struct LogOutput: Sendable {
    private let sink: @Sendable (String) -> Void

    /// A custom sink (tests capture lines with it).
    public init(_ sink: @escaping @Sendable (_ line: String) -> Void) {
        self.sink = sink
    }

    /// Writes to a file descriptor: one `write(2)` per line, serialized by a process-wide lock so concurrent
    /// loggers never interleave, retrying on `EINTR` and partial writes.
    public static func fileDescriptor(_ fd: CInt) -> LogOutput {
        LogOutput { line in
            var line = line
            line.withUTF8 { bytes in
                writeLock.withLock { _ in
                    var offset = 0
                    while offset < bytes.count {
                        let written = systemWrite(fd, bytes.baseAddress! + offset, bytes.count - offset)
                        if written < 0 {
                            if errno == EINTR { continue }
                            return  // nowhere left to report a logging failure
                        }
                        offset += written
                    }
                }
            }
        }
    }

    /// Standard error, the stream systemd connects to the journal.
    public static let standardError = LogOutput.fileDescriptor(STDERR_FILENO)

    /// Delivers one line.
    public func write(_ line: String) {
        sink(line)
    }
}

private let writeLock = Mutex(())

private func systemWrite(_ fd: CInt, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Darwin)
    Darwin.write(fd, buffer, count)
    #elseif canImport(Musl)
    Musl.write(fd, buffer, count)
    #else
    Glibc.write(fd, buffer, count)
    #endif
}
