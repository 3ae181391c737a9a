import Logging
import Synchronization
import TokendCore
import TokendFakeProviders
import TokendProviders

/// A fake server plus a real `ProviderClients` pointed at it.
struct Harness: Sendable {
    let server: FakeProviderServer
    let clients: ProviderClients
    let timeout: Duration

    static let apiKey = "test-api-key"
    static let quietLogger: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }()
    static let clientID = "test-client-id"
    static let clientSecret = "test-client-secret"

    /// Runs `body` with a fresh server and client; always shuts both down.
    static func run<T: Sendable>(
        timeout: Duration = .seconds(3), options: FakeProviderOptions = FakeProviderOptions(),
        logger: Logger = Harness.quietLogger,
        _ body: (Harness) async throws -> T
    ) async throws -> T {
        let server = try await FakeProviderServer.start(options)
        let probe = account(.fogbugzJSON, baseURL: server.baseURL, boxBaseURL: server.boxBaseURL, timeout: timeout)
        let clients = ProviderClients(accounts: [probe], logger: logger)
        let harness = Harness(server: server, clients: clients, timeout: timeout)
        do {
            let result = try await body(harness)
            try await clients.shutdown()
            try await server.shutdown()
            return result
        } catch {
            try? await clients.shutdown()
            try? await server.shutdown()
            throw error
        }
    }

    /// A configured account of variant `api` pointing at the fake.
    func account(_ api: ProviderAPI, apiPath: String? = "api.asp?", apiKey: String = Harness.apiKey,
                 clientSecret: String = Harness.clientSecret) -> Configuration.Account {
        Self.account(api, baseURL: server.baseURL, boxBaseURL: server.boxBaseURL, timeout: timeout, apiPath: apiPath,
                     apiKey: apiKey, clientSecret: clientSecret)
    }

    static func account(
        _ api: ProviderAPI, baseURL: String, boxBaseURL: String, timeout: Duration, apiPath: String? = "api.asp?",
        apiKey: String = Harness.apiKey, clientSecret: String = Harness.clientSecret
    ) -> Configuration.Account {
        switch api {
        case .fogbugzXML:
            Configuration.Account(name: "fb-xml", api: api, baseURL: baseURL, apiPath: apiPath, timeout: timeout,
                                  connectTimeout: .seconds(1))
        case .fogbugzJSON:
            Configuration.Account(name: "fb-json", api: api, baseURL: baseURL, timeout: timeout, connectTimeout: .seconds(1))
        case .boxREST, .boxXML, .boxSOAP:
            Configuration.Account(name: "box-\(api.rawValue)", api: api, baseURL: boxBaseURL, apiKey: Secret(apiKey),
                                  timeout: timeout, connectTimeout: .seconds(1))
        case .boxOAuth2:
            Configuration.Account(name: "box-oauth2", api: api, baseURL: boxBaseURL, oauthURL: baseURL,
                                  clientID: Harness.clientID, clientSecret: Secret(clientSecret), timeout: timeout,
                                  connectTimeout: .seconds(1))
        }
    }

    func logoff(_ api: ProviderAPI, _ token: String) async -> AttemptResult {
        await clients.logoff(account: account(api), token: token)
    }
}

/// A log handler that keeps every rendered message and metadata value (to check that no secret is logged).
struct CapturingLogHandler: LogHandler {
    final class Store: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
    }

    let store: Store
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var line = "\(event.level) \(event.message)"
        for (key, value) in (event.metadata ?? [:]).merging(metadata, uniquingKeysWith: { a, _ in a }) {
            line += " \(key)=\(value)"
        }
        store.lines.withLock { $0.append(line) }
    }
}

extension ProviderOutcome {
    var retryAfter: Duration? {
        if case .transient(_, let after) = self { return after }
        return nil
    }
}
