import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import Synchronization
import TokendControl
import TokendAudit
import TokendCore
import TokendEngine
import TokendSQLite
import TokendStore

/// Test identity: router tests have no socket, so the caller's credentials come from test-only headers.
/// (The daemon uses `SocketPeerResolver`; nothing in production reads these headers.)
struct HeaderPeerResolver: PeerResolver {
    static let uidHeader = HTTPField.Name("x-test-uid")!
    static let pidHeader = HTTPField.Name("x-test-pid")!

    func credentials(for request: Request, context: ControlContext) async -> PeerCredentials? {
        guard let uid = request.headers[Self.uidHeader].flatMap({ UInt32($0) }) else { return nil }
        let pid = request.headers[Self.pidHeader].flatMap { Int32($0) } ?? 4242
        return PeerCredentials(pid: pid, uid: uid, gid: uid)
    }
}

/// A scripted scheduler: counts wakes and sweeps, holds via the store, and can finish revocations.
final class FakeEngine: RevocationControl {
    struct State {
        var hold = false
        var holdReason: String?
        var wakes = 0
        /// Ids the API reported as forgotten under a claim.
        var forgotten: [String] = []
        var sweeps = 0
        /// What `waitForTerminal` makes of a revoking token (nil: leave it pending).
        var outcomeOnWait: ProviderOutcome?
        var lastLoopAt: Date? = Date()
        /// How long `waitForTerminal` takes (to keep a request in flight).
        var waitDelay: Duration = .zero
    }

    let store: SQLiteTokenStore
    let state = Mutex(State())

    init(store: SQLiteTokenStore) { self.store = store }

    func wake() { state.withLock { $0.wakes += 1 } }
    func forgotten(id: String) { state.withLock { $0.forgotten.append(id) } }
    func sweep() { state.withLock { $0.sweeps += 1 } }

    func hold(reason: String, actor: Actor) async throws {
        try await store.setHold(HoldState(held: true, reason: reason), actor: actor)
        state.withLock {
            $0.hold = true
            $0.holdReason = reason
        }
    }

    func resume(actor: Actor) async throws {
        try await store.setHold(HoldState(held: false, reason: nil), actor: actor)
        state.withLock {
            $0.hold = false
            $0.holdReason = nil
        }
    }

    func waitForTerminal(id: String, timeout: Duration) async throws -> TokenRecord? {
        let delay = state.withLock { $0.waitDelay }
        if delay > .zero { try await Task.sleep(for: delay) }
        if let outcome = state.withLock({ $0.outcomeOnWait }), let record = try await store.token(id: id) {
            try await complete(account: record.account, outcome: outcome)
        }
        return try await store.token(id: id)
    }

    func status() -> EngineStatus {
        state.withLock {
            EngineStatus(
                hold: $0.hold, holdReason: $0.holdReason,
                accounts: [AccountHealth(provider: .fogbugz, account: "acme", lastSuccessAt: Date())],
                lastLoopAt: $0.lastLoopAt)
        }
    }

    /// Claims every due token of `account` and records `outcome` for it.
    func complete(account: String, outcome: ProviderOutcome) async throws {
        let policy = RetryPolicy(base: .seconds(1), maxDelay: .seconds(10), maxAttempts: 1, failedRetryInterval: .seconds(3600))
        for claim in try await store.claimDue(account: account, limit: 100) {
            let decision = policy.decide(outcome: outcome, attempt: claim.attempts + 1, now: Date(), jitter: 0)
            try await store.recordAttempt(
                claim, result: AttemptResult(outcome: outcome, httpStatus: 200, duration: .milliseconds(3)),
                decision: decision)
        }
    }
}

/// A control API on a temp SQLite file with a fake engine.
///
/// Roles: uid 0 admin (always), 1002 admin, 1001 operator, everyone else a client (`allow` empty) unless
/// `allow` is given.
struct Harness {
    static let operatorUID: UInt32 = 1001
    static let adminUID: UInt32 = 1002
    static let clientUID: UInt32 = 2001
    static let otherClientUID: UInt32 = 2002

    let directory: String
    let store: SQLiteTokenStore
    let engine: FakeEngine
    let api: ControlAPI
    let configuration: Configuration

    static func configuration(
        allow: [String] = [], confirmAbove: Int = 1_000, maxBody: Int = 1_048_576, maxPerOwner: Int = 100_000,
        directory: String = "/tmp"
    ) -> Configuration {
        var schedule = Configuration.Schedule()
        schedule.defaultTTL = .seconds(3600)
        schedule.maxTTL = .seconds(86_400)
        var bulk = Configuration.Bulk()
        bulk.confirmAbove = confirmAbove
        var limits = Configuration.Limits()
        limits.maxBodyBytes = maxBody
        limits.maxLivePerOwner = maxPerOwner
        return Configuration(
            daemon: .init(database: directory + "/t.sqlite3", key: .file(directory + "/key")),
            control: .init(
                socket: directory + "/control.sock", mode: 0o660, operators: [String(operatorUID)],
                admins: [String(adminUID)], allow: allow),
            schedule: schedule,
            accounts: [
                .init(name: "acme", api: .fogbugzXML, baseURL: "http://127.0.0.1:1"),
                .init(name: "main", api: .boxREST, baseURL: "http://127.0.0.1:1", defaultTTL: .seconds(600)),
                .init(name: "second", api: .boxREST, baseURL: "http://127.0.0.1:1"),
            ],
            bulk: bulk, limits: limits)
    }

    init(
        allow: [String] = [], confirmAbove: Int = 1_000, maxBody: Int = 1_048_576, maxPerOwner: Int = 100_000,
        peerResolver: (any PeerResolver)? = nil
    ) throws {
        directory = FileManager.default.temporaryDirectory.path + "/tokend-control-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        store = try SQLiteTokenStore(path: directory + "/t.sqlite3", sealer: Sealer(masterKey: SymmetricKey(size: .bits256)))
        engine = FakeEngine(store: store)
        configuration = Self.configuration(
            allow: allow, confirmAbove: confirmAbove, maxBody: maxBody, maxPerOwner: maxPerOwner, directory: directory)
        api = ControlAPI(
            configuration: configuration, store: store, engine: engine, registry: PrometheusCollectorRegistry(),
            logger: Logger(label: "test"), peerResolver: peerResolver ?? HeaderPeerResolver(),
            auditSigner: CheckpointSigner())
    }

    /// Runs `body` against the in-process router.
    func test(_ body: @Sendable (Client) async throws -> Void) async throws {
        let app = Application(router: api.makeRouter())
        try await app.test(.router) { client in
            try await body(Client(client: client))
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// A decoded answer.
struct Answer: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var text: String
    var json: JSON? { try? JSON.parse(Array(text.utf8)) }

    /// `error.code` of an error answer.
    var errorCode: String? {
        guard case .string(let code)? = json?["error"]?["code"] else { return nil }
        return code
    }

    subscript(key: String) -> JSON? { json?[key] }

    func string(_ key: String) -> String? {
        guard case .string(let text)? = json?[key] else { return nil }
        return text
    }
}

struct Client: Sendable {
    let client: any TestClientProtocol

    func call(
        _ method: HTTPRequest.Method, _ uri: String, uid: UInt32 = Harness.clientUID, body: String? = nil,
        rawBody: [UInt8]? = nil, headers extra: HTTPFields = [:]
    ) async throws -> Answer {
        var headers: HTTPFields = [HeaderPeerResolver.uidHeader: String(uid)]
        headers.append(contentsOf: extra)
        let buffer = rawBody.map { ByteBuffer(bytes: $0) } ?? body.map { ByteBuffer(string: $0) }
        if buffer != nil { headers[.contentType] = "application/json" }
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: buffer)
        return Answer(status: response.status, headers: response.headers, text: String(buffer: response.body))
    }

    /// Registers a FogBugz token and returns its id.
    func register(token: String, uid: UInt32 = Harness.clientUID, extra: String = "") async throws -> String {
        let answer = try await call(
            .post, "/v1/tokens", uid: uid, body: #"{"provider":"fogbugz","token":"\#(token)"\#(extra)}"#)
        guard let id = answer.string("id") else { throw TestFailure("register failed: \(answer.status) \(answer.text)") }
        return id
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension JSON {
    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }
    var intValue: Int? {
        if case .number(let text) = self { return Int(text) }
        return nil
    }
    var arrayValue: [JSON] {
        if case .array(let items) = self { return items }
        return []
    }
    var keys: [String] {
        if case .object(let members) = self { return members.map(\.key) }
        return []
    }
}
