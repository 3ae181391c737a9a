#if canImport(Glibc)
import Glibc
#endif

/// A loopback TCP port that listens but never completes a handshake: the listen backlog is 0 and already
/// holds one connection that is never accepted, so Linux drops every further SYN and a client's `connect`
/// hangs until its connect timeout (no RST, unlike a closed port).
final class BlackHoleListener {
    let port: UInt16
    private let listener: CInt
    private let filler: CInt

    init() throws {
        let listener = socket(AF_INET, CInt(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(listener, pointer, length) == 0 && listen(listener, 0) == 0
                    && getsockname(listener, pointer, &length) == 0
            }
        }
        guard listener >= 0, bound else { throw Failure.socket(errno) }
        // Fill the accept queue (capacity backlog + 1 = 1); the listener never accepts it.
        let filler = socket(AF_INET, CInt(SOCK_STREAM.rawValue), 0)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(filler, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard filler >= 0, connected else { throw Failure.socket(errno) }
        self.listener = listener
        self.filler = filler
        self.port = UInt16(bigEndian: address.sin_port)
    }

    /// Closes both sockets; call when done (a `defer` keeps the listener alive until then).
    func close() {
        _ = Glibc.close(filler)
        _ = Glibc.close(listener)
    }

    var url: String { "http://127.0.0.1:\(port)" }

    enum Failure: Error { case socket(CInt) }
}
