import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTPTypes

/// The answer to a connection beyond `limits.max_connections`: its first request gets the contract's
/// `503 unavailable` JSON error with `Connection: close`, then the connection is closed.
///
/// Reading the request first (bounded by the slow-client guard) lets an ordinary HTTP client see a real answer
/// instead of a reset it would report as "cannot connect", and costs no router, store or identity work.
enum OverLimitAnswer {
    static func send(on connection: HTTP1Channel.Value, limit: Int) async {
        try? await connection.executeThenClose { inbound, outbound in
            var sawHead = false
            for try await part in inbound {
                if case .head = part { sawHead = true }
                if case .end = part { break }
            }
            guard sawHead else { return }
            let error = APIError(
                .serviceUnavailable, code: "unavailable",
                "too many connections to the control socket (limits.max_connections = \(limit)); try again",
                details: [JSON.Member("max_connections", .number(String(limit)))])
            let bytes = error.bodyBytes
            let head = HTTPResponse(
                status: .serviceUnavailable,
                headerFields: [.contentType: "application/json", .contentLength: String(bytes.count), .connection: "close"])
            try await outbound.write(.head(head))
            try await outbound.write(.body(ByteBuffer(bytes: bytes)))
            try await outbound.write(.end(nil))
        }
    }
}
