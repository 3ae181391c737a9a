import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-connection HTTP/1.1 handler: buffers one request, asks ``FakeProviderState`` what to do, answers.
final class FakeProviderHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let state: FakeProviderState
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?

    init(state: FakeProviderState) {
        self.state = state
    }

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        state.inner.withLock { $0.channels[ObjectIdentifier(channel)] = channel }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        let id = ObjectIdentifier(context.channel)
        _ = state.inner.withLock { $0.channels.removeValue(forKey: id) }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body = nil
        case .body(var chunk):
            if body == nil { body = chunk } else { body!.writeBuffer(&chunk) }
        case .end:
            guard let requestHead = head else { return }
            head = nil
            let bytes = body.map { Array($0.readableBytesView) } ?? []
            body = nil
            let (action, delay) = state.decide(head: requestHead, body: bytes)
            let keepAlive = requestHead.isKeepAlive
            if let delay, delay > .zero {
                let (seconds, attoseconds) = delay.components
                let amount = TimeAmount.nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
                context.eventLoop.assumeIsolated().scheduleTask(in: amount) {
                    self.perform(action, keepAlive: keepAlive, context: context)
                }
            } else {
                perform(action, keepAlive: keepAlive, context: context)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func perform(_ action: FakeAction, keepAlive: Bool, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        switch action {
        case .hang:
            return
        case .respond(let status, let headers, let bodyBytes):
            var responseHeaders = HTTPHeaders()
            for field in headers { responseHeaders.add(name: field.name, value: field.value) }
            responseHeaders.add(name: "Content-Length", value: String(bodyBytes.count))
            if !keepAlive { responseHeaders.add(name: "Connection", value: "close") }
            let responseHead = HTTPResponseHead(
                version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: responseHeaders
            )
            context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
            if !bodyBytes.isEmpty {
                var buffer = context.channel.allocator.buffer(capacity: bodyBytes.count)
                buffer.writeBytes(bodyBytes)
                context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            }
            let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            if !keepAlive {
                let channel = context.channel
                done.whenComplete { _ in channel.close(promise: nil) }
            }
        case .stallMidBody, .resetMidBody:
            var responseHeaders = HTTPHeaders()
            responseHeaders.add(name: "Content-Type", value: "text/xml; charset=utf-8")
            responseHeaders.add(name: "Content-Length", value: "400")
            let responseHead = HTTPResponseHead(version: .http1_1, status: .ok, headers: responseHeaders)
            context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
            var buffer = context.channel.allocator.buffer(capacity: 64)
            buffer.writeString("<?xml version=\"1.0\"?><response><sta")
            let flushed = context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(buffer))))
            if case .resetMidBody = action {
                // SO_LINGER 0 turns the close into a TCP RST.
                let channel = context.channel
                flushed.whenComplete { _ in
                    if let provider = channel as? any SocketOptionProvider {
                        provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in
                            channel.close(promise: nil)
                        }
                    } else {
                        channel.close(promise: nil)
                    }
                }
            }
        }
    }
}
