import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Collects a provider's answer: status, headers and at most `limit` body bytes (the rest is read and dropped,
/// so the connection stays reusable and an endless body cannot grow memory).
///
/// Used with AsyncHTTPClient's delegate API because its deadline covers the whole exchange, body included;
/// the async API's deadline ends with the response head, which needed a racing timer task per request.
final class BoundedResponseCollector: HTTPClientResponseDelegate {
    typealias Response = ProviderResponse

    private struct State {
        var status = 0
        var headers: [HeaderField] = []
        var body: [UInt8] = []
    }

    private let limit: Int
    // Called on one event loop in order; the lock only satisfies Sendable and is never contended.
    private let state = Mutex(State())

    init(limit: Int) { self.limit = limit }

    func didReceiveHead(task: HTTPClient.Task<ProviderResponse>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        state.withLock { state in
            state.status = Int(head.status.code)
            state.headers = head.headers.map { HeaderField($0.name, $0.value) }
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<ProviderResponse>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        state.withLock { state in
            let room = limit - state.body.count
            if room > 0 { state.body.append(contentsOf: buffer.readableBytesView.prefix(room)) }
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didFinishRequest(task: HTTPClient.Task<ProviderResponse>) throws -> ProviderResponse {
        state.withLock { state in
            ProviderResponse(status: state.status, headers: state.headers, body: state.body, receivedAt: Int64(time(nil)))
        }
    }
}
