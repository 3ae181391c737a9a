import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// An HTTP/1.1 + JSON client for tokend's control socket.
///
/// Requests travel over a Unix domain socket. Connections are kept alive and reused: a request takes an
/// idle connection when there is one, opens a new one otherwise, and gives it back when the answer
/// allows keep-alive. Sequential requests therefore share one connection, and concurrent requests on one
/// client each get their own (at most ``maxIdleConnections`` are kept idle).
///
/// ```swift
/// let client = ControlClient(socketPath: ControlClient.defaultSocketPath())
/// let answer = try await client.request("GET", "/v1/tokens", query: [("owner", "alice")])
/// await client.close()
/// ```
///
/// The client knows only the HTTP contract (`control-api.md`), not tokend's modules.
public final class ControlClient: Sendable {
    /// The socket path requests are sent to.
    public let socketPath: String
    /// How long a single request may take, from sending to the last byte of the answer; `nil`: no limit.
    public let requestTimeout: Duration?
    /// How long opening a connection may take.
    public let connectTimeout: Duration
    /// How many idle keep-alive connections are kept for reuse.
    public let maxIdleConnections: Int

    private let group: any EventLoopGroup
    private let state = Mutex(PoolState())

    private struct PoolState {
        var idle: [any Channel] = []
        var closed = false
        var opened = 0
    }

    /// The default socket path: `$TOKEND_SOCKET` when set and not empty, else `/run/tokend/control.sock`.
    public static func defaultSocketPath(environment: [String: String] = ProcessInfo.processInfo.environment)
        -> String
    {
        if let path = environment["TOKEND_SOCKET"], !path.isEmpty { return path }
        return "/run/tokend/control.sock"
    }

    /// Creates a client; no connection is opened until the first request.
    /// - Parameters:
    ///   - socketPath: the daemon's control socket.
    ///   - requestTimeout: limit for one request/answer exchange; `nil` (the default) waits forever.
    ///   - connectTimeout: limit for opening a connection (default 5 s).
    ///   - maxIdleConnections: idle keep-alive connections kept for reuse (default 16).
    ///   - eventLoopGroup: the NIO group to run on (default: the shared singleton).
    public init(
        socketPath: String,
        requestTimeout: Duration? = nil,
        connectTimeout: Duration = .seconds(5),
        maxIdleConnections: Int = 16,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.socketPath = socketPath
        self.requestTimeout = requestTimeout
        self.connectTimeout = connectTimeout
        self.maxIdleConnections = max(0, maxIdleConnections)
        self.group = eventLoopGroup
    }

    deinit {
        let channels = state.withLock { state -> [any Channel] in
            defer { state.idle.removeAll() }
            return state.idle
        }
        for channel in channels { channel.close(promise: nil) }
    }

    /// How many connections this client has opened so far (for tests and benchmarks of keep-alive reuse).
    public var connectionsOpened: Int { state.withLock { $0.opened } }

    /// Sends one request and returns the complete answer, whatever its status.
    ///
    /// Error answers (4xx/5xx) are returned, not thrown: look at ``ControlResponse/status`` or
    /// ``ControlResponse/apiError``.
    /// - Parameters:
    ///   - method: `GET`, `POST`, …
    ///   - path: the path, e.g. `/v1/tokens/tok_1/revoke`; escape ids with ``QueryEncoding/escape(_:)``.
    ///   - query: query items in order; names and values are percent-encoded here.
    ///   - body: a JSON body, sent with `Content-Type: application/json`.
    ///   - headers: extra request headers.
    /// - Throws: ``ControlClientError``: `.cannotConnect` when the socket cannot be opened, `.protocolError`
    ///   for a malformed answer, `.connectionClosed`, `.timedOut`, `.clientClosed`; `CancellationError`.
    public func request(
        _ method: String,
        _ path: String,
        query: [(String, String)] = [],
        json body: Data? = nil,
        headers: [(String, String)] = []
    ) async throws -> ControlResponse {
        let head = makeHead(method: method, target: QueryEncoding.target(path: path, query: query),
                            bodyLength: body?.count, extraHeaders: headers)
        let buffer = body.map { ByteBuffer(bytes: $0) }
        let idempotent = ["GET", "HEAD", "OPTIONS"].contains(head.method.rawValue)

        // A reused connection may have been closed by the daemon while idle; in that case the request
        // was not processed and is retried once on a fresh connection.
        if let channel = takeIdle() {
            do {
                return try await exchange(on: channel, head: head, body: buffer)
            } catch let error as ReusedConnectionFailure {
                if !(error.beforeSending || idempotent) { throw error.underlying }
            }
        }
        let channel = try await connect()
        do {
            return try await exchange(on: channel, head: head, body: buffer)
        } catch let error as ReusedConnectionFailure {
            throw error.underlying
        }
    }

    /// Sends a bodiless request and hands a 2xx answer's body to `sink` chunk by chunk as it arrives (on the
    /// connection's event loop; memory stays flat however long the answer), without the request timeout.
    /// The returned response's `body` is empty for a 2xx answer and holds the error JSON otherwise.
    public func stream(
        _ method: String, _ path: String, query: [(String, String)] = [],
        to sink: @escaping @Sendable ([UInt8]) -> Void
    ) async throws -> ControlResponse {
        let head = makeHead(method: method, target: QueryEncoding.target(path: path, query: query),
                            bodyLength: nil, extraHeaders: [])
        let channel = try await connect()
        do {
            return try await exchange(on: channel, head: head, body: nil, sink: { sink(Array($0.readableBytesView)) })
        } catch let error as ReusedConnectionFailure {
            throw error.underlying
        }
    }

    /// Sends a request with a JSON-encodable body.
    public func request<Body: Encodable>(
        _ method: String,
        _ path: String,
        query: [(String, String)] = [],
        encoding body: Body,
        encoder: JSONEncoder = JSONEncoder()
    ) async throws -> ControlResponse {
        try await request(method, path, query: query, json: try encoder.encode(body))
    }

    /// Closes the idle connections; further requests fail with ``ControlClientError/clientClosed``.
    public func close() async {
        let channels = state.withLock { state -> [any Channel] in
            state.closed = true
            defer { state.idle.removeAll() }
            return state.idle
        }
        for channel in channels {
            try? await channel.close()
        }
    }

    // MARK: - Internals

    private struct ReusedConnectionFailure: Error {
        var underlying: any Error
        var beforeSending: Bool
    }

    private func makeHead(method: String, target: String, bodyLength: Int?, extraHeaders: [(String, String)])
        -> HTTPRequestHead
    {
        let httpMethod = HTTPMethod(rawValue: method.uppercased())
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "localhost")
        headers.add(name: "User-Agent", value: "tokend-client/1")
        headers.add(name: "Accept", value: "application/json")
        if let bodyLength {
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(bodyLength))
        } else if !["GET", "HEAD", "OPTIONS", "DELETE"].contains(httpMethod.rawValue) {
            headers.add(name: "Content-Length", value: "0")
        }
        for (name, value) in extraHeaders {
            headers.replaceOrAdd(name: name, value: value)
        }
        return HTTPRequestHead(version: .http1_1, method: httpMethod, uri: target, headers: headers)
    }

    private func takeIdle() -> (any Channel)? {
        state.withLock { state in
            while let channel = state.idle.popLast() {
                if channel.isActive { return channel }
                channel.close(promise: nil)
            }
            return nil
        }
    }

    private func giveBack(_ channel: any Channel) {
        let keep = state.withLock { state -> Bool in
            guard !state.closed, state.idle.count < maxIdleConnections, channel.isActive else { return false }
            state.idle.append(channel)
            return true
        }
        if !keep { channel.close(promise: nil) }
    }

    private func connect() async throws -> any Channel {
        if state.withLock({ $0.closed }) { throw ControlClientError.clientClosed }
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(TimeAmount(connectTimeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector())
                }
            }
        do {
            let channel = try await bootstrap.connect(unixDomainSocketPath: socketPath).get()
            state.withLock { $0.opened += 1 }
            return channel
        } catch {
            throw ControlClientError.cannotConnect(path: socketPath, reason: Self.describeConnectError(error))
        }
    }

    /// One request/answer on `channel`. Errors that happen before any answer byte are wrapped in
    /// ``ReusedConnectionFailure`` so the caller can decide whether to retry.
    private func exchange(
        on channel: any Channel, head: HTTPRequestHead, body: ByteBuffer?,
        sink: (@Sendable (ByteBuffer) -> Void)? = nil
    ) async throws -> ControlResponse {
        let promise = channel.eventLoop.makePromise(of: RawResponse.self)
        var timeoutTask: Scheduled<Void>?
        if let requestTimeout, sink == nil {
            timeoutTask = channel.eventLoop.scheduleTask(in: TimeAmount(requestTimeout)) {
                promise.fail(ControlClientError.timedOut)
                channel.close(promise: nil)
            }
        }
        channel.writeAndFlush(PendingRequest(head: head, body: body, promise: promise, bodySink: sink)).whenFailure { error in
            promise.fail(RequestNotSent(underlying: error))  // no effect when the handler failed it already
        }
        let raw: RawResponse
        do {
            raw = try await withTaskCancellationHandler {
                try await promise.futureResult.get()
            } onCancel: {
                promise.fail(CancellationError())
                channel.close(promise: nil)
            }
            timeoutTask?.cancel()
        } catch {
            timeoutTask?.cancel()
            channel.close(promise: nil)
            switch error {
            case let notSent as RequestNotSent:
                let underlying: any Error =
                    notSent.underlying is ControlClientError ? notSent.underlying : ControlClientError.connectionClosed
                throw ReusedConnectionFailure(underlying: underlying, beforeSending: true)
            case ControlClientError.connectionClosed:
                throw ReusedConnectionFailure(underlying: error, beforeSending: false)
            default:
                throw error
            }
        }
        let response = ControlResponse(
            status: Int(raw.head.status.code),
            headers: raw.head.headers.map { (name: $0.name, value: $0.value) },
            body: Data(raw.body.readableBytesView))
        if raw.head.isKeepAlive {
            giveBack(channel)
        } else {
            channel.close(promise: nil)
        }
        return response
    }

    static func describeConnectError(_ error: any Error) -> String {
        if let error = error as? IOError {
            return String(cString: strerror(error.errnoCode))
        }
        if let error = error as? NIOConnectionError, let first = error.connectionErrors.first {
            return describeConnectError(first.error)
        }
        if let error = error as? ChannelError, case .connectTimeout = error {
            return "connection timed out"
        }
        if let error = error as? SocketAddressError {
            switch error {
            case .unixDomainSocketPathTooLong: return "socket path too long"
            default: return "\(error)"
            }
        }
        return "\(error)"
    }
}
