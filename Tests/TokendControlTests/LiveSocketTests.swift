import Foundation
import Logging
import ServiceLifecycle
import Testing
@testable import TokendControl
import TokendCore

#if canImport(Glibc)
import Glibc
#endif

/// Over a real Unix socket: the socket file's mode, SO_PEERCRED identity, a second uid, stale-socket
/// replacement and refusal when a live daemon owns the path.
@Suite(.serialized) struct LiveSocketTests {
    struct Running {
        let task: Task<Void, any Error>
        let path: String
    }

    static func start(_ harness: Harness, path: String, mode: UInt16) async throws -> Running {
        let (ready, continuation) = AsyncStream.makeStream(of: Void.self)
        let server = ControlServer(
            listener: .path(path, mode: mode), api: harness.api, logger: Logger(label: "live"),
            onReady: { continuation.yield() })
        let task = Task { try await server.run() }
        var iterator = ready.makeAsyncIterator()
        _ = await iterator.next()
        return Running(task: task, path: path)
    }

    /// One HTTP/1.1 request over a raw AF_UNIX socket from this very process (so the server sees our pid).
    static func rawRequest(path: String, method: String, target: String, body: String = "") throws -> (Int, String) {
        let fd = try connectRaw(path)
        defer { close(fd) }
        let request =
            "\(method) \(target) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        _ = Array(request.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            response += chunk[0..<n]
        }
        let text = String(decoding: response, as: UTF8.self)
        let status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
        let body = text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        return (status, body)
    }

    /// `curl --unix-socket` as `nobody` (uid 65534).
    static func curlAsNobody(path: String, method: String, target: String, body: String? = nil) throws -> (Int, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        var arguments = [
            "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/curl", "-s", "--unix-socket", path, "-X", method,
            "-w", "\n%{http_code}",
        ]
        if let body { arguments += ["-H", "Content-Type: application/json", "-d", body] }
        arguments.append("http://localhost\(target)")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    /// Leaves a socket file nobody listens on (what a crashed daemon leaves behind).
    static func makeStaleSocket(_ path: String) {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = unixAddress(path)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        close(fd)
    }

    @Test func peerCredentialsModeAndSecondUID() async throws {
        let harness = try Harness(peerResolver: SocketPeerResolver())
        let path = harness.directory + "/control.sock"
        chmod(harness.directory, 0o755)
        Self.makeStaleSocket(path)
        #expect(FileManager.default.fileExists(atPath: path))
        let running = try await Self.start(harness, path: path, mode: 0o666)
        defer { running.task.cancel() }

        var info = stat()
        #expect(lstat(path, &info) == 0)
        #expect(info.st_mode & S_IFMT == S_IFSOCK)
        #expect(info.st_mode & 0o777 == 0o666)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: harness.directory).filter { $0.hasPrefix(".tokend-") }
        #expect(leftovers.isEmpty)

        let (status, body) = try Self.rawRequest(
            path: path, method: "POST", target: "/v1/tokens", body: #"{"provider":"fogbugz","token":"live-secret"}"#)
        #expect(status == 201, "\(body)")
        let record = try JSON.parse(Array(body.utf8))
        let id = try #require(record["id"]?.stringValue)
        #expect(record["registered_by_uid"]?.intValue == Int(getuid()))
        let (auditStatus, auditBody) = try Self.rawRequest(path: path, method: "GET", target: "/v1/audit?token_id=\(id)")
        #expect(auditStatus == 200)
        let actor = try JSON.parse(Array(auditBody.utf8))["events"]?.arrayValue.first?["actor"]
        #expect(actor?["uid"]?.intValue == Int(getuid()))
        #expect(actor?["pid"]?.intValue == Int(getpid()))
        #expect(actor?["role"]?.stringValue == (getuid() == 0 ? "admin" : "client"))

        await #expect(throws: ControlServerError.self) {
            let second = ControlServer(listener: .path(path, mode: 0o660), api: harness.api, logger: Logger(label: "second"))
            try await second.run()
        }

        let (lookupStatus, lookupBody) = try Self.rawRequest(
            path: path, method: "POST", target: "/v1/tokens:lookup", body: #"{"token":"live-secret"}"#)
        #expect(lookupStatus == 200, "\(lookupBody)")
        let (batchStatus, batchBody) = try Self.rawRequest(
            path: path, method: "POST", target: "/v1/tokens:batch", body: #"{"tokens":[{"provider":"fogbugz","token":"b"}]}"#)
        #expect(batchStatus == 200, "\(batchBody)")

        if getuid() == 0 {
            let (listStatus, listBody) = try Self.curlAsNobody(path: path, method: "GET", target: "/v1/tokens")
            #expect(listStatus == 200, "\(listBody)")
            #expect(try JSON.parse(Array(listBody.utf8))["tokens"]?.arrayValue.isEmpty == true)
            #expect(try Self.curlAsNobody(path: path, method: "GET", target: "/v1/tokens/\(id)").0 == 404)
            #expect(try Self.curlAsNobody(path: path, method: "POST", target: "/v1/tokens/\(id)/revoke").0 == 404)
            #expect(try Self.curlAsNobody(path: path, method: "POST", target: "/v1/tokens:lookup", body: #"{"token":"live-secret"}"#).0 == 404)
            let (mine, mineBody) = try Self.curlAsNobody(
                path: path, method: "POST", target: "/v1/tokens", body: #"{"provider":"fogbugz","token":"nobody-secret"}"#)
            #expect(mine == 201, "\(mineBody)")
            let nobodyRecord = try JSON.parse(Array(mineBody.utf8))
            #expect(nobodyRecord["registered_by_uid"]?.intValue == 65534)
            #expect(nobodyRecord["owner"]?.stringValue == "nobody")
            let (rootView, _) = try Self.rawRequest(path: path, method: "GET", target: "/v1/tokens/\(id)")
            #expect(rootView == 200)
            #expect(try Self.curlAsNobody(path: path, method: "POST", target: "/v1/sweep").0 == 403)
        }

        running.task.cancel()
        _ = try? await running.task.value
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    static func unixAddress(_ path: String) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8)
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }

    /// A connected AF_UNIX socket with a 5 s receive timeout.
    static func connectRaw(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = unixAddress(path)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { throw TestFailure("connect failed: \(errno)") }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    static func send(_ fd: Int32, _ text: String) {
        _ = Array(text.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    /// Reads until EOF/timeout; returns the bytes and whether the peer closed (EOF) rather than timing out.
    static func readAll(_ fd: Int32) -> (String, closed: Bool) {
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4_096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n == 0 { return (String(decoding: response, as: UTF8.self), true) }
            // A peer that closes with our request still unread resets the connection: that is a close too.
            if n < 0 { return (String(decoding: response, as: UTF8.self), errno == ECONNRESET) }
            response += chunk[0..<n]
        }
    }

    /// Credentials are read once per connection (SO_PEERCRED is fixed at connect time) and forgotten when the
    /// connection closes, so the cache never outgrows the open connections.
    @Test func peerCredentialsAreKeptPerConnectionOnly() async throws {
        let harness = try Harness(peerResolver: SocketPeerResolver())
        let path = harness.directory + "/control.sock"
        let running = try await Self.start(harness, path: path, mode: 0o600)
        defer { running.task.cancel() }
        let baseline = PeerCache.shared.count
        var open: [Int32] = []
        for _ in 0..<5 { open.append(try Self.connectRaw(path)) }
        let deadline = ContinuousClock.now + .seconds(5)
        while PeerCache.shared.count < baseline + 5 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(PeerCache.shared.count == baseline + 5)
        // Requests on fresh connections still carry this process's identity.
        let (status, body) = try Self.rawRequest(path: path, method: "GET", target: "/v1/status")
        #expect(status == 200, "\(body)")
        for fd in open { close(fd) }
        while PeerCache.shared.count > baseline && ContinuousClock.now < deadline + .seconds(5) {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(PeerCache.shared.count == baseline)
    }

    @Test func slowLorisIsCutOffAndConnectionLimitHolds() async throws {
        let harness = try Harness(peerResolver: SocketPeerResolver())
        let path = harness.directory + "/control.sock"
        let (ready, continuation) = AsyncStream.makeStream(of: Void.self)
        let server = ControlServer(
            listener: .path(path, mode: 0o600), responder: harness.api.makeRouter().buildResponder(),
            maxConnections: { 1 }, timeouts: ControlTimeouts(requestRead: .seconds(1), idle: .seconds(30)),
            logger: Logger(label: "limits"), onReady: { continuation.yield() })
        let task = Task { try await server.run() }
        defer { task.cancel() }
        var iterator = ready.makeAsyncIterator()
        _ = await iterator.next()

        // A client that sends half a request head and stalls is disconnected after requestRead.
        let slow = try Self.connectRaw(path)
        let start = ContinuousClock.now
        Self.send(slow, "GET /v1/status HTTP/1.1\r\nHost: x\r\n")
        let (partial, closed) = Self.readAll(slow)
        let elapsed = ContinuousClock.now - start
        close(slow)
        #expect(closed)
        #expect(partial.isEmpty)
        #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(4), "\(elapsed)")

        // With max_connections = 1, a second concurrent connection gets the contract's 503 and is closed.
        try await Task.sleep(for: .milliseconds(500))  // let the server finish tearing down the slow one
        let first = try Self.connectRaw(path)
        try await Task.sleep(for: .milliseconds(200))
        let second = try Self.connectRaw(path)
        Self.send(second, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let (refused, refusedClosed) = Self.readAll(second)
        close(second)
        #expect(refusedClosed)
        #expect(refused.hasPrefix("HTTP/1.1 503"), "\(refused)")
        #expect(refused.lowercased().contains("content-type: application/json"))
        #expect(refused.contains(#""code":"unavailable""#))
        #expect(refused.contains("max_connections"))
        close(first)
        var answered = false
        for _ in 0..<20 where !answered {
            try await Task.sleep(for: .milliseconds(100))
            answered = (try? Self.rawRequest(path: path, method: "GET", target: "/healthz").0) == 200
        }
        #expect(answered)
        task.cancel()
        _ = try? await task.value
    }

    /// Requests the HTTP parser rejects still get the contract's JSON error, not a bare 400.
    @Test(arguments: [
        "NOT A REQUEST\r\n\r\n",
        "POST /v1/tokens HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        "GET /v1/status HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 100_000) + "\r\n\r\n",
    ])
    func unparseableHTTPGetsAJSONError(request: String) async throws {
        let harness = try Harness(peerResolver: SocketPeerResolver())
        let path = harness.directory + "/control.sock"
        let running = try await Self.start(harness, path: path, mode: 0o600)
        defer { running.task.cancel() }
        let fd = try Self.connectRaw(path)
        Self.send(fd, request)
        let (answer, closed) = Self.readAll(fd)
        close(fd)
        #expect(closed)
        #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer.prefix(200))")
        #expect(answer.lowercased().contains("content-type: application/json"))
        #expect(answer.contains(#"{"error":{"code":"bad_request","message":"#))
        // The connection still closes after the answer, and the server keeps serving others.
        #expect(try Self.rawRequest(path: path, method: "GET", target: "/healthz").0 == 200)
    }

    @Test func gracefulShutdownFinishesInFlightRequests() async throws {
        let harness = try Harness(peerResolver: SocketPeerResolver())
        harness.engine.state.withLock { $0.waitDelay = .milliseconds(700) }
        let path = harness.directory + "/control.sock"
        let (ready, continuation) = AsyncStream.makeStream(of: Void.self)
        let server = ControlServer(
            listener: .path(path, mode: 0o600), api: harness.api, logger: Logger(label: "graceful"),
            onReady: { continuation.yield() })
        let group = ServiceGroup(
            configuration: .init(services: [server], gracefulShutdownSignals: [], logger: Logger(label: "group")))
        let running = Task { try await group.run() }
        var iterator = ready.makeAsyncIterator()
        _ = await iterator.next()
        let (_, registered) = try Self.rawRequest(
            path: path, method: "POST", target: "/v1/tokens", body: #"{"provider":"fogbugz","token":"graceful"}"#)
        let id = try #require(try JSON.parse(Array(registered.utf8))["id"]?.stringValue)
        let inFlight = Task.detached {
            try Self.rawRequest(path: path, method: "POST", target: "/v1/tokens/\(id)/revoke", body: #"{"wait":true}"#)
        }
        try await Task.sleep(for: .milliseconds(250))
        await group.triggerGracefulShutdown()
        let (status, body) = try await inFlight.value
        #expect(status == 202, "\(body)")
        try await running.value
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect((try? Self.connectRaw(path)) == nil)
    }

    @Test func restrictiveModeKeepsOtherUsersOut() async throws {
        let harness = try Harness(peerResolver: SocketPeerResolver())
        let path = harness.directory + "/control.sock"
        chmod(harness.directory, 0o755)
        let running = try await Self.start(harness, path: path, mode: 0o600)
        defer { running.task.cancel() }
        var info = stat()
        #expect(lstat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(try Self.rawRequest(path: path, method: "GET", target: "/healthz").0 == 200)
        if getuid() == 0 {
            let (status, _) = try Self.curlAsNobody(path: path, method: "GET", target: "/healthz")
            #expect(status == 0)  // connect(2) refused by the file mode: curl prints 000
        }
        running.task.cancel()
        _ = try? await running.task.value
    }

    @Test func createsMissingParentAndAdoptsConfiguredMode() async throws {
        let harness = try Harness(peerResolver: SocketPeerResolver())
        let path = harness.directory + "/var/run/tokend.sock"
        var control = harness.configuration.control
        control.socket = path
        control.mode = 0o660
        let listener = ControlListener.configured(control)
        #expect(listener == .path(path, mode: 0o660))
        #expect(ControlListener.configured(control, inheritedFD: 3) == .inheritedFD(3))
        let (ready, continuation) = AsyncStream.makeStream(of: Void.self)
        let server = ControlServer(listener: listener, api: harness.api, logger: Logger(label: "dev"), onReady: { continuation.yield() })
        let task = Task { try await server.run() }
        var iterator = ready.makeAsyncIterator()
        _ = await iterator.next()
        var info = stat()
        #expect(lstat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o660)
        #expect(try Self.rawRequest(path: path, method: "GET", target: "/v1/status").0 == 200)
        task.cancel()
        _ = try? await task.value
    }

    @Test func refusesToReplaceARegularFile() async throws {
        let harness = try Harness(peerResolver: SocketPeerResolver())
        let path = harness.directory + "/control.sock"
        _ = FileManager.default.createFile(atPath: path, contents: Data("x".utf8))
        await #expect(throws: ControlServerError.self) {
            try await ControlServer(listener: .path(path, mode: 0o660), api: harness.api, logger: Logger(label: "x")).run()
        }
        #expect(FileManager.default.fileExists(atPath: path))
    }
}

