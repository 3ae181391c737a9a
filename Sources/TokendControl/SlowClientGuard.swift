import NIOCore

/// Slow-loris protection at the head of every connection's pipeline.
///
/// The idle timeout alone does not stop a client that trickles one byte every few seconds. This handler
/// starts a deadline at the first byte of a request and closes the connection if the request's head *and*
/// body have not been read within `timeout`. The deadline ends when the API has read the body
/// (``requestRead(on:)``, sent as an outbound user event that travels from the tail to this handler) or,
/// for requests without a body, when the server starts handling it; after the response it re-arms.
final class SlowClientGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    /// Outbound user events that move the guard along.
    enum Event: Sendable {
        /// The request (head and body) has been read.
        case requestRead
        /// The response has been written: the next byte starts a new deadline.
        case responseDone
    }

    private enum State {
        case idle
        case reading(Scheduled<Void>)
        case handling
    }

    private let timeout: TimeAmount
    private var state = State.idle

    init(timeout: TimeAmount) { self.timeout = timeout }

    /// Tells the guard of `channel` that the current request has been read completely.
    static func requestRead(on channel: any Channel) {
        guard channel is any SocketOptionProvider else { return }
        channel.triggerUserOutboundEvent(Event.requestRead, promise: nil)
    }

    /// Tells the guard that the response has been written.
    static func responseDone(on channel: any Channel) {
        guard channel is any SocketOptionProvider else { return }
        channel.triggerUserOutboundEvent(Event.responseDone, promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .idle = state {
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            let task = context.eventLoop.scheduleTask(in: timeout) {
                let context = loopBound.value
                context.close(promise: nil)
            }
            state = .reading(task)
        }
        context.fireChannelRead(data)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let event = event as? Event else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        if case .reading(let task) = state { task.cancel() }
        switch event {
        case .requestRead: state = .handling
        case .responseDone: state = .idle
        }
        promise?.succeed()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .reading(let task) = state { task.cancel() }
        state = .handling
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if case .reading(let task) = state { task.cancel() }
        state = .handling
    }
}
