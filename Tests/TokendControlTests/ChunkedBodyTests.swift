import Foundation
import Testing
@testable import TokendControl

#if canImport(Glibc)
import Glibc
#endif

/// A `Transfer-Encoding: chunked` body has no Content-Length to check up front: it is only found too large
/// while it is collected, and must still answer 413 `payload_too_large`, never 500.
@Suite(.serialized) struct ChunkedBodyTests {
    /// Sends `body` in 64-byte chunks and returns the status line's code and the response body.
    static func chunkedPost(path: String, target: String, body: String) throws -> (Int, String) {
        let fd = try LiveSocketTests.connectRaw(path)
        defer { close(fd) }
        var request = "POST \(target) HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        var rest = Substring(body)
        while !rest.isEmpty {
            let chunk = rest.prefix(64)
            rest = rest.dropFirst(chunk.count)
            request += String(chunk.utf8.count, radix: 16) + "\r\n" + chunk + "\r\n"
        }
        request += "0\r\n\r\n"
        // MSG_NOSIGNAL: the server may answer and close before it has read everything.
        _ = Array(request.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        let (text, _) = LiveSocketTests.readAll(fd)
        let status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
        let responseBody = text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        return (status, responseBody)
    }

    @Test(arguments: ["/v1/tokens", "/v1/tokens:batch", "/v1/tokens:lookup"])
    func oversizedChunkedBodyIs413(target: String) async throws {
        let harness = try Harness(maxBody: 256, peerResolver: SocketPeerResolver())
        let path = harness.directory + "/control.sock"
        let running = try await LiveSocketTests.start(harness, path: path, mode: 0o600)
        defer { running.task.cancel() }
        let token = String(repeating: "x", count: 600)
        let body =
            target == "/v1/tokens:batch"
            ? #"{"tokens":[{"provider":"fogbugz","token":"\#(token)"}]}"# : #"{"provider":"fogbugz","token":"\#(token)"}"#
        let (status, answer) = try Self.chunkedPost(path: path, target: target, body: body)
        #expect(status == 413, "\(answer)")
        let json = try JSON.parse(Array(answer.utf8))
        #expect(json["error"]?["code"] == .string("payload_too_large"))
    }

    /// The same chunked framing under the limit is read normally (the 413 above is about size, not framing).
    @Test func smallChunkedBodyIsAccepted() async throws {
        let harness = try Harness(maxBody: 256, peerResolver: SocketPeerResolver())
        let path = harness.directory + "/control.sock"
        let running = try await LiveSocketTests.start(harness, path: path, mode: 0o600)
        defer { running.task.cancel() }
        let (status, answer) = try Self.chunkedPost(
            path: path, target: "/v1/tokens", body: #"{"provider":"fogbugz","token":"chunked-small"}"#)
        #expect(status == 201, "\(answer)")
    }
}
