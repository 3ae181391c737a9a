import TokendCore
import Foundation
import HTTPTypes
import Testing
import TokendControl

@Suite struct RegisterTests {
    static let recordKeys = [
        "id", "provider", "account", "owner", "labels", "state", "fingerprint", "issued_at", "expires_at",
        "last_renewed_at", "registered_by_uid", "attempts", "next_attempt_at", "last_error", "revoked_at",
        "revocation_reason", "revocation_note", "bound",
    ]

    @Test func registerCreatesThenIsIdempotent() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let body = #"{"provider":"fogbugz","token":"secret-token-1","labels":{"app":"billing"},"ttl_seconds":600}"#
            let first = try await client.call(.post, "/v1/tokens", body: body)
            #expect(first.status == .created)
            #expect(first.headers[.contentType] == "application/json")
            #expect(first.json?.keys == Self.recordKeys + ["warnings"])
            #expect(first.string("state") == "active")
            #expect(first.string("account") == "acme")
            #expect(first.string("owner") == "uid:\(Harness.clientUID)")
            #expect(first["registered_by_uid"]?.intValue == Int(Harness.clientUID))
            #expect(first["last_renewed_at"] == .null)
            #expect(first["warnings"]?.arrayValue == [])
            #expect(first.string("fingerprint")?.hasPrefix("hmac-sha256:") == true)
            #expect(!first.text.contains("secret-token-1"))
            #expect(first.string("expires_at")?.hasSuffix("Z") == true)
            let second = try await client.call(.post, "/v1/tokens", body: body)
            #expect(second.status == .ok)
            #expect(second.string("id") == first.string("id"))
            #expect(harness.engine.state.withLock { $0.wakes } == 0)
        }
    }

    @Test func ttlIsClampedWithWarningAndPastExpiryIsDueAtOnce() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let clamped = try await client.call(
                .post, "/v1/tokens", body: #"{"provider":"fogbugz","token":"t-clamp","ttl_seconds":999999}"#)
            #expect(clamped.status == .created)
            #expect(clamped["warnings"]?.arrayValue.first?["code"]?.stringValue == "ttl_clamped")
            let past = try await client.call(
                .post, "/v1/tokens",
                body: #"{"provider":"fogbugz","token":"t-past","expires_at":"2001-02-03T04:05:06Z","owner":"alice"}"#)
            #expect(past.status == .created)
            #expect(past.string("expires_at") == "2001-02-03T04:05:06.000Z")
            #expect(past.string("owner") == "alice")
            #expect(harness.engine.state.withLock { $0.wakes } == 1)
        }
    }

    @Test func accountDefaultTTLOverridesSchedule() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let answer = try await client.call(
                .post, "/v1/tokens", body: #"{"provider":"box","account":"main","token":"b1"}"#)
            #expect(answer.status == .created)
            let issued = Timestamp.parse(answer.string("issued_at") ?? "")!
            let expires = Timestamp.parse(answer.string("expires_at") ?? "")!
            #expect(abs(expires.timeIntervalSince(issued) - 600) < 5)
        }
    }

    @Test(arguments: [
        (#"{"provider":"fogbugz","token":"x","bogus":1}"#, "unknown field"),
        (#"{"provider":"fogbugz","token":5}"#, "token"),
        (#"{"provider":"fogbugz","token":"x","ttl_seconds":0}"#, "ttl_seconds"),
        (#"{"provider":"fogbugz","token":"x","ttl_seconds":-5}"#, "ttl_seconds"),
        (#"{"provider":"fogbugz","token":"x","ttl_seconds":1.5}"#, "ttl_seconds"),
        (#"{"provider":"fogbugz","token":"x","ttl_seconds":99999999999999999999}"#, "ttl_seconds"),
        (#"{"provider":"fogbugz","token":"x","ttl_seconds":60,"expires_at":"2030-01-01T00:00:00Z"}"#, "not both"),
        (#"{"provider":"fogbugz","token":"x","expires_at":"tomorrow"}"#, "expires_at"),
        (#"{"provider":"gitlab","token":"x"}"#, "unknown provider"),
        (#"{"provider":"fogbugz","account":"nope","token":"x"}"#, "unknown account"),
        (#"{"provider":"box","token":"x"}"#, "account"),
        (#"{"provider":"fogbugz","token":""}"#, "token"),
        (#"{"provider":"fogbugz"}"#, "token"),
        (#"{"provider":"fogbugz","token":"x","labels":{"a":1}}"#, "label"),
        (#"{"provider":"fogbugz","token":"x","labels":{"a:b":"c"}}"#, "label"),
        (#"{"provider":"fogbugz","token":"x","labels":[]}"#, "labels"),
        (#"{"provider":"fogbugz","token":"x","owner":""}"#, "owner"),
        (#"{"provider":"fogbugz","token":"x","provider":"box"}"#, "duplicate"),
        (#"{"provider":"fogbugz","token":"x""#, "malformed"),
        (#"["provider"]"#, "object"),
        (#""#, "required"),
    ])
    func registerRejectsBadInput(body: String, fragment: String) async throws {
        let harness = try Harness()
        try await harness.test { client in
            let answer = try await client.call(.post, "/v1/tokens", body: body)
            #expect(answer.status == .badRequest, "\(body) → \(answer.text)")
            #expect(answer.errorCode == "bad_request")
            #expect(answer.headers[.contentType] == "application/json")
            #expect(answer.json?["error"]?.keys == ["code", "message", "details"])
            let message = answer.json?["error"]?["message"]?.stringValue ?? ""
            #expect(message.localizedCaseInsensitiveContains(fragment), "\(message)")
        }
    }

    @Test func registerRejectsOversizedFields() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let longToken = String(repeating: "a", count: 8_193)
            #expect(try await client.call(.post, "/v1/tokens", body: #"{"provider":"fogbugz","token":"\#(longToken)"}"#).status == .badRequest)
            let labels = (0..<65).map { #""k\#($0)":"v""# }.joined(separator: ",")
            #expect(try await client.call(.post, "/v1/tokens", body: #"{"provider":"fogbugz","token":"x","labels":{\#(labels)}}"#).status == .badRequest)
            let longValue = String(repeating: "v", count: 257)
            #expect(try await client.call(.post, "/v1/tokens", body: #"{"provider":"fogbugz","token":"x","labels":{"k":"\#(longValue)"}}"#).status == .badRequest)
            let badUTF8 = Array(#"{"provider":"fogbugz","token":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
            let answer = try await client.call(.post, "/v1/tokens", rawBody: badUTF8)
            #expect(answer.status == .badRequest)
            #expect(answer.text.contains("UTF-8"))
        }
    }

    @Test func bodyOverLimitIs413() async throws {
        let harness = try Harness(maxBody: 256)
        try await harness.test { client in
            let body = #"{"provider":"fogbugz","token":"\#(String(repeating: "x", count: 400))"}"#
            let answer = try await client.call(.post, "/v1/tokens", body: body)
            #expect(answer.status == .contentTooLarge)
            #expect(answer.errorCode == "payload_too_large")
        }
    }

    @Test func perOwnerCapIs429() async throws {
        let harness = try Harness(maxPerOwner: 1)
        try await harness.test { client in
            _ = try await client.register(token: "cap-1")
            let answer = try await client.call(.post, "/v1/tokens", body: #"{"provider":"fogbugz","token":"cap-2"}"#)
            #expect(answer.status == .tooManyRequests)
            #expect(answer.errorCode == "too_many")
        }
    }

    @Test func heldDaemonWarnsOnRegister() async throws {
        let harness = try Harness()
        harness.engine.state.withLock { $0.hold = true }
        try await harness.test { client in
            let answer = try await client.call(.post, "/v1/tokens", body: #"{"provider":"fogbugz","token":"h"}"#)
            #expect(answer["warnings"]?.arrayValue.map { $0["code"]?.stringValue } == ["held"])
        }
    }

    @Test func batchMixesResultsInOrder() async throws {
        let harness = try Harness()
        try await harness.test { client in
            _ = try await client.register(token: "existing")
            let body = """
                {"tokens":[{"provider":"fogbugz","token":"b-1"},{"provider":"nope","token":"b-2"},
                {"provider":"fogbugz","token":"existing"},{"provider":"box","account":"main","token":"b-3","x":1}, 7]}
                """
            let answer = try await client.call(.post, "/v1/tokens:batch", body: body)
            #expect(answer.status == .ok)
            let results = answer["results"]?.arrayValue ?? []
            #expect(results.count == 5)
            #expect(results[0]["created"] == .bool(true))
            #expect(results[0]["token"]?["state"]?.stringValue == "active")
            #expect(results[1]["error"]?["code"]?.stringValue == "bad_request")
            #expect(results[2]["created"] == .bool(false))
            #expect(results[3]["error"]?["details"]?["field"]?.stringValue == "tokens[3].x")
            #expect(results[4]["error"]?["code"]?.stringValue == "bad_request")
            let list = try await client.call(.get, "/v1/tokens")
            #expect(list["tokens"]?.arrayValue.count == 2)
        }
    }

    @Test func batchOverLimitIs400() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let items = Array(repeating: #"{"provider":"fogbugz","token":"x"}"#, count: 1_001).joined(separator: ",")
            let answer = try await client.call(.post, "/v1/tokens:batch", body: #"{"tokens":[\#(items)]}"#)
            #expect(answer.status == .badRequest)
            #expect(try await client.call(.post, "/v1/tokens:batch", body: #"{"tokens":[],"more":1}"#).status == .badRequest)
            #expect(try await client.call(.post, "/v1/tokens:batch", body: #"{"tokens":[]}"#).status == .ok)
        }
    }
}
