import Foundation
import HTTPTypes
import Testing
import TokendControl
import TokendCore

/// `bound` registrations, heartbeat and release through the router (issue 17's API half).
@Suite struct BoundTests {
    @Test(arguments: [
        ("0", "must be at least 1"), ("-5", "must be at least 1"), ("86401", "max TTL"),
        (#""30""#, "bound.heartbeat_seconds"), ("1.5", "bound.heartbeat_seconds"),
    ])
    func badHeartbeatSecondsIsA400NamingTheField(value: String, message: String) async throws {
        let harness = try Harness()
        try await harness.test { client in
            let answer = try await client.call(
                .post, "/v1/tokens", body: #"{"provider":"fogbugz","token":"hb-bad","bound":{"heartbeat_seconds":\#(value)}}"#)
            #expect(answer.status == .badRequest, "\(value) → \(answer.text)")
            #expect(answer.errorCode == "bad_request")
            #expect(answer.text.contains("bound.heartbeat_seconds"), "\(answer.text)")
            #expect(answer.text.contains(message), "\(answer.text)")
            // Nothing was registered.
            #expect(try await client.call(.get, "/v1/tokens")["tokens"]?.arrayValue.count == 0)
        }
    }

    @Test func boundMustBeAnObjectWithOnlyHeartbeatSeconds() async throws {
        let harness = try Harness()
        try await harness.test { client in
            for bound in [#""yes""#, "{}", #"{"heartbeat_seconds":5,"extra":1}"#] {
                let answer = try await client.call(
                    .post, "/v1/tokens", body: #"{"provider":"fogbugz","token":"hb-shape","bound":\#(bound)}"#)
                #expect(answer.status == .badRequest, "\(bound) → \(answer.text)")
                #expect(answer.text.contains("bound"), "\(answer.text)")
            }
        }
    }

    @Test func heartbeatAndReleaseByAnotherUIDAre404EvenForOperators() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let id = try await client.register(token: "hb-mine", extra: #","bound":{"heartbeat_seconds":60}"#)
            for uid in [Harness.otherClientUID, Harness.operatorUID, Harness.adminUID] {
                for verb in ["heartbeat", "release"] {
                    let answer = try await client.call(.post, "/v1/tokens/\(id)/\(verb)", uid: uid)
                    #expect(answer.status == .notFound, "uid \(uid) \(verb) → \(answer.text)")
                    #expect(answer.errorCode == "not_found")
                }
            }
            // Still active, still bound: nobody else's call moved it.
            let shown = try await client.call(.get, "/v1/tokens/\(id)")
            #expect(shown.string("state") == "active")
            #expect(shown["bound"] != nil && shown["bound"] != .null)
            let beat = try await client.call(.post, "/v1/tokens/\(id)/heartbeat")
            #expect(beat.status == .ok, "\(beat.text)")
            #expect(beat["bound"]?["last_heartbeat_at"]?.stringValue != nil)
        }
    }

    @Test func aBoundTokenRenewsOnlyByHeartbeat() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let id = try await client.register(token: "hb-renew", extra: #","bound":{"heartbeat_seconds":60}"#)
            let renew = try await client.call(.post, "/v1/tokens/\(id)/renew", body: #"{"ttl_seconds":600}"#)
            #expect(renew.status == .conflict, "\(renew.text)")
            #expect(renew.text.contains("heartbeat"))
            let unbound = try await client.register(token: "hb-plain")
            #expect(try await client.call(.post, "/v1/tokens/\(unbound)/heartbeat").status == .conflict)
        }
    }

    @Test func releaseStartsTheRevocationWithReasonReleasedAndAudits() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let id = try await client.register(token: "hb-release", extra: #","bound":{"heartbeat_seconds":60}"#)
            let released = try await client.call(.post, "/v1/tokens/\(id)/release", body: #"{"reason":"job done"}"#)
            #expect(released.status == .accepted, "\(released.text)")
            #expect(released.string("state") == "revoking")
            #expect(released.string("revocation_reason") == "released")
            let again = try await client.call(.post, "/v1/tokens/\(id)/release")
            #expect(again.status == .accepted)
            let audit = try await client.call(.get, "/v1/audit?token_id=\(id)")
            let actions = audit["events"]?.arrayValue.compactMap { $0["action"]?.stringValue } ?? []
            #expect(actions == ["released", "registered"], "\(actions)")
            #expect(try await client.call(.post, "/v1/tokens/\(id)/heartbeat").status == .conflict)
        }
    }
}
