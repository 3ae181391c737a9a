import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Prometheus
import TokendAudit
import TokendCore
import TokendEngine
import TokendStore

/// The control API (control-api.md): every route, its roles, strict input and the contract's JSON.
///
/// Wiring: build one, call ``makeRouter()`` and serve the router with ``ControlServer``; call
/// ``reload(_:)`` on SIGHUP to replace roles, limits, accounts and TTLs.
public struct ControlAPI: Sendable {
    /// One route the API serves.
    public struct Endpoint: Sendable {
        public typealias Handler = @Sendable (Request, ControlContext) async throws -> Response
        public var method: HTTPRequest.Method
        /// The path template as written in `openapi.yaml` (`/v1/tokens/{id}`).
        public var path: String
        let handler: Handler
    }

    /// Roles, limits and accounts; replaced atomically by ``reload(_:)``.
    public let settings: ControlSettings
    let store: any TokenStore
    let engine: any RevocationControl
    let clock: any WallClock
    /// The metrics `/metrics` renders.
    public let metrics: ControlMetrics
    let logger: Logger
    let startedAt: Date
    let peerResolver: any PeerResolver
    /// Reported by `GET /v1/status`.
    public let version: String
    /// Who performs `POST /v1/logons` (the provider clients); without one, logons answer 503.
    let logonPerformer: (any LogonPerformer)?
    /// Signs `POST /v1/audit/checkpoints`; without one that route answers 503.
    let auditSigner: CheckpointSigner?

    /// - Parameters:
    ///   - configuration: the validated configuration (roles, accounts, TTLs, limits, bulk).
    ///   - store: the token store.
    ///   - engine: the scheduler's control surface.
    ///   - clock: "now" for TTL decisions and uptime.
    ///   - registry: the Prometheus registry `/metrics` renders (bootstrap `MetricsSystem` with the same one).
    ///   - logger: request-level logging (never logs token values).
    ///   - startedAt: process start, for `uptime_seconds`.
    ///   - peerResolver: where kernel credentials come from; only tests replace ``SocketPeerResolver``.
    ///   - version: the daemon version for `/v1/status`.
    ///   - logon: performs provider logons for `POST /v1/logons` (and logs off a token it could not record).
    public init(
        configuration: Configuration, store: any TokenStore, engine: any RevocationControl,
        clock: any WallClock = SystemClock(), registry: PrometheusCollectorRegistry, logger: Logger,
        startedAt: Date = Date(), peerResolver: any PeerResolver = SocketPeerResolver(), version: String = "0.1.0",
        logon: (any LogonPerformer)? = nil, auditSigner: CheckpointSigner? = nil
    ) {
        self.auditSigner = auditSigner
        self.settings = ControlSettings(configuration)
        self.store = store
        self.engine = engine
        self.clock = clock
        self.metrics = ControlMetrics(registry: registry)
        self.logger = logger
        self.startedAt = startedAt
        self.peerResolver = peerResolver
        self.version = version
        self.logonPerformer = logon
    }

    /// Replaces roles, limits, accounts, TTL policy and bulk settings (SIGHUP). Requests already running keep
    /// the snapshot they started with.
    public func reload(_ configuration: Configuration) { settings.reload(configuration) }

    /// Every route, in the order of the contract's table.
    public var endpoints: [Endpoint] {
        [
            Endpoint(method: .post, path: "/v1/tokens", handler: register),
            Endpoint(method: .post, path: "/v1/tokens:batch", handler: registerBatch),
            Endpoint(method: .get, path: "/v1/tokens", handler: list),
            Endpoint(method: .post, path: "/v1/tokens:lookup", handler: lookup),
            Endpoint(method: .get, path: "/v1/tokens/{id}", handler: show),
            Endpoint(method: .post, path: "/v1/tokens/{id}/renew", handler: renew),
            Endpoint(method: .post, path: "/v1/tokens/{id}/revoke", handler: revoke),
            Endpoint(method: .post, path: "/v1/tokens/{id}/forget", handler: forget),
            Endpoint(method: .post, path: "/v1/tokens/{id}/retry", handler: retry),
            Endpoint(method: .post, path: "/v1/tokens/{id}/heartbeat", handler: heartbeat),
            Endpoint(method: .post, path: "/v1/tokens/{id}/release", handler: release),
            Endpoint(method: .post, path: "/v1/logons", handler: logon),
            Endpoint(method: .post, path: "/v1/revocations", handler: startBulk),
            Endpoint(method: .get, path: "/v1/revocations/{job}", handler: showJob),
            Endpoint(method: .get, path: "/v1/audit", handler: audit),
            Endpoint(method: .get, path: "/v1/audit/checkpoints", handler: listCheckpoints),
            Endpoint(method: .post, path: "/v1/audit/checkpoints", handler: createCheckpoint),
            Endpoint(method: .get, path: "/v1/audit/export", handler: exportAudit),
            Endpoint(method: .post, path: "/v1/sweep", handler: sweep),
            Endpoint(method: .post, path: "/v1/hold", handler: hold),
            Endpoint(method: .post, path: "/v1/resume", handler: resume),
            Endpoint(method: .get, path: "/v1/status", handler: status),
            Endpoint(method: .get, path: "/metrics", handler: metricsText),
            Endpoint(method: .get, path: "/healthz", handler: healthz),
        ]
    }

    /// The router: metrics → JSON errors → identity (`SO_PEERCRED` → role) → routes.
    public func makeRouter() -> Router<ControlContext> {
        let router = Router(context: ControlContext.self)
        let endpoints = self.endpoints
        router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
        router.add(middleware: ErrorMiddleware(routes: endpoints.map { ($0.method, $0.path) }))
        router.add(middleware: IdentityMiddleware(resolver: peerResolver, settings: settings))
        for endpoint in endpoints {
            let handler = endpoint.handler
            router.on(RouterPath(endpoint.path), method: endpoint.method) { request, context in
                try await handler(request, context)
            }
        }
        return router
    }

    // MARK: - Helpers shared by the handlers

    /// Reads the body as strict JSON within `limits.max_body_bytes` (413 beyond); `nil` for an empty body
    /// when `optional`.
    func readJSON(_ request: Request, context: ControlContext, optional: Bool = false) async throws -> JSON? {
        let limit = settings.snapshot.configuration.limits.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw APIError.payloadTooLarge(limit: limit)
        }
        let body = request.body
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError.payloadTooLarge(limit: limit)
        } catch is NIOTooManyBytesError {
            // A chunked body (no Content-Length) is only found too large while it streams in.
            throw APIError.payloadTooLarge(limit: limit)
        }
        SlowClientGuard.requestRead(on: context.channel)
        let bytes = Array(buffer.readableBytesView)
        // Only an empty body is "no body"; whitespace alone is not JSON (400 like any malformed body).
        if bytes.isEmpty {
            if optional { return nil }
            throw APIError.badRequest("a JSON body is required")
        }
        do {
            return try JSON.parse(bytes)
        } catch {
            throw APIError.badRequest("malformed JSON: \(error.description)")
        }
    }

    /// Reads a body that must be an object (or absent when `optional`).
    func readObject(_ request: Request, context: ControlContext, optional: Bool = false) async throws -> StrictObject {
        guard let body = try await readJSON(request, context: context, optional: optional) else {
            return try StrictObject(.object([]))
        }
        return try StrictObject(body)
    }

    /// The token `id` if the caller may see it; 404 otherwise (malformed ids included: they cannot exist).
    func visibleToken(_ id: String, caller: Caller) async throws -> TokenRecord {
        guard Identifier.isValid(id, prefix: "tok_"), let record = try await store.token(id: id),
            caller.canSee(registeredBy: record.registeredByUID)
        else { throw APIError.tokenNotFound(id) }
        return record
    }

    func require(_ role: Role, _ caller: Caller) throws {
        guard let have = caller.role, have >= role else {
            throw APIError.forbidden("this operation needs the \(role.rawValue) role (caller uid \(caller.uid) is \(caller.role?.rawValue ?? "not allowed"))")
        }
    }

    func parameter(_ name: String, _ context: ControlContext) -> String {
        context.parameters.get(name) ?? ""
    }

    /// Wakes the scheduler when `date` is due within a couple of sweep intervals (or already due).
    func wakeIfDueSoon(_ date: Date, now: Date) {
        let horizon = max(settings.snapshot.configuration.schedule.sweepInterval * 2, .seconds(5))
        if date <= now.adding(horizon) { engine.wake() }
    }

    var liveLimits: LiveLimits {
        let limits = settings.snapshot.configuration.limits
        return LiveLimits(perOwner: limits.maxLivePerOwner, perAccount: limits.maxLivePerAccount)
    }
}
