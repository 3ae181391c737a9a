import Foundation
import HTTPTypes
import Testing
import TokendControl
import TokendCore

@Suite struct TokenVerbTests {
    @Test func listFiltersPagesAndScopesToCaller() async throws {
        let harness = try Harness()
        try await harness.test { client in
            for index in 0..<5 {
                _ = try await client.register(
                    token: "list-\(index)", extra: #","labels":{"team":"\#(index % 2 == 0 ? "a" : "b")"},"ttl_seconds":\#(1000 + index)"#)
            }
            _ = try await client.register(token: "other", uid: Harness.otherClientUID)
            let all = try await client.call(.get, "/v1/tokens")
            #expect(all.status == .ok)
            #expect(all["tokens"]?.arrayValue.count == 5)
            #expect(all["next_cursor"] == .null)
            let labelled = try await client.call(.get, "/v1/tokens?label=team:a&provider=fogbugz&state=active")
            #expect(labelled["tokens"]?.arrayValue.count == 3)
            let page1 = try await client.call(.get, "/v1/tokens?limit=2")
            #expect(page1["tokens"]?.arrayValue.count == 2)
            let cursor = try #require(page1.string("next_cursor"))
            let page2 = try await client.call(.get, "/v1/tokens?limit=2&cursor=\(cursor)")
            #expect(page2["tokens"]?.arrayValue.count == 2)
            #expect(page2["tokens"]?.arrayValue.first?["id"] != page1["tokens"]?.arrayValue.first?["id"])
            let operatorView = try await client.call(.get, "/v1/tokens", uid: Harness.operatorUID)
            #expect(operatorView["tokens"]?.arrayValue.count == 6)
            let before = try await client.call(.get, "/v1/tokens?expires_before=2000-01-01T00:00:00Z")
            #expect(before["tokens"]?.arrayValue.count == 0)
        }
    }

    @Test(arguments: [
        "/v1/tokens?limit=0", "/v1/tokens?limit=1001", "/v1/tokens?limit=abc", "/v1/tokens?cursor=garbage!",
        "/v1/tokens?state=weird", "/v1/tokens?provider=x", "/v1/tokens?label=nocolon", "/v1/tokens?bogus=1",
        "/v1/tokens?expires_before=yesterday", "/v1/tokens?owner=a&owner=b",
    ])
    func listRejectsBadQueries(uri: String) async throws {
        let harness = try Harness()
        try await harness.test { client in
            let answer = try await client.call(.get, uri)
            #expect(answer.status == .badRequest, "\(uri) → \(answer.text)")
            #expect(answer.errorCode == "bad_request")
        }
    }

    @Test func showAndLookupHideOtherUsersTokens() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let id = try await client.register(token: "mine")
            #expect(try await client.call(.get, "/v1/tokens/\(id)").status == .ok)
            let hidden = try await client.call(.get, "/v1/tokens/\(id)", uid: Harness.otherClientUID)
            #expect(hidden.status == .notFound)
            #expect(hidden.errorCode == "not_found")
            #expect(try await client.call(.get, "/v1/tokens/\(id)", uid: Harness.operatorUID).status == .ok)
            #expect(try await client.call(.get, "/v1/tokens/tok_bogus").status == .notFound)
            #expect(try await client.call(.get, "/v1/tokens/tok_00000000000000000000000000").status == .notFound)
            let found = try await client.call(.post, "/v1/tokens:lookup", body: #"{"token":"mine"}"#)
            #expect(found.status == .ok)
            #expect(found.string("id") == id)
            #expect(try await client.call(.post, "/v1/tokens:lookup", uid: Harness.otherClientUID, body: #"{"token":"mine"}"#).status == .notFound)
            #expect(try await client.call(.post, "/v1/tokens:lookup", body: #"{"token":"unknown"}"#).status == .notFound)
            #expect(try await client.call(.post, "/v1/tokens:lookup", body: #"{"token":"mine","x":1}"#).status == .badRequest)
        }
    }

    @Test func renewClampsAndConflictsWhenTerminal() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let id = try await client.register(token: "renew-me")
            let renewed = try await client.call(.post, "/v1/tokens/\(id)/renew", body: #"{"ttl_seconds":7200}"#)
            #expect(renewed.status == .ok)
            #expect(renewed["last_renewed_at"] != .null)
            #expect(renewed["warnings"]?.arrayValue == [])
            let clamped = try await client.call(.post, "/v1/tokens/\(id)/renew", body: #"{"ttl_seconds":9999999}"#)
            #expect(clamped["warnings"]?.arrayValue.first?["code"]?.stringValue == "ttl_clamped")
            #expect(try await client.call(.post, "/v1/tokens/\(id)/renew", body: #"{}"#).status == .badRequest)
            #expect(try await client.call(.post, "/v1/tokens/\(id)/renew", uid: Harness.otherClientUID, body: #"{"ttl_seconds":60}"#).status == .notFound)
            _ = try await client.call(.post, "/v1/tokens/\(id)/revoke")
            let conflict = try await client.call(.post, "/v1/tokens/\(id)/renew", body: #"{"ttl_seconds":60}"#)
            #expect(conflict.status == .conflict)
            #expect(conflict.errorCode == "conflict")
        }
    }

    @Test func revokeQueuesAndAnswers202ThenIsIdempotent() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let id = try await client.register(token: "revoke-me")
            #expect(try await client.call(.post, "/v1/tokens/\(id)/revoke", uid: Harness.otherClientUID).status == .notFound)
            let queued = try await client.call(.post, "/v1/tokens/\(id)/revoke", body: #"{"reason":"laptop lost"}"#)
            #expect(queued.status == .accepted)
            #expect(queued.string("state") == "revoking")
            #expect(queued.string("revocation_reason") == "requested")
            #expect(queued.string("revocation_note") == "laptop lost")
            #expect(harness.engine.state.withLock { $0.wakes } == 1)
            try await harness.engine.complete(account: "acme", outcome: .revoked)
            let again = try await client.call(.post, "/v1/tokens/\(id)/revoke")
            #expect(again.status == .ok)
            #expect(again.string("state") == "revoked")
            #expect(try await client.call(.post, "/v1/tokens/\(id)/revoke", body: #"{"wait":"yes"}"#).status == .badRequest)
        }
    }

    @Test func revokeWithWaitReturnsFinalOutcome() async throws {
        let harness = try Harness()
        harness.engine.state.withLock { $0.outcomeOnWait = .alreadyRevoked(detail: "not logged on") }
        try await harness.test { client in
            let id = try await client.register(token: "wait-me")
            let answer = try await client.call(.post, "/v1/tokens/\(id)/revoke", body: #"{"wait":true,"timeout_seconds":5}"#)
            #expect(answer.status == .ok)
            #expect(answer.string("state") == "already_revoked")
            #expect(answer["attempts"]?.intValue == 1)
        }
    }

    @Test func revokeWaitStillPendingIs202() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let id = try await client.register(token: "slow")
            let answer = try await client.call(.post, "/v1/tokens/\(id)/revoke", body: #"{"wait":true,"timeout_seconds":1}"#)
            #expect(answer.status == .accepted)
            #expect(answer.string("state") == "revoking")
        }
    }

    @Test func revokeWhileHeldWarns() async throws {
        let harness = try Harness()
        harness.engine.state.withLock { $0.hold = true }
        try await harness.test { client in
            let id = try await client.register(token: "held")
            let answer = try await client.call(.post, "/v1/tokens/\(id)/revoke", body: #"{"wait":true}"#)
            #expect(answer.status == .accepted)
            #expect(answer["warnings"]?.arrayValue.map { $0["code"]?.stringValue } == ["held"])
        }
    }

    @Test func forgetIsAdminOnlyAndIdempotent() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let id = try await client.register(token: "forget-me")
            let denied = try await client.call(.post, "/v1/tokens/\(id)/forget")
            #expect(denied.status == .forbidden)
            #expect(denied.errorCode == "forbidden")
            #expect(try await client.call(.post, "/v1/tokens/\(id)/forget", uid: Harness.operatorUID).status == .forbidden)
            let forgotten = try await client.call(.post, "/v1/tokens/\(id)/forget", uid: Harness.adminUID, body: #"{"reason":"moved"}"#)
            #expect(forgotten.status == .ok)
            #expect(forgotten.string("state") == "forgotten")
            #expect(forgotten.string("revocation_reason") == "forgotten")
            #expect(try await client.call(.post, "/v1/tokens/\(id)/forget", uid: 0).status == .ok)
            let revoke = try await client.call(.post, "/v1/tokens/\(id)/revoke")
            #expect(revoke.status == .conflict)
            #expect(try await client.call(.post, "/v1/tokens/tok_00000000000000000000000000/forget", uid: 0).status == .notFound)
        }
    }

    /// A forget that takes a token from under a scheduler claim tells the engine, so the claim never reaches the
    /// provider; one of an unclaimed token does not (nothing would consume the entry).
    @Test func forgetUnderAClaimTellsTheEngine() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let idle = try await client.register(token: "forget-idle")
            let claimed = try await client.register(token: "forget-claimed")
            #expect(try await client.call(.post, "/v1/tokens/\(claimed)/revoke").status == .accepted)
            let claims = try await harness.store.claimDue(account: "acme", limit: 10)
            #expect(claims.map(\.id) == [claimed])
            #expect(try await client.call(.post, "/v1/tokens/\(idle)/forget", uid: 0).status == .ok)
            #expect(try await client.call(.post, "/v1/tokens/\(claimed)/forget", uid: 0).status == .ok)
            #expect(harness.engine.state.withLock { $0.forgotten } == [claimed])
        }
    }

    @Test func retryIsOperatorOnlyAndNeedsFailed() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let id = try await client.register(token: "retry-me")
            #expect(try await client.call(.post, "/v1/tokens/\(id)/retry").status == .forbidden)
            let notFailed = try await client.call(.post, "/v1/tokens/\(id)/retry", uid: Harness.operatorUID)
            #expect(notFailed.status == .conflict)
            _ = try await client.call(.post, "/v1/tokens/\(id)/revoke")
            try await harness.engine.complete(account: "acme", outcome: .permanent(detail: "bad key"))
            let failed = try await client.call(.get, "/v1/tokens/\(id)")
            #expect(failed.string("state") == "failed")
            #expect(failed.string("last_error") != nil)
            let retried = try await client.call(.post, "/v1/tokens/\(id)/retry", uid: Harness.operatorUID)
            #expect(retried.status == .ok)
            #expect(retried.string("state") == "revoking")
            #expect(retried["attempts"]?.intValue == 0)
        }
    }
}
