import Foundation
import HTTPTypes
import Testing
import TokendControl
import TokendCore

@Suite struct SystemTests {
    @Test func sweepHoldResumeRoles() async throws {
        let harness = try Harness()
        try await harness.test { client in
            #expect(try await client.call(.post, "/v1/sweep").status == .forbidden)
            #expect(try await client.call(.post, "/v1/sweep", uid: Harness.operatorUID).status == .accepted)
            #expect(harness.engine.state.withLock { $0.sweeps } == 1)
            #expect(try await client.call(.post, "/v1/hold", uid: Harness.operatorUID).status == .forbidden)
            let held = try await client.call(.post, "/v1/hold", uid: Harness.adminUID, body: #"{"reason":"provider outage"}"#)
            #expect(held.status == .ok)
            #expect(held["hold"] == .bool(true))
            #expect(held.string("hold_reason") == "provider outage")
            let resumed = try await client.call(.post, "/v1/resume", uid: 0)
            #expect(resumed.status == .ok)
            #expect(resumed["hold"] == .bool(false))
            #expect(resumed["hold_reason"] == .null)
            let audit = try await client.call(.get, "/v1/audit", uid: 0)
            #expect(audit["events"]?.arrayValue.map { $0["action"]?.stringValue } == ["resume", "hold"])
        }
    }

    @Test func statusMetricsHealthz() async throws {
        let harness = try Harness()
        try await harness.test { client in
            _ = try await client.register(token: "s1")
            let status = try await client.call(.get, "/v1/status")
            #expect(status.status == .ok)
            #expect(status["hold"] == .bool(false))
            #expect(status["counts"]?["by_state"]?["active"]?.intValue == 1)
            #expect(status["counts"]?["by_provider"]?["fogbugz"]?["active"]?.intValue == 1)
            #expect(status["backlog"]?["due_now"]?.intValue == 0)
            #expect(status["db_size_bytes"]?.intValue ?? 0 > 0)
            let metrics = try await client.call(.get, "/metrics")
            #expect(metrics.status == .ok)
            #expect(metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
            #expect(metrics.text.contains(#"tokend_tokens{provider="fogbugz",state="active"} 1"#))
            #expect(metrics.text.contains("tokend_http_requests_total"))
            let health = try await client.call(.get, "/healthz")
            #expect(health.status == .ok)
            #expect(health.text == "ok")
            harness.engine.state.withLock { $0.lastLoopAt = Date(timeIntervalSinceNow: -3600) }
            let sick = try await client.call(.get, "/healthz")
            #expect(sick.status == .serviceUnavailable)
            #expect(sick.errorCode == "unavailable")
        }
    }

    @Test func unlistedUIDIsForbiddenEverywhereButHealthz() async throws {
        let harness = try Harness(allow: [String(Harness.clientUID)])
        try await harness.test { client in
            #expect(try await client.call(.get, "/v1/tokens").status == .ok)
            #expect(try await client.call(.get, "/v1/tokens", uid: Harness.operatorUID).status == .ok)
            for uri in ["/v1/tokens", "/v1/status", "/metrics", "/nowhere"] {
                let answer = try await client.call(.get, uri, uid: Harness.otherClientUID)
                #expect(answer.status == .forbidden, "\(uri)")
                #expect(answer.errorCode == "forbidden")
            }
            #expect(try await client.call(.get, "/healthz", uid: Harness.otherClientUID).status == .ok)
        }
    }

    @Test func reloadChangesRoles() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let before = try await client.call(.post, "/v1/sweep", uid: Harness.clientUID)
            #expect(before.status == .forbidden)
            var configuration = harness.configuration
            configuration.control.operators.append(String(Harness.clientUID))
            harness.api.reload(configuration)
            let after = try await client.call(.post, "/v1/sweep", uid: Harness.clientUID)
            #expect(after.status == .accepted)
        }
    }

    @Test func unknownRoutesAndMethodsAnswerJSON() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let missing = try await client.call(.get, "/v2/nothing")
            #expect(missing.status == .notFound)
            #expect(missing.errorCode == "not_found")
            #expect(missing.headers[.contentType] == "application/json")
            let method = try await client.call(.delete, "/v1/tokens")
            #expect(method.status == .methodNotAllowed)
            #expect(method.errorCode == "method_not_allowed")
            #expect(method.headers[.allow] == "POST, GET")
            #expect(try await client.call(.get, "/v1/tokens:batch").status == .methodNotAllowed)
            #expect(try await client.call(.post, "/v1/tokens:nope").status == .notFound)
        }
    }

    @Test func noCredentialsIsForbidden() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let response = try await client.client.execute(uri: "/v1/status", method: .get, headers: [:], body: nil)
            #expect(response.status == .forbidden)
        }
    }
}
