import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOExtras
import NIOPosix
import ServiceLifecycle
import Synchronization
import TokendCore

#if canImport(Glibc)
import Glibc
#endif

/// Serves a Hummingbird responder on the control socket: a bound path or an inherited fd.
///
/// Reproduces Hummingbird's server loop with public pieces (`HTTP1Channel`, `ApplicationRequestContextSource`)
/// because Hummingbird cannot adopt an fd. Graceful shutdown (ServiceLifecycle) stops accepting, lets
/// in-flight requests finish and closes idle keep-alive connections (NIOExtras `ServerQuiescingHelper`).
/// Connections beyond `limits.max_connections` get a 503 `unavailable` to their first request and are closed.
public struct ControlServer<Responder: HTTPResponder>: Service
where Responder.Context: RequestContext, Responder.Context.Source == ApplicationRequestContextSource {
    public typealias Listener = ControlListener

    let listener: ControlListener
    let responder: Responder
    let maxConnections: @Sendable () -> Int
    let timeouts: ControlTimeouts
    let logger: Logger
    let onReady: @Sendable () -> Void
    let group: MultiThreadedEventLoopGroup

    /// - Parameters:
    ///   - listener: a path to bind or an fd to adopt.
    ///   - responder: usually `ControlAPI.makeRouter().buildResponder()`.
    ///   - maxConnections: read at every accept, so a reload takes effect at once.
    ///   - timeouts: slow-loris and idle timeouts.
    ///   - onReady: called once the socket listens (`sd_notify READY=1`).
    public init(
        listener: ControlListener, responder: Responder, maxConnections: @escaping @Sendable () -> Int,
        timeouts: ControlTimeouts = ControlTimeouts(), logger: Logger,
        group: MultiThreadedEventLoopGroup = .singleton, onReady: @escaping @Sendable () -> Void = {}
    ) {
        self.listener = listener
        self.responder = responder
        self.maxConnections = maxConnections
        self.timeouts = timeouts
        self.logger = logger
        self.group = group
        self.onReady = onReady
    }

    public func run() async throws {
        let logger = self.logger
        let responder = self.responder
        let child = HTTP1Channel(
            responder: { request, writer, channel in
                let context = Responder.Context(source: .init(channel: channel, logger: logger))
                if request.headers[.contentLength] == nil || request.headers[.contentLength] == "0",
                    request.headers[.transferEncoding] == nil
                {
                    SlowClientGuard.requestRead(on: channel)
                }
                let response: Response
                do {
                    response = try await responder.respond(to: request, context: context)
                } catch {
                    logger.error("unhandled error escaped the router", metadata: ["error": "\(error)"])
                    response = APIError(.internalServerError, code: "internal", "internal error").jsonResponse()
                }
                try await writer.write(response: response.head, body: response.body)
                SlowClientGuard.responseDone(on: channel)
            },
            configuration: .init(
                additionalChannelHandlers: [ParseErrorBody()], idleTimeout: .nanoseconds(timeouts.idle.nanoseconds)))
        let readTimeout = TimeAmount.nanoseconds(timeouts.requestRead.nanoseconds)
        let quiescing = ServerQuiescingHelper(group: group)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)  // bursts of clients queue instead of failing with EAGAIN
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                }
            }
        let initializer: @Sendable (any Channel) -> EventLoopFuture<HTTP1Channel.Value> = { channel in
            channel.eventLoop.makeCompletedFuture {
                PeerCache.shared.remember(channel)
                try channel.pipeline.syncOperations.addHandler(SlowClientGuard(timeout: readTimeout))
            }.flatMap {
                child.setup(channel: channel, logger: logger)
            }
        }

        let server: NIOAsyncChannel<HTTP1Channel.Value, Never>
        var published: (path: String, inode: ino_t)?
        switch listener {
        case .inheritedFD(let fd):
            server = try await bootstrap.bind(fd, cleanupExistingSocketFile: false, childChannelInitializer: initializer)
            logger.info("control API listening on inherited fd \(fd)")
        case .path(let path, let mode):
            try SocketPath.checkReplaceable(path)
            let staged = try SocketPath.makeStaging(for: path)
            do {
                server = try await bootstrap.bind(
                    unixDomainSocketPath: staged.socket, cleanupExistingSocketFile: false,
                    childChannelInitializer: initializer)
            } catch {
                SocketPath.discard(staged)
                throw error
            }
            do {
                published = (path, try SocketPath.publish(staged: staged, to: path, mode: mode_t(mode)))
            } catch {
                try? await server.channel.close()
                throw error
            }
            logger.info("control API listening on \(path) (mode \(String(mode, radix: 8)))")
        }
        defer { if let published { SocketPath.remove(published.path, inode: published.inode) } }

        onReady()
        let active = ConnectionCounter()
        let maxConnections = self.maxConnections
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { connections in
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        let limit = maxConnections()
                        guard active.tryAcquire(limit: limit) else {
                            logger.warning("connection refused: limits.max_connections reached")
                            connections.addTask { await OverLimitAnswer.send(on: connection, limit: limit) }
                            continue
                        }
                        connections.addTask {
                            await child.handle(value: connection, logger: logger)
                            active.release()
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            quiescing.initiateShutdown(promise: nil)
        }
    }
}

extension ControlServer where Responder == RouterResponder<ControlContext> {
    /// A server for `api` whose connection limit follows `api`'s (reloadable) `limits.max_connections`.
    public init(
        listener: ControlListener, api: ControlAPI, timeouts: ControlTimeouts = ControlTimeouts(), logger: Logger,
        group: MultiThreadedEventLoopGroup = .singleton, onReady: @escaping @Sendable () -> Void = {}
    ) {
        let settings = api.settings
        self.init(
            listener: listener, responder: api.makeRouter().buildResponder(),
            maxConnections: { settings.snapshot.configuration.limits.maxConnections }, timeouts: timeouts,
            logger: logger, group: group, onReady: onReady)
    }
}

