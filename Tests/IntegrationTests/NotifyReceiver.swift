import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A stand-in for systemd's notification socket: a datagram socket at a path, collecting messages with times.
final class NotifyReceiver: @unchecked Sendable {
    let path: String
    private let fd: CInt
    private let thread: Thread

    init() throws {
        path = "/tmp/tkd-notify-\(UUID().uuidString.prefix(8))"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        self.fd = fd
        let path = self.path
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: Array(path.utf8) + [0])
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let box = MessageBox()
        thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !Thread.current.isCancelled {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n > 0 { box.append(String(decoding: buffer[0..<n], as: UTF8.self)) }
            }
        }
        self.box = box
        thread.start()
    }

    private let box: MessageBox

    /// Every message received so far, oldest first.
    var received: [(at: ContinuousClock.Instant, text: String)] { box.all }

    func count(_ line: String) -> Int { received.filter { $0.text.split(separator: "\n").contains(Substring(line)) }.count }

    func stop() {
        thread.cancel()
        usleep(150_000)
        close(fd)
        unlink(path)
    }

    final class MessageBox: Sendable {
        private let items = Mutex<[(at: ContinuousClock.Instant, text: String)]>([])
        func append(_ text: String) { items.withLock { $0.append((ContinuousClock.now, text)) } }
        var all: [(at: ContinuousClock.Instant, text: String)] { items.withLock { $0 } }
    }
}
