import Hummingbird
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Gives the answer to unparseable HTTP (a garbage request line, a bad `Content-Length`, an oversized header) the
/// contract's JSON error body.
///
/// Hummingbird answers an `HTTPParserError` itself, after the router, with a bare `400` and no body. This handler
/// sits between the HTTP codec and Hummingbird: it notes the parser error on its way in and, when the bare 400
/// goes out, writes the same status with `Content-Type: application/json` and `{"error": {"code": "bad_request",
/// …}}` instead. Every other response passes untouched.
final class ParseErrorBody: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// The parser's complaint, once one was seen on this connection.
    private var parserError: HTTPParserError?
    /// The JSON body that replaces the empty one, between the rewritten head and its end.
    private var pendingBody: ByteBuffer?

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? HTTPParserError { parserError = error }
        context.fireErrorCaught(error)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part = unwrapOutboundIn(data)
        switch part {
        case .head(var head) where parserError != nil && head.status == .badRequest:
            let body = Self.body(for: parserError!, allocator: context.channel.allocator)
            head.headerFields[.contentType] = "application/json"
            head.headerFields[.contentLength] = String(body.readableBytes)
            pendingBody = body
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end(let trailers) where pendingBody != nil:
            context.write(wrapOutboundOut(.body(pendingBody!)), promise: nil)
            pendingBody = nil
            context.write(wrapOutboundOut(.end(trailers)), promise: promise)
        default:
            context.write(data, promise: promise)
        }
    }

    static func body(for error: HTTPParserError, allocator: ByteBufferAllocator) -> ByteBuffer {
        let message: String
        switch error {
        case .headerOverflow: message = "request header too large"
        case .invalidContentLength, .unexpectedContentLength: message = "invalid Content-Length"
        case .invalidMethod: message = "invalid HTTP method"
        case .invalidURL: message = "invalid request target"
        case .invalidVersion, .invalidConstant: message = "not an HTTP/1.1 request"
        default: message = "malformed HTTP request"
        }
        return allocator.buffer(bytes: APIError.badRequest(message).bodyBytes)
    }
}
