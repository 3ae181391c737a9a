import Foundation
import HTTPTypes
import Testing
import TokendCore
import TokendSQLite
import TokendStore

@testable import TokendControl

@Suite struct RobustnessTests {
    static let nastyBodies: [[UInt8]] = [
        Array("null".utf8), Array("[]".utf8), Array("\"x\"".utf8), Array("1e999999".utf8), Array("{}".utf8),
        Array(#"{"provider":{"a":1},"token":[1]}"#.utf8), Array(#"{"tokens":{}}"#.utf8), Array(#"{"filter":[]}"#.utf8),
        Array(#"{"filter":{"state":[]},"confirm":-1}"#.utf8), Array(#"{"filter":{"state":[1]}}"#.utf8),
        Array(#"{"ttl_seconds":"60"}"#.utf8), Array(#"{"wait":true,"timeout_seconds":99999}"#.utf8),
        [0xFF, 0xFE, 0x00], Array(repeating: UInt8(ascii: "["), count: 5_000), Array("{\"a\":\"\\ud800\"}".utf8),
        // Extreme values that reach date arithmetic and SQLite.
        Array(#"{"provider":"fogbugz","token":"edge-1","expires_at":"9999-12-31T23:59:59.999Z"}"#.utf8),
        Array(#"{"provider":"fogbugz","token":"edge-2","expires_at":"0000-01-01T00:00:00Z"}"#.utf8),
        Array(#"{"provider":"fogbugz","token":"edge-3","ttl_seconds":9223372036854775807}"#.utf8),
        Array(#"{"provider":"fogbugz","token":"edge-4","ttl_seconds":1e400}"#.utf8),
        Array(#"{"provider":"fogbugz","token":"edge-5","labels":{"":""},"owner":""}"#.utf8),
        Array(#"{"filter":{"expires_before":"9999-12-31T23:59:59Z","expires_after":"0000-01-01T00:00:00Z"},"dry_run":true}"#.utf8),
    ]

    /// Query strings reach the same parsers as bodies (timestamps, integers, cursors).
    static let nastyQueries = [
        "limit=99999999999999999999", "limit=-1", "cursor=%FF%FE", "cursor=" + String(repeating: "A", count: 40),
        "expires_before=9999-12-31T23:59:59Z", "expires_after=0000-01-01T00:00:00Z", "label=%00:%00", "label=k",
        "state=revoked&state=bogus", "since=99999-01-01T00:00:00Z", "actor_uid=4294967296", "token_id=%00",
    ]

    @Test func nastyQueriesNeverCause5xx() async throws {
        let harness = try Harness()
        try await harness.test { client in
            for path in ["/v1/tokens", "/v1/audit", "/v1/status", "/metrics", "/v1/revocations/job_x", "/v1/tokens/tok_%00"] {
                for query in Self.nastyQueries {
                    let answer = try await client.call(.get, path + "?" + query, uid: 0)
                    #expect(answer.status.code < 500, "\(path)?\(query) → \(answer.text)")
                }
            }
        }
    }

    @Test func nastyBodiesNeverCause5xx() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let id = try await client.register(token: "robust")
            let posts = [
                "/v1/tokens", "/v1/tokens:batch", "/v1/tokens:lookup", "/v1/tokens/\(id)/renew", "/v1/tokens/\(id)/revoke",
                "/v1/tokens/\(id)/forget", "/v1/tokens/\(id)/retry", "/v1/revocations", "/v1/sweep", "/v1/hold", "/v1/resume",
            ]
            for path in posts {
                for body in Self.nastyBodies {
                    let answer = try await client.call(.post, path, uid: 0, rawBody: body)
                    #expect(answer.status.code < 500, "\(path) \(String(decoding: body.prefix(40), as: UTF8.self)) → \(answer.text)")
                    if answer.status.code >= 400 {
                        #expect(answer.errorCode != nil, "\(path) → \(answer.text)")
                        #expect(answer.headers[.contentType] == "application/json")
                    }
                }
            }
        }
    }

    @Test func storeErrorsMapToContractCodes() {
        let cases: [(StoreError, Int, String)] = [
            (.notFound("tok_x"), 404, "not_found"),
            (.conflict(id: "tok_x", state: .revoked, message: "m"), 409, "conflict"),
            (.tooMany(scope: "owner", key: "alice", limit: 3), 429, "too_many"),
            (.unavailable("disk full"), 503, "unavailable"),
            (.internalError("boom"), 500, "internal"),
        ]
        for (error, status, code) in cases {
            let mapped = APIError.from(error)
            #expect(mapped.status.code == status)
            #expect(mapped.code == code)
        }
        #expect(!APIError.from(.internalError("secret detail")).message.contains("secret"))
    }
}
