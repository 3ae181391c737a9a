import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import TokendControl
import TokendCore
import TokendEngine

/// The real control router over an ``InProcessEngine``'s store and a real scheduler, called without a socket
/// (in-process, the store's writer connection can be capped to simulate a full disk, which a child daemon's
/// cannot).
struct InProcessControl {
    let api: ControlAPI

    init(engine: InProcessEngine, scheduler: RevocationScheduler, schedule: Configuration.Schedule) {
        let configuration = Configuration(
            daemon: .init(
                database: engine.directory.appendingPathComponent("t.sqlite3").path,
                key: .file(engine.directory.appendingPathComponent("key").path)),
            control: .init(socket: engine.directory.appendingPathComponent("control.sock").path),
            schedule: schedule, accounts: engine.accounts)
        api = ControlAPI(
            configuration: configuration, store: engine.store, engine: scheduler, registry: PrometheusCollectorRegistry(),
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, peerResolver: RootPeer())
    }

    /// Runs `body` with a client of the router.
    func test(_ body: @Sendable (Caller) async throws -> Void) async throws {
        try await Application(router: api.makeRouter()).test(.router) { client in
            try await body(Caller(client: client))
        }
    }

    /// Every request comes from root (an admin): these tests are about the database, not about roles.
    struct RootPeer: PeerResolver {
        func credentials(for request: Request, context: ControlContext) async -> PeerCredentials? {
            PeerCredentials(pid: 4242, uid: 0, gid: 0)
        }
    }

    /// A client of the in-process router.
    struct Caller: Sendable {
        let client: any TestClientProtocol

        /// Sends `method uri` with an optional JSON body; returns the status and the decoded JSON object.
        func call(_ method: HTTPRequest.Method, _ uri: String, json: String? = nil) async throws
            -> (status: Int, object: [String: Any])
        {
            var headers: HTTPFields = [:]
            if json != nil { headers[.contentType] = "application/json" }
            let response = try await client.execute(
                uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
            let object = (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any]
            return (response.status.code, object ?? [:])
        }

        /// `POST /v1/tokens` for account `account`.
        func register(_ token: String, account: String, ttlSeconds: Int = 3_600) async throws
            -> (status: Int, object: [String: Any])
        {
            let provider = account == "fb" ? "fogbugz" : "box"
            return try await call(
                .post, "/v1/tokens",
                json: #"{"provider":"\#(provider)","account":"\#(account)","token":"\#(token)","ttl_seconds":\#(ttlSeconds)}"#)
        }

        /// `GET /healthz`'s status.
        func healthz() async throws -> Int {
            try await call(.get, "/healthz").status
        }

        /// `error.code` of an error answer.
        static func errorCode(_ object: [String: Any]) -> String? {
            (object["error"] as? [String: Any])?["code"] as? String
        }
    }
}
