import NIOCore
import NIOHTTP1
import NIOPosix

/// A fake FogBugz + Box provider on `127.0.0.1` (random port) that serves every variant of providers.md at once:
///
/// | path | variant |
/// |---|---|
/// | `GET /api.xml` | FogBugz discovery (`<url>` = ``FakeProviderOptions/apiXMLPrefix``) |
/// | `/api.asp` (GET query or POST form) | FogBugz XML `cmd=logoff` |
/// | `POST /f/api/0/jsonapi` | FogBugz JSON |
/// | `GET /api/1.0/rest` | Box 1.0 REST |
/// | `POST /api/1.0/xml` | Box 1.0 XML |
/// | `POST /api/1.0/soap` | Box 1.0 SOAP (checks `SOAPAction`) |
/// | `POST /oauth2/revoke` | Box OAuth2 (checks client credentials) |
///
/// Tokens registered with ``issue(_:)`` are live; a logoff of a live token succeeds and kills it; any other token
/// gets the provider's already-logged-off answer (FogBugz error 3, Box `not_logged_in`, OAuth2 200).
/// A wrong Box `api_key` gets `application_restricted`; wrong OAuth2 client credentials get 400 `invalid_client`.
/// Faults are scripted with ``script(_:times:path:)``; every call is counted and (optionally) logged.
/// HTTP/1.1 keep-alive on NIO's shared event loop group; all methods are thread-safe.
public final class FakeProviderServer: Sendable {
    private let state: FakeProviderState
    private let channel: any Channel

    /// The port the server listens on.
    public let port: Int

    /// `http://127.0.0.1:<port>`: the base URL for FogBugz accounts and the OAuth URL for Box OAuth2.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// `http://127.0.0.1:<port>/api/1.0`: the base URL for Box 1.0 accounts.
    public var boxBaseURL: String { baseURL + "/api/1.0" }

    private init(state: FakeProviderState, channel: any Channel, port: Int) {
        self.state = state
        self.channel = channel
        self.port = port
    }

    /// Starts a server on `127.0.0.1` with a kernel-chosen port.
    /// - Parameter port: the TCP port on 127.0.0.1; 0 (the default) lets the kernel choose.
    public static func start(_ options: FakeProviderOptions = FakeProviderOptions(), port: Int = 0) async throws
        -> FakeProviderServer
    {
        let state = FakeProviderState(options: options)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(FakeProviderHandler(state: state))
                }
            }
            .bind(host: "127.0.0.1", port: port)
            .get()
        guard let port = channel.localAddress?.port else {
            try? await channel.close()
            throw FakeProviderError.noPort
        }
        return FakeProviderServer(state: state, channel: channel, port: port)
    }

    /// Stops listening and closes every open connection (hung ones included).
    public func shutdown() async throws {
        try await channel.close()
        let open = state.inner.withLock { Array($0.channels.values) }
        for connection in open { try? await connection.close() }
    }

    // MARK: - Tokens

    /// Makes `token` live: its next logoff succeeds.
    public func issue(_ token: String) {
        _ = state.inner.withLock { $0.live.insert(token) }
    }

    /// Makes every token of `tokens` live.
    public func issue(contentsOf tokens: some Sequence<String>) {
        let list = Array(tokens)
        state.inner.withLock { $0.live.formUnion(list) }
    }

    /// True while `token` is live (issued and not yet logged off).
    public func isLive(_ token: String) -> Bool {
        state.inner.withLock { $0.live.contains(token) }
    }

    /// Number of live tokens.
    public var liveCount: Int { state.inner.withLock { $0.live.count } }

    /// Logoff requests received that carried `token` (successful or not, faults included).
    public func logoffCount(of token: String) -> Int {
        state.inner.withLock { $0.logoffs[token] ?? 0 }
    }

    /// Tokens issued by FogBugz `cmd=logon`, oldest first (each live until logged off).
    public var loggedOnTokens: [String] { state.inner.withLock { $0.loggedOn } }

    /// Adds a person `cmd=logon` accepts.
    public func addLogonUser(_ user: FakeLogonUser) {
        state.inner.withLock { $0.options.logonUsers.append(user) }
    }

    // MARK: - Call log

    /// Every request received so far, in arrival order (empty when `recordCalls` is off).
    public var calls: [FakeCall] { state.inner.withLock { $0.calls } }

    /// Number of requests received so far (always counted).
    public var callCount: Int { state.inner.withLock { $0.callCount } }

    /// Forgets the call log and counters (live tokens and scripted faults stay).
    public func resetCalls() {
        state.inner.withLock {
            $0.calls.removeAll()
            $0.callCount = 0
            $0.logoffs.removeAll()
        }
    }

    // MARK: - Faults

    /// Answers the next `times` calls (only those to `path`, when given, e.g. `/api.xml`) with `fault`.
    /// Scripts queue up in order.
    public func script(_ fault: FakeFault, times: Int = 1, path: String? = nil) {
        guard times > 0 else { return }
        state.inner.withLock { $0.scripted.append(.init(fault: fault, remaining: times, path: path)) }
    }

    /// Fails the next `count` calls with `status`, an optional `Retry-After` and body.
    public func failNext(_ count: Int, status: Int, retryAfter: String? = nil, body: String? = nil) {
        script(.status(status, retryAfter: retryAfter, body: body), times: count)
    }

    /// Drops every scripted fault not yet consumed.
    public func clearFaults() {
        state.inner.withLock { $0.scripted.removeAll() }
    }

    /// Delays every answer by `delay` (`nil` or zero: answer at once).
    public func setDelay(_ delay: Duration?) {
        state.inner.withLock { $0.delay = delay }
    }

    /// Changes the `<url>` served by `/api.xml`.
    public func setAPIXMLPrefix(_ prefix: String) {
        state.inner.withLock { $0.options.apiXMLPrefix = prefix }
    }
}

/// Errors thrown by ``FakeProviderServer/start(_:)``.
public enum FakeProviderError: Error, Sendable {
    /// The listening socket reported no port.
    case noPort
}
