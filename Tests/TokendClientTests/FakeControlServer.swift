import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A request as the fake server saw it on the wire.
struct FakeRequest: Sendable {
    var method: String
    var target: String
    var headers: [(String, String)]
    var body: Data
    /// Which accepted connection (0, 1, …) carried it.
    var connection: Int

    var path: String { String(target.split(separator: "?", maxSplits: 1).first ?? "") }
    var query: String? {
        let parts = target.split(separator: "?", maxSplits: 1)
        return parts.count == 2 ? String(parts[1]) : nil
    }
    func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }
    var bodyText: String { String(decoding: body, as: UTF8.self) }
    var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] }
}

/// What the fake server answers.
struct FakeResponse: Sendable {
    var status: Int = 200
    var body: Data = Data()
    var contentType = "application/json"
    /// Send `Connection: close` and close.
    var close = false
    /// Close right after answering, without announcing it (a daemon's idle timeout).
    var dropAfter = false
    /// Send these bytes instead of an HTTP response, then close.
    var raw: Data?
    /// Never answer.
    var noReply = false

    static func json(_ status: Int = 200, _ text: String) -> FakeResponse {
        FakeResponse(status: status, body: Data(text.utf8))
    }

    static func error(_ status: Int, _ code: String, _ message: String) -> FakeResponse {
        json(status, #"{"error":{"code":"\#(code)","message":"\#(message)","details":{}}}"#)
    }
}

/// A tiny blocking HTTP/1.1 server on a Unix socket, one thread per connection, with keep-alive.
/// It answers from a handler closure and records every request.
final class FakeControlServer: Sendable {
    let socketPath: String
    private let listenFD: Int32
    private let handler: @Sendable (FakeRequest) -> FakeResponse
    private let state = Mutex(State())

    private struct State {
        var requests: [FakeRequest] = []
        var connections = 0
        var openFDs: Set<Int32> = []
        var stopped = false
    }

    private init(socketPath: String, listenFD: Int32, handler: @escaping @Sendable (FakeRequest) -> FakeResponse) {
        self.socketPath = socketPath
        self.listenFD = listenFD
        self.handler = handler
    }

    /// Binds a fresh socket under /tmp and starts accepting.
    static func start(_ handler: @escaping @Sendable (FakeRequest) -> FakeResponse) throws -> FakeControlServer {
        let path = "/tmp/tokenctl-test-\(UUID().uuidString.prefix(12)).sock"
        #if canImport(Glibc)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_UNIX, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8)
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            let code = errno
            close(fd)
            throw POSIXError(.init(rawValue: code) ?? .EIO)
        }
        let server = FakeControlServer(socketPath: path, listenFD: fd, handler: handler)
        Thread.detachNewThread { server.acceptLoop() }
        return server
    }

    /// Every request received so far.
    var requests: [FakeRequest] { state.withLock { $0.requests } }
    /// How many connections were accepted.
    var connections: Int { state.withLock { $0.connections } }

    /// Stops accepting, drops every connection and removes the socket file.
    func stop() {
        let fds = state.withLock { state -> Set<Int32> in
            state.stopped = true
            return state.openFDs
        }
        shutdown(listenFD, Int32(SHUT_RDWR))
        close(listenFD)
        for fd in fds { shutdown(fd, Int32(SHUT_RDWR)) }
        unlink(socketPath)
    }

    private func acceptLoop() {
        while true {
            let connection = accept(listenFD, nil, nil)
            if connection < 0 {
                if errno == EINTR { continue }
                return
            }
            let number = state.withLock { state -> Int? in
                guard !state.stopped else { return nil }
                state.connections += 1
                state.openFDs.insert(connection)
                return state.connections - 1
            }
            guard let number else {
                close(connection)
                return
            }
            Thread.detachNewThread { self.serve(connection, number: number) }
        }
    }

    private func serve(_ fd: Int32, number: Int) {
        defer {
            state.withLock { _ = $0.openFDs.remove(fd) }
            close(fd)
        }
        var buffer: [UInt8] = []
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        while true {
            var headerEnd: Int?
            while headerEnd == nil {
                headerEnd = Self.find(separator, in: buffer)
                if headerEnd == nil && !readMore(fd, into: &buffer) { return }
            }
            let head = String(decoding: buffer[..<headerEnd!], as: UTF8.self)
            var lines = head.components(separatedBy: "\r\n")
            let requestLine = lines.removeFirst().split(separator: " ")
            guard requestLine.count == 3 else { return }
            let headers = lines.compactMap { line -> (String, String)? in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
            let length = headers.first { $0.0.lowercased() == "content-length" }.flatMap { Int($0.1) } ?? 0
            let total = headerEnd! + separator.count + length
            while buffer.count < total {
                if !readMore(fd, into: &buffer) { return }
            }
            let body = Data(buffer[(headerEnd! + separator.count)..<total])
            buffer.removeFirst(total)
            let request = FakeRequest(
                method: String(requestLine[0]), target: String(requestLine[1]), headers: headers, body: body,
                connection: number)
            state.withLock { $0.requests.append(request) }
            let response = handler(request)
            if response.noReply {
                while readMore(fd, into: &buffer) {}
                return
            }
            if let raw = response.raw {
                writeAll(fd, Array(raw))
                return
            }
            var text = "HTTP/1.1 \(response.status) Fake\r\n"
            text += "Content-Type: \(response.contentType)\r\n"
            text += "Content-Length: \(response.body.count)\r\n"
            if response.close { text += "Connection: close\r\n" }
            text += "\r\n"
            writeAll(fd, Array(text.utf8) + Array(response.body))
            if response.close || response.dropAfter { return }
        }
    }

    private func readMore(_ fd: Int32, into buffer: inout [UInt8]) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return false }
        buffer += chunk[..<count]
        return true
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written <= 0 { return }
            offset += written
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if Array(haystack[start..<(start + needle.count)]) == needle { return start }
        }
        return nil
    }
}
