import Foundation
import HTTPTypes
import Hummingbird
import TokendCore
import TokendEngine
import TokendStore

extension ControlAPI {
    /// `POST /v1/tokens/{id}/heartbeat` (the registrant only; anyone else, operators included, gets 404): keeps a
    /// bound token alive for another `heartbeat_seconds`. 409 when the token is not bound, not active, or its
    /// deadline has passed (its revocation then starts, reason `unbound`).
    @Sendable func heartbeat(_ request: Request, context: ControlContext) async throws -> Response {
        let caller = try context.requireCaller()
        let id = try ownID(context)
        _ = try await readObject(request, context: context, optional: true).finish()
        do {
            let record = try await store.heartbeat(tokenID: id, ownerUID: caller.uid, now: clock.now())
            return JSONResponse.make(.ok, record.json)
        } catch StoreError.conflict(let conflictID, .revoking, let message) {
            // Possibly the missed deadline just started the revocation: the scheduler should pick it up now.
            engine.wake()
            throw StoreError.conflict(id: conflictID, state: .revoking, message: message)
        }
    }

    /// `POST /v1/tokens/{id}/release` (the registrant only): ends a bound token's custody now, reason `released`.
    /// Body (optional) as for revoke: `reason`, `wait`, `timeout_seconds`. 202 while the logoff is pending, 200
    /// once terminal (with `wait`, or when it already was).
    @Sendable func release(_ request: Request, context: ControlContext) async throws -> Response {
        let caller = try context.requireCaller()
        let id = try ownID(context)
        var object = try await readObject(request, context: context, optional: true)
        let note = try object.string("reason", maxBytes: InputLimits.maxReasonBytes)
        let wait = try object.bool("wait") ?? false
        let timeout = try object.int("timeout_seconds", in: 0...InputLimits.maxWaitSeconds) ?? InputLimits.defaultWaitSeconds
        try object.finish()
        let result = try await store.release(
            tokenID: id, ownerUID: caller.uid, note: note, actor: caller.actor, now: clock.now())
        if result.changed { engine.wake() }
        var record = result.record
        var warnings: [Warning] = []
        if !record.state.isTerminal {
            if engine.status().hold {
                warnings.append(.held)
            } else if wait, timeout > 0, let latest = try await engine.waitForTerminal(id: id, timeout: .seconds(timeout)) {
                record = latest
            }
        }
        return JSONResponse.make(record.state.isTerminal ? .ok : .accepted, record.json(warnings: warnings))
    }

    /// The `{id}` of a registrant-only verb; a malformed id cannot exist (404).
    private func ownID(_ context: ControlContext) throws -> String {
        let id = parameter("id", context)
        guard Identifier.isValid(id, prefix: "tok_") else { throw APIError.tokenNotFound(id) }
        return id
    }

    /// The answer to renewing a bound token: its lifetime is its owner's heartbeats (and its TTL), not a renew.
    static func boundRenewRefused(_ record: TokenRecord) -> APIError {
        APIError(
            .conflict, code: "conflict",
            "token \(record.id) is bound: it stays alive through heartbeats from its owner (POST /v1/tokens/{id}/heartbeat), not renew; its TTL still applies",
            details: [JSON.Member("id", .string(record.id)), JSON.Member("state", .string(record.state.rawValue))])
    }
}
