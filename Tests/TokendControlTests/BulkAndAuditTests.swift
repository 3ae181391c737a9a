import Foundation
import HTTPTypes
import Testing
import TokendControl
import TokendCore

@Suite struct BulkAndAuditTests {
    /// Regression (found by schemathesis): a run whose filter names only terminal states and also another field
    /// matches nothing live; the store dropped the conditions ("WHERE 0") but kept their arguments, and SQLite's
    /// "wrong number of statement arguments" came back as a 500.
    @Test func bulkRunWithOnlyTerminalStatesAndOtherFieldsMatchesNothing() async throws {
        let harness = try Harness()
        try await harness.test { client in
            _ = try await client.register(token: "t1", extra: #","owner":"bob""#)
            let op = Harness.operatorUID
            for body in [
                #"{"filter":{"owner":"bob","state":["forgotten"]}}"#,
                #"{"filter":{"account":"acme","expires_before":"2000-01-01T00:00:00Z","state":"revoked"},"confirm":0}"#,
                #"{"filter":{"owner":"bob","labels":{"a":"b"},"state":["failed","already_revoked"]},"dry_run":true}"#,
            ] {
                let answer = try await client.call(.post, "/v1/revocations", uid: op, body: body)
                #expect(answer.status == .accepted || answer.status == .ok, "\(body): \(answer.status) \(answer.text)")
                #expect(answer["matched"]?.intValue == 0, "\(body)")
            }
        }
    }

    /// Regression (found by schemathesis): a whitespace-only body on an endpoint whose body is optional was taken
    /// as "no body" and accepted; it is not JSON, so it is a 400 like any other malformed body.
    @Test func whitespaceBodyIsMalformedEvenWhereTheBodyIsOptional() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let id = try await client.register(token: "ws")
            for (uri, uid) in [
                ("/v1/hold", UInt32(0)), ("/v1/resume", 0), ("/v1/sweep", Harness.operatorUID),
                ("/v1/tokens/\(id)/revoke", Harness.clientUID),
            ] {
                for body in [" ", "\n", " \r\n\t"] {
                    let answer = try await client.call(.post, uri, uid: uid, body: body)
                    #expect(answer.status == .badRequest, "\(uri) \(body.debugDescription): \(answer.status)")
                    #expect(answer.errorCode == "bad_request")
                }
                let empty = try await client.call(.post, uri, uid: uid)
                #expect(empty.status.code < 300, "\(uri) without a body: \(empty.status)")
            }
        }
    }

    @Test func bulkDryRunConfirmAndJob() async throws {
        let harness = try Harness(confirmAbove: 2)
        try await harness.test { client in
            for index in 0..<3 { _ = try await client.register(token: "bulk-\(index)", extra: #","owner":"bob""#) }
            _ = try await client.register(token: "keep", extra: #","owner":"carol""#)
            let op = Harness.operatorUID
            #expect(try await client.call(.post, "/v1/revocations", body: #"{"filter":{"owner":"bob"},"dry_run":true}"#).status == .forbidden)
            let empty = try await client.call(.post, "/v1/revocations", uid: op, body: #"{"filter":{}}"#)
            #expect(empty.status == .badRequest)
            #expect(try await client.call(.post, "/v1/revocations", uid: op, body: #"{"dry_run":true}"#).status == .badRequest)
            #expect(try await client.call(.post, "/v1/revocations", uid: op, body: #"{"filter":{"colour":"red"}}"#).status == .badRequest)
            let dry = try await client.call(.post, "/v1/revocations", uid: op, body: #"{"filter":{"owner":"bob"},"dry_run":true}"#)
            #expect(dry.status == .ok)
            #expect(dry["matched"]?.intValue == 3)
            #expect(dry["sample"]?.arrayValue.count == 3)
            let unconfirmed = try await client.call(.post, "/v1/revocations", uid: op, body: #"{"filter":{"owner":"bob"}}"#)
            #expect(unconfirmed.status == .conflict)
            #expect(unconfirmed.errorCode == "confirmation_required")
            #expect(unconfirmed.json?["error"]?["details"]?["matched"]?.intValue == 3)
            let wrong = try await client.call(.post, "/v1/revocations", uid: op, body: #"{"filter":{"owner":"bob"},"confirm":2}"#)
            #expect(wrong.errorCode == "confirmation_required")
            let started = try await client.call(
                .post, "/v1/revocations", uid: op, body: #"{"filter":{"owner":"bob","state":"active"},"confirm":3,"reason":"offboarding"}"#)
            #expect(started.status == .accepted)
            #expect(started["matched"]?.intValue == 3)
            let job = try #require(started.string("id"))
            #expect(job.hasPrefix("job_"))
            let progress = try await client.call(.get, "/v1/revocations/\(job)", uid: op)
            #expect(progress.status == .ok)
            #expect(progress.string("state") == "running")
            #expect(progress["pending"]?.intValue == 3)
            try await harness.engine.complete(account: "acme", outcome: .revoked)
            let done = try await client.call(.get, "/v1/revocations/\(job)", uid: op)
            #expect(done.string("state") == "done")
            #expect(done["revoked"]?.intValue == 3)
            #expect(try await client.call(.get, "/v1/revocations/\(job)").status == .forbidden)
            #expect(try await client.call(.get, "/v1/revocations/job_00000000000000000000000000", uid: op).status == .notFound)
            let kept = try await client.call(.get, "/v1/tokens?owner=carol")
            #expect(kept["tokens"]?.arrayValue.first?["state"]?.stringValue == "active")
        }
    }

    @Test func auditRecordsCallerAndScopesClients() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let id = try await client.register(token: "audited")
            let other = try await client.register(token: "not-yours", uid: Harness.otherClientUID)
            _ = try await client.call(.post, "/v1/tokens/\(id)/revoke", headers: [HeaderPeerResolver.pidHeader: "777"])
            let all = try await client.call(.get, "/v1/audit", uid: Harness.operatorUID)
            #expect(all.status == .ok)
            let events = all["events"]?.arrayValue ?? []
            #expect(events.count == 3)
            let newest = try #require(events.first)
            #expect(newest["action"]?.stringValue == "revoke_requested")
            #expect(newest["actor"] == .object(["uid": .int(Harness.clientUID), "pid": .int(777), "role": .string("client")]))
            #expect(newest["token_id"]?.stringValue == id)
            let filtered = try await client.call(.get, "/v1/audit?action=registered&actor_uid=\(Harness.otherClientUID)", uid: 0)
            #expect(filtered["events"]?.arrayValue.count == 1)
            let paged = try await client.call(.get, "/v1/audit?limit=1", uid: Harness.operatorUID)
            let cursor = try #require(paged.string("next_cursor"))
            let next = try await client.call(.get, "/v1/audit?limit=1&cursor=\(cursor)", uid: Harness.operatorUID)
            #expect(next["events"]?.arrayValue.first?["id"] != paged["events"]?.arrayValue.first?["id"])
            #expect(try await client.call(.get, "/v1/audit").status == .forbidden)
            let own = try await client.call(.get, "/v1/audit?token_id=\(id)")
            #expect(own.status == .ok)
            #expect(own["events"]?.arrayValue.count == 2)
            #expect(try await client.call(.get, "/v1/audit?token_id=\(other)").status == .notFound)
            #expect(try await client.call(.get, "/v1/audit?action=nope", uid: 0).status == .badRequest)
            #expect(try await client.call(.get, "/v1/audit?cursor=x", uid: 0).status == .badRequest)
        }
    }
}
