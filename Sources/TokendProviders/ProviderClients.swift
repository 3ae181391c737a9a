import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import TokendCore

/// The daemon's provider gateway: AsyncHTTPClient on one shared event loop group, one logoff call per token,
/// every failure classified (providers.md §0–§5). Nothing it does throws except ``shutdown()``.
///
/// - Redirects are never followed (3xx → permanent, `Location` logged without its query).
/// - HTTP/1.1 with keep-alive; TLS with the system trust store; plain `http://` only to loopback hosts
///   unless the account sets `allowInsecure`.
/// - Timeouts are per account: AsyncHTTPClient 1.37 has connect and read timeouts only per client, so there is
///   one `HTTPClient` per distinct (`connectTimeout`, `timeout`) pair, all on the same event loop group, each
///   with its own connection pool. Every call also has a whole-request deadline of `account.timeout`
///   (discovery included).
/// - Each client runs on one event loop, so a request and its connection never cross loops (see `send`).
/// - Tokens and secrets are never logged; URLs are logged without their query.
public final class ProviderClients: Sendable {
    /// Largest response body kept for classification; the rest is read and discarded.
    public static let maxBodyBytes = 256 * 1024
    /// The `User-Agent` header sent with every request.
    public static let userAgent = "tokend/1"

    /// The timeouts an `HTTPClient` is built with; accounts that agree on them share it.
    private struct TimeoutKey: Hashable {
        var connect: Duration
        var read: Duration
        init(_ account: Configuration.Account) {
            connect = account.connectTimeout
            read = account.timeout
        }
    }

    private struct Pool {
        var clients: [TimeoutKey: HTTPClient] = [:]
        /// Set by ``shutdown()``: no client is created afterwards (it would never be shut down).
        var isShutDown = false
    }

    private let pool: Mutex<Pool>
    /// Per-host connection soft limit, by timeout pair, from the accounts known at start.
    private let connectionLimits: [TimeoutKey: Int]
    let logger: Logger
    /// FogBugz call prefixes discovered from `api.xml`, by account name and base URL.
    private let discovered = Mutex<[String: String]>([:])
    /// ``validate(account:)`` answers by account: parsing the URLs again for every logoff cost more than the
    /// hash. A reload with changed settings is a different key.
    private let validated = Mutex<[Configuration.Account: AccountProblem?]>([:])

    /// Creates the gateway and an HTTP client for each distinct timeout pair among `accounts`. Accounts added
    /// by a reload with new timeouts get their client on first use.
    public init(accounts: [Configuration.Account], logger: Logger = Logger(label: "tokend.providers")) {
        var limits: [TimeoutKey: Int] = [:]
        for account in accounts {
            let key = TimeoutKey(account)
            limits[key] = max(limits[key] ?? 8, account.concurrency)
        }
        self.connectionLimits = limits
        var clients: [TimeoutKey: HTTPClient] = [:]
        for (key, limit) in limits { clients[key] = Self.makeClient(key, connectionLimit: limit) }
        self.pool = Mutex(Pool(clients: clients))
        self.logger = logger
    }

    private static func makeClient(_ key: TimeoutKey, connectionLimit: Int) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.httpVersion = .http1Only
        configuration.timeout = .init(connect: timeAmount(key.connect), read: timeAmount(key.read))
        var pool = HTTPClient.Configuration.ConnectionPool(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connectionLimit)
        // Fail a refused connection at once; the engine's retry policy owns backoff.
        pool.retryConnectionEstablishment = false
        configuration.connectionPool = pool
        // One event loop of the process-wide group per client, so that a request and its connection are always
        // on the same loop (see `send`). Pinning requests with `.delegateAndChannel(on:)` on a two-loop client
        // instead made AHC open "overflow" connections, closed after one use, whenever the requested loop had no
        // idle connection: twice the CPU per call in `tokend-bench e2e` (raw 14,500 -> 7,000 calls/s).
        return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration)
    }

    /// The client for `account`'s timeouts, created on first use; `nil` after ``shutdown()``.
    private func client(for account: Configuration.Account) -> HTTPClient? {
        let key = TimeoutKey(account)
        return pool.withLock { pool in
            if let client = pool.clients[key] { return client }
            guard !pool.isShutDown else { return nil }
            let client = Self.makeClient(key, connectionLimit: max(8, connectionLimits[key] ?? account.concurrency))
            pool.clients[key] = client
            return client
        }
    }

    /// Shuts every HTTP client down. Call once, after the last `logoff`.
    public func shutdown() async throws {
        let clients = pool.withLock { pool in
            pool.isShutDown = true
            return Array(pool.clients.values)
        }
        var failure: (any Error)?
        for client in clients {
            do { try await client.shutdown() } catch { failure = failure ?? error }
        }
        if let failure { throw failure }
    }

    /// How many HTTP clients exist (one per distinct timeout pair in use); for tests.
    var clientCount: Int { pool.withLock { $0.clients.count } }

    // MARK: - Validation

    func validation(of account: Configuration.Account) -> AccountProblem? {
        if let known = validated.withLock({ $0[account] }) { return known }
        let problem = Self.validate(account: account)
        validated.withLock { cache in
            if cache.count >= 256 { cache.removeAll() }  // many reloads: start over rather than grow
            cache[account] = .some(problem)
        }
        return problem
    }

    /// Checks what the config loader should reject: a base (or OAuth) URL that is not absolute http(s),
    /// plain `http://` to a non-loopback host without `allowInsecure`, a URL with a query, a missing API key
    /// (Box 1.0) or client credentials (OAuth2), a non-relative `apiPath`, a non-positive timeout.
    ///
    /// - Returns: the problem and the config key it is about, or `nil` when the account is usable.
    public static func validate(account: Configuration.Account) -> AccountProblem? {
        func check(_ url: String, key: String) -> AccountProblem? {
            func problem(_ message: String) -> AccountProblem { AccountProblem(key: key, message: message) }
            let shown = EndpointURL.stripQuery(url)
            guard let endpoint = EndpointURL(url) else { return problem("\(key) \"\(shown)\" is not an absolute URL") }
            guard endpoint.scheme == "https" || endpoint.scheme == "http" else {
                return problem("\(key) \"\(shown)\" must use https://")
            }
            if endpoint.scheme == "http", !endpoint.isLoopback, !account.allowInsecure {
                return problem(
                    "\(key) \"\(shown)\" uses plain http:// to a non-loopback host; use https:// or set allow_insecure = true")
            }
            if url.contains("?") || url.contains("#") {
                return problem("\(key) \"\(shown)\" must not have a query or fragment")
            }
            return nil
        }
        guard account.timeout > .zero else { return AccountProblem(key: "timeout", message: "timeout must be positive") }
        switch account.api {
        case .fogbugzXML, .fogbugzJSON:
            if let problem = check(account.baseURL, key: "base_url") { return problem }
            if account.api == .fogbugzXML, let path = account.apiPath {
                if path.isEmpty || path.contains("://") || path.hasPrefix("//") || path.contains("#") {
                    return AccountProblem(
                        key: "api_path", message: "api_path must be a relative call prefix such as \"api.asp?\"")
                }
            }
        case .boxREST, .boxXML, .boxSOAP:
            if let problem = check(account.baseURL, key: "base_url") { return problem }
            if (account.apiKey?.value ?? "").isEmpty {
                return AccountProblem(key: "api_key", message: "api_key is required for Box \(account.api.configName)")
            }
        case .boxOAuth2:
            // The loader always sets oauthURL (default https://api.box.com); the base URL is only the fallback of
            // accounts built in code, as in BoxOAuth2Revoke.
            if let problem = check(account.oauthURL ?? account.baseURL, key: "oauth_url") { return problem }
            if (account.clientID ?? "").isEmpty {
                return AccountProblem(key: "client_id", message: "client_id is required for Box oauth2")
            }
            if (account.clientSecret?.value ?? "").isEmpty {
                return AccountProblem(key: "client_secret", message: "client_secret is required for Box oauth2")
            }
        }
        return nil
    }

    /// The variant for `account`; FogBugz XML uses `callPrefix`, else `account.apiPath`, else `api.asp?`.
    public static func variant(for account: Configuration.Account, callPrefix: String? = nil) -> any LogoffVariant {
        switch account.api {
        case .fogbugzXML: FogBugzXMLLogoff(callPrefix: callPrefix ?? account.apiPath ?? "api.asp?")
        case .fogbugzJSON: FogBugzJSONLogoff()
        case .boxREST: BoxRESTLogout()
        case .boxXML: BoxXMLLogout()
        case .boxSOAP: BoxSOAPLogout()
        case .boxOAuth2: BoxOAuth2Revoke()
        }
    }

    // MARK: - Calls

    /// Logs `token` off at the account's provider and classifies the answer. Never throws.
    ///
    /// FogBugz XML accounts without `apiPath` first read `api.xml` (cached per account after success);
    /// a discovery failure is the call's outcome (network/5xx transient; 3xx, 4xx, non-XML permanent).
    public func logoff(account: Configuration.Account, token: String) async -> AttemptResult {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = NIODeadline.now() + Self.timeAmount(account.timeout)
        var status: Int?
        var outcome: ProviderOutcome
        var sent: ProviderRequest?
        let secrets = [token, WireEncoding.percentEncode(token), account.apiKey?.value ?? "",
                       account.clientSecret?.value ?? ""].filter { $0.count >= 4 }

        if let problem = validation(of: account) {
            outcome = .permanent(detail: problem.message)
        } else {
            let resolved = await resolveVariant(for: account, deadline: deadline, secrets: secrets)
            switch resolved {
            case .failed(let failure, let failureStatus):
                outcome = failure
                status = failureStatus
            case .ready(let variant, let discoveredPrefix):
                let request = variant.makeRequest(account: account, token: token)
                sent = request
                switch await send(request, account: account, deadline: deadline, secrets: secrets) {
                case .response(let response):
                    status = response.status
                    outcome = variant.classify(response)
                    if discoveredPrefix, response.status == 404 { forgetDiscovery(account: account) }
                case .failure(let detail):
                    outcome = .transient(detail: detail, retryAfter: nil)
                }
            }
        }
        outcome = Self.redact(outcome, secrets: secrets)
        let duration = clock.now - start
        log(account: account, request: sent, outcome: outcome, status: status, duration: duration)
        return AttemptResult(outcome: outcome, httpStatus: status, duration: duration)
    }

    /// Connectivity check for `tokend probe-provider`: logs off a random, never-issued token.
    /// Expected outcome: `alreadyRevoked` (Box OAuth2 answers 200 for unknown tokens: `revoked`).
    public func probe(account: Configuration.Account) async -> AttemptResult {
        var generator = SystemRandomNumberGenerator()
        let random = (0..<3).map { _ in String(generator.next() as UInt64, radix: 16) }.joined()
        return await logoff(account: account, token: "tokend-probe-" + random)
    }

    /// Drops the cached `api.xml` result for `account` so the next call rediscovers it.
    public func forgetDiscovery(account: Configuration.Account) {
        let key = Self.discoveryKey(account)
        _ = discovered.withLock { $0.removeValue(forKey: key) }
    }

    // MARK: - Internals

    enum Resolved {
        case ready(any LogoffVariant, discovered: Bool)
        case failed(ProviderOutcome, Int?)
    }

    enum Transport: Sendable {
        case response(ProviderResponse)
        case failure(String)
    }

    private static func discoveryKey(_ account: Configuration.Account) -> String {
        account.name + "\u{1}" + account.baseURL
    }

    func resolveVariant(
        for account: Configuration.Account, deadline: NIODeadline, secrets: [String]
    ) async -> Resolved {
        guard account.api == .fogbugzXML, account.apiPath == nil else {
            return .ready(Self.variant(for: account), discovered: false)
        }
        let key = Self.discoveryKey(account)
        if let prefix = discovered.withLock({ $0[key] }) {
            return .ready(FogBugzXMLLogoff(callPrefix: prefix), discovered: true)
        }
        switch await send(
            FogBugzDiscovery.makeRequest(account: account), account: account, deadline: deadline, secrets: secrets)
        {
        case .failure(let detail):
            return .failed(.transient(detail: "api.xml: " + detail, retryAfter: nil), nil)
        case .response(let response):
            switch FogBugzDiscovery.classify(response) {
            case .failed(let outcome):
                return .failed(outcome, response.status)
            case .prefix(let prefix):
                discovered.withLock { $0[key] = prefix }
                return .ready(FogBugzXMLLogoff(callPrefix: prefix), discovered: true)
            }
        }
    }

    /// Sends `request` and collects the answer; the deadline bounds the whole exchange, body included.
    func send(
        _ request: ProviderRequest, account: Configuration.Account, deadline: NIODeadline, secrets: [String]
    ) async -> Transport {
        guard let http = client(for: account) else { return .failure("network: provider clients are shut down") }
        do {
            var outgoing = try HTTPClient.Request(url: request.url, method: HTTPMethod(rawValue: request.method))
            outgoing.headers.add(name: "User-Agent", value: Self.userAgent)
            for field in request.headers { outgoing.headers.add(name: field.name, value: field.value) }
            if request.method != "GET" { outgoing.body = .bytes(request.body) }
            // The client has a single event loop (see `makeClient`), so the task and its connection always share
            // it. Across loops, AHC 1.37 completes the request-end write promise on the task's loop and hops back
            // before telling the pool the connection is idle; when the response ends before the request end is
            // written (a POST body racing the answer), a close in that window (our `shutdown()`, or the provider
            // closing the connection) removes the connection from the pool, and the late release hits AHC's
            // precondition "A connection that we don't know was released?" (HTTPConnectionPool+HTTP1Connections
            // .swift:502), crashing the process. On one loop the release happens when the write completes.
            let task = http.execute(
                request: outgoing, delegate: BoundedResponseCollector(limit: Self.maxBodyBytes),
                deadline: deadline)
            let response = try await withTaskCancellationHandler {
                try await task.futureResult.get()
            } onCancel: {
                task.cancel()
            }
            return .response(response)
        } catch {
            return .failure(Self.describe(error, secrets: secrets))
        }
    }

    private static func describe(_ error: any Error, secrets: [String]) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded: return "timeout: deadline exceeded"
            case .readTimeout: return "timeout: read timeout"
            case .connectTimeout: return "timeout: connect timeout"
            case .remoteConnectionClosed: return "network: connection closed by the provider"
            case .cancelled: return "timeout: request cancelled"
            default: break
            }
        }
        var text = DetailText.clean("network: " + String(describing: error))
        for secret in secrets { text = text.replacing(secret, with: "<redacted>") }
        return text
    }

    private static func redact(_ outcome: ProviderOutcome, secrets: [String]) -> ProviderOutcome {
        func clean(_ text: String) -> String {
            var text = text
            for secret in secrets where text.contains(secret) { text = text.replacing(secret, with: "<redacted>") }
            return text
        }
        switch outcome {
        case .revoked: return .revoked
        case .alreadyRevoked(let detail): return .alreadyRevoked(detail: clean(detail))
        case .permanent(let detail): return .permanent(detail: clean(detail))
        case .transient(let detail, let after): return .transient(detail: clean(detail), retryAfter: after)
        }
    }

    private func log(
        account: Configuration.Account, request: ProviderRequest?, outcome: ProviderOutcome, status: Int?,
        duration: Duration
    ) {
        let level: Logger.Level
        switch outcome {
        case .revoked, .alreadyRevoked: level = .debug
        case .transient: level = .info
        case .permanent: level = .notice
        }
        // Successes log at debug: most of the time nobody reads them, so the line is not even built.
        guard logger.logLevel <= level else { return }
        var metadata: Logger.Metadata = [
            "account": "\(account.name)", "api": "\(account.api.rawValue)", "outcome": "\(outcome.name)",
            "duration_ms": "\(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)",
        ]
        if let request { metadata["request"] = "\(request.description)" }
        if let status { metadata["http_status"] = "\(status)" }
        if let detail = outcome.detail { metadata["detail"] = "\(detail)" }
        if case .transient(_, let after?) = outcome { metadata["retry_after"] = "\(after)" }
        switch outcome {
        case .revoked, .alreadyRevoked: logger.debug("provider logoff", metadata: metadata)
        case .transient: logger.info("provider logoff failed, will retry", metadata: metadata)
        case .permanent: logger.notice("provider logoff failed permanently", metadata: metadata)
        }
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        let clamped = min(max(seconds, 0), 1_000_000_000)
        return .nanoseconds(clamped * 1_000_000_000 + (seconds >= 0 ? attoseconds / 1_000_000_000 : 0))
    }
}
