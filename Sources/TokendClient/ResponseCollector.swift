import NIOCore
import NIOHTTP1

/// The last handler of a client connection: turns a ``PendingRequest`` into HTTP request parts and
/// completes its promise with the whole response. One request is in flight at a time (no pipelining);
/// ``ControlClient`` never sends a second request before the first one is answered.
final class ResponseCollector: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = PendingRequest
    typealias OutboundOut = HTTPClientRequestPart

    private var inFlight: EventLoopPromise<RawResponse>?
    private var head: HTTPResponseHead?
    private var body: ByteBuffer?
    private var sink: (@Sendable (ByteBuffer) -> Void)?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        guard inFlight == nil else {
            let error = ControlClientError.protocolError("a request is already in flight on this connection")
            request.promise.fail(error)
            promise?.fail(error)
            return
        }
        guard context.channel.isActive else {
            request.promise.fail(RequestNotSent(underlying: ControlClientError.connectionClosed))
            promise?.fail(ControlClientError.connectionClosed)
            return
        }
        inFlight = request.promise
        sink = request.bodySink
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        if let body = request.body, body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let responseHead):
            // 1xx answers are interim; the real head follows.
            if responseHead.status.code >= 100 && responseHead.status.code < 200 { return }
            head = responseHead
            body = context.channel.allocator.buffer(capacity: 0)
        case .body(var chunk):
            if let sink, let head, (200..<300).contains(head.status.code) {
                sink(chunk)
            } else {
                body?.writeBuffer(&chunk)
            }
        case .end:
            guard let responseHead = head, let promise = inFlight else {
                if head == nil && inFlight != nil { return }  // end of an interim 1xx
                fail(ControlClientError.protocolError("response without a request"), context: context)
                return
            }
            let collected = body ?? context.channel.allocator.buffer(capacity: 0)
            inFlight = nil
            head = nil
            body = nil
            sink = nil
            promise.succeed(RawResponse(head: responseHead, body: collected))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failInFlight(ControlClientError.connectionClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let mapped: any Error =
            error is HTTPParserError ? ControlClientError.protocolError("\(error)") : error
        fail(mapped, context: context)
    }

    private func fail(_ error: any Error, context: ChannelHandlerContext) {
        failInFlight(error)
        context.close(promise: nil)
    }

    private func failInFlight(_ error: any Error) {
        let promise = inFlight
        inFlight = nil
        head = nil
        body = nil
        sink = nil
        promise?.fail(error)
    }
}
