import Foundation
import HTTPTypes
import Testing
import TokendCore
import TokendStore

@testable import TokendControl

@Suite struct RobustnessTests {
    static let nastyBodies: [[UInt8]] = [
        Array("null".utf8), Array("[]".utf8), Array("\"x\"".utf8), Array("1e999999".utf8), Array("{}".utf8),
        Array(#"{"provider":{"a":1},"token":[1]}"#.utf8), Array(#"{"tokens":{}}"#.utf8), Array(#"{"filter":[]}"#.utf8),
        Array(#"{"filter":{"state":[]},"confirm":-1}"#.utf8), Array(#"{"filter":{"state":[1]}}"#.utf8),
        Array(#"{"ttl_seconds":"60"}"#.utf8), Array(#"{"wait":true,"timeout_seconds":99999}"#.utf8),
        [0xFF, 0xFE, 0x00], Array(repeating: UInt8(ascii: "["), count: 5_000), Array("{\"a\":\"\\ud800\"}".utf8),
    ]

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
