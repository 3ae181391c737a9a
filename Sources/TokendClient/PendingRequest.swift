import NIOCore
import NIOHTTP1

/// One request handed to a connection's ``ResponseCollector``, with the promise of its response.
struct PendingRequest: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer?
    var promise: EventLoopPromise<RawResponse>
    /// When set, a 2xx answer's body goes here chunk by chunk as it arrives (on the event loop) instead of
    /// being collected; other answers are collected as usual, so that their error JSON can be read.
    var bodySink: (@Sendable (ByteBuffer) -> Void)? = nil
}

/// A response as collected on the event loop, before conversion to ``ControlResponse``.
struct RawResponse: Sendable {
    var head: HTTPResponseHead
    var body: ByteBuffer
}

/// The request never left the client (the connection was found closed when writing): safe to retry.
struct RequestNotSent: Error {
    var underlying: any Error
}
