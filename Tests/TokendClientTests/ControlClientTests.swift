import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import TokendClient

@Suite("ControlClient over a Unix socket")
struct ControlClientTests {
    @Test("GET with percent-encoded query items reaches the server intact")
    func queryEncoding() async throws {
        let server = try FakeControlServer.start { _ in .json(200, #"{"tokens":[],"next_cursor":null}"#) }
        defer { server.stop() }
        let client = ControlClient(socketPath: server.socketPath)
        let response = try await client.request(
            "GET", "/v1/tokens", query: [("owner", "a b&c=d"), ("label", "app:billing"), ("label", "é/ü")])
        await client.close()
        #expect(response.status == 200)
        #expect(response.header("content-type") == "application/json")
        let request = try #require(server.requests.first)
        #expect(request.method == "GET")
        #expect(request.target == "/v1/tokens?owner=a%20b%26c%3Dd&label=app%3Abilling&label=%C3%A9%2F%C3%BC")
        #expect(request.header("Host") == "localhost")
    }

    @Test("POST sends the JSON body with Content-Type and Content-Length")
    func postBody() async throws {
        let server = try FakeControlServer.start { request in
            .json(201, request.bodyText)
        }
        defer { server.stop() }
        let client = ControlClient(socketPath: server.socketPath)
        let body = Data(#"{"provider":"box","token":"s3cret"}"#.utf8)
        let response = try await client.request("POST", "/v1/tokens", json: body)
        await client.close()
        #expect(response.status == 201)
        #expect(response.body == body)
        let request = try #require(server.requests.first)
        #expect(request.header("Content-Type") == "application/json")
        #expect(request.header("Content-Length") == String(body.count))
        #expect(request.body == body)
    }

    @Test("a bodiless POST carries Content-Length: 0")
    func bodilessPost() async throws {
        let server = try FakeControlServer.start { _ in .json(200, "{}") }
        defer { server.stop() }
        let client = ControlClient(socketPath: server.socketPath)
        _ = try await client.request("POST", "/v1/sweep")
        await client.close()
        #expect(server.requests.first?.header("Content-Length") == "0")
        #expect(server.requests.first?.header("Transfer-Encoding") == nil)
    }

    @Test("sequential requests reuse one keep-alive connection")
    func keepAliveReuse() async throws {
        let server = try FakeControlServer.start { request in .json(200, #"{"path":"\#(request.path)"}"#) }
        defer { server.stop() }
        let client = ControlClient(socketPath: server.socketPath)
        for index in 0..<20 {
            let response = try await client.request("GET", "/v1/tokens/tok_\(index)")
            #expect(response.text == #"{"path":"/v1/tokens/tok_\#(index)"}"#)
        }
        await client.close()
        #expect(server.connections == 1)
        #expect(client.connectionsOpened == 1)
        #expect(server.requests.count == 20)
    }

    @Test("Connection: close answers make the client open a new connection next time")
    func connectionClose() async throws {
        let server = try FakeControlServer.start { _ in FakeResponse(status: 200, body: Data("{}".utf8), close: true) }
        defer { server.stop() }
        let client = ControlClient(socketPath: server.socketPath)
        for _ in 0..<3 { #expect(try await client.request("GET", "/v1/status").status == 200) }
        await client.close()
        #expect(server.connections == 3)
    }

    @Test("an idle connection dropped by the daemon is replaced transparently")
    func droppedIdleConnection() async throws {
        let server = try FakeControlServer.start { _ in FakeResponse(status: 200, body: Data("{}".utf8), dropAfter: true) }
        defer { server.stop() }
        let client = ControlClient(socketPath: server.socketPath)
        for _ in 0..<3 {
            #expect(try await client.request("GET", "/v1/status").status == 200)
            try await Task.sleep(for: .milliseconds(50))
            #expect(try await client.request("POST", "/v1/sweep").status == 200)
            try await Task.sleep(for: .milliseconds(50))
        }
        await client.close()
        #expect(server.requests.count == 6)
        #expect(server.connections == 6)
    }

    @Test("parallel requests on one client each get a connection and all succeed")
    func parallel() async throws {
        let server = try FakeControlServer.start { request in .json(200, #"{"t":"\#(request.target)"}"#) }
        defer { server.stop() }
        let client = ControlClient(socketPath: server.socketPath)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for index in 0..<25 {
                        let response = try await client.request("GET", "/v1/tokens/w\(worker)-\(index)")
                        #expect(response.text == #"{"t":"/v1/tokens/w\#(worker)-\#(index)"}"#)
                    }
                }
            }
            try await group.waitForAll()
        }
        await client.close()
        #expect(server.requests.count == 200)
        #expect(server.connections <= 8)
    }

    @Test("a missing socket throws cannotConnect with the path and the errno text")
    func cannotConnect() async throws {
        let path = "/tmp/tokenctl-test-missing-\(UUID().uuidString.prefix(8)).sock"
        let client = ControlClient(socketPath: path)
        await #expect(throws: ControlClientError.cannotConnect(path: path, reason: "No such file or directory")) {
            _ = try await client.request("GET", "/v1/status")
        }
    }

    @Test("a socket file nobody listens on throws cannotConnect (connection refused)")
    func connectionRefused() async throws {
        let server = try FakeControlServer.start { _ in .json(200, "{}") }
        let path = server.socketPath
        server.stop()
        // Re-create a socket file without a listener.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8)
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        close(fd)
        defer { unlink(path) }
        let client = ControlClient(socketPath: path)
        await #expect(throws: ControlClientError.cannotConnect(path: path, reason: "Connection refused")) {
            _ = try await client.request("GET", "/v1/status")
        }
    }

    @Test("error answers are returned, with the contract's envelope decoded")
    func apiError() async throws {
        let server = try FakeControlServer.start { _ in .error(404, "not_found", "no such token") }
        defer { server.stop() }
        let client = ControlClient(socketPath: server.socketPath)
        let response = try await client.request("GET", "/v1/tokens/tok_x")
        await client.close()
        #expect(response.status == 404)
        #expect(!response.isSuccess)
        let error = try #require(response.apiError)
        #expect(error.code == "not_found")
        #expect(error.message == "no such token")
        #expect(error.description == "no such token (not_found)")
        #expect(error.details == .object([:]))
    }

    @Test("a non-envelope error body becomes http_<status>")
    func nonEnvelopeError() {
        let error = ControlAPIError(status: 503, body: Data("down\n".utf8))
        #expect(error.code == "http_503")
        #expect(error.message == "down")
        #expect(ControlResponse(status: 200).apiError == nil)
    }

    @Test("garbage instead of HTTP is a protocol error")
    func protocolError() async throws {
        let server = try FakeControlServer.start { _ in FakeResponse(raw: Data("SSH-2.0-nope\r\n\r\n".utf8)) }
        defer { server.stop() }
        let client = ControlClient(socketPath: server.socketPath)
        await #expect {
            _ = try await client.request("GET", "/v1/status")
        } throws: { error in
            if case ControlClientError.protocolError = error { return true }
            return false
        }
        await client.close()
    }

    @Test("a daemon that never answers trips the request timeout")
    func timeout() async throws {
        let server = try FakeControlServer.start { _ in FakeResponse(noReply: true) }
        defer { server.stop() }
        let client = ControlClient(socketPath: server.socketPath, requestTimeout: .milliseconds(200))
        await #expect(throws: ControlClientError.timedOut) {
            _ = try await client.request("GET", "/v1/status")
        }
        await client.close()
    }

    @Test("a closed client refuses new requests")
    func closedClient() async throws {
        let server = try FakeControlServer.start { _ in .json(200, "{}") }
        defer { server.stop() }
        let client = ControlClient(socketPath: server.socketPath)
        _ = try await client.request("GET", "/healthz")
        await client.close()
        await #expect(throws: ControlClientError.clientClosed) {
            _ = try await client.request("GET", "/healthz")
        }
    }

    @Test("default socket: $TOKEND_SOCKET, else /run/tokend/control.sock")
    func defaultSocket() {
        #expect(ControlClient.defaultSocketPath(environment: ["TOKEND_SOCKET": "/tmp/x.sock"]) == "/tmp/x.sock")
        #expect(ControlClient.defaultSocketPath(environment: ["TOKEND_SOCKET": ""]) == "/run/tokend/control.sock")
        #expect(ControlClient.defaultSocketPath(environment: [:]) == "/run/tokend/control.sock")
    }
}
