import Foundation
import HTTPTypes
import Hummingbird
import TokendCore
import TokendEngine
import TokendStore

extension ControlAPI {
    /// `POST /v1/revocations` (operator): bulk revoke by filter, `dry_run`, `confirm`.
    @Sendable func startBulk(_ request: Request, context: ControlContext) async throws -> Response {
        let caller = try context.requireCaller()
        try require(.operator, caller)
        let object = try await readObject(request, context: context)
        // Parsing is synchronous and separate: Swift 6.3's release optimizer crashed (signal 11 in CoroSplit)
        // on this handler while typed-throws parsing was inlined into the async body.
        let bulk = try Self.parseBulk(object)
        return try await runBulk(bulk, caller: caller)
    }

    /// A validated bulk request.
    struct BulkRequest: Sendable {
        var filter: TokenFilter
        var dryRun: Bool
        var confirm: Int64?
        var reason: String?
    }

    static func parseBulk(_ body: StrictObject) throws -> BulkRequest {
        var object = body
        guard var filterObject = try object.object("filter") else {
            throw APIError.badRequest("field 'filter' is required (revoking everything needs an explicit \"state\": \"active\")", field: "filter")
        }
        let dryRun = try object.bool("dry_run") ?? false
        let confirm = try object.int("confirm", in: 0...Int64(Int32.max))
        let reason = try object.string("reason", maxBytes: InputLimits.maxReasonBytes)
        try object.finish()
        let filter = try bulkFilter(&filterObject)
        guard !filter.isEmpty else {
            throw APIError.badRequest("an empty filter is refused; to revoke everything say \"state\": \"active\"", field: "filter")
        }
        return BulkRequest(filter: filter, dryRun: dryRun, confirm: confirm, reason: reason)
    }

    private func runBulk(_ bulk: BulkRequest, caller: Caller) async throws -> Response {
        // What a real run would touch: the live tokens among the matches.
        var live = bulk.filter
        live.states = bulk.filter.states.isEmpty ? [.active, .revoking] : bulk.filter.states.filter(\.isLive)
        let matched = try await countLive(live)
        if bulk.dryRun {
            var sample: [JSON] = []
            if !live.states.isEmpty {
                sample = try await store.list(live, limit: 10).tokens.map { JSON.string($0.id) }
            }
            return JSONResponse.make(.ok, .object(["matched": .int(matched), "sample": .array(sample)]))
        }
        let confirmAbove = settings.snapshot.configuration.bulk.confirmAbove
        if let confirm = bulk.confirm, Int(confirm) != matched {
            throw Self.confirmationRequired(matched: matched, confirmAbove: confirmAbove, given: confirm)
        }
        if matched > confirmAbove, bulk.confirm == nil {
            throw Self.confirmationRequired(matched: matched, confirmAbove: confirmAbove, given: nil)
        }
        let result = await startJob(
            filter: bulk.filter, reason: bulk.reason, actor: caller.actor, expected: bulk.confirm.map(Int.init))
        let job: BulkJob
        switch result {
        case .success(let started):
            job = started
        case .failure(let error):
            guard case StoreError.conflict = error else { throw error }
            // The matching set changed between the count and the transaction.
            let now = try await countLive(live)
            throw Self.confirmationRequired(matched: now, confirmAbove: confirmAbove, given: bulk.confirm)
        }
        engine.wake()
        return JSONResponse.make(
            .accepted, .object(["id": .string(job.id), "matched": .int(job.matched), "state": .string(job.state)]))
    }

    private func countLive(_ live: TokenFilter) async throws -> Int {
        if live.states.isEmpty { return 0 }
        return try await store.count(live)
    }

    private func startJob(filter: TokenFilter, reason: String?, actor: Actor, expected: Int?) async
        -> Result<BulkJob, any Error>
    {
        do {
            return .success(
                try await store.startBulkRevocation(filter: filter, reason: reason, actor: actor, expectedCount: expected))
        } catch {
            return .failure(error)
        }
    }

    static func confirmationRequired(matched: Int, confirmAbove: Int, given: Int64?) -> APIError {
        let message =
            given == nil
            ? "\(matched) tokens match, more than bulk.confirm_above (\(confirmAbove)); repeat with \"confirm\": \(matched)"
            : "confirm was \(given!) but \(matched) tokens match; repeat with \"confirm\": \(matched)"
        return APIError(
            .conflict, code: "confirmation_required", message,
            details: [JSON.Member("matched", .int(matched)), JSON.Member("confirm_above", .int(confirmAbove))])
    }

    /// The bulk body's `filter` object.
    static func bulkFilter(_ object: inout StrictObject) throws -> TokenFilter {
        var filter = TokenFilter()
        if let name = try object.string("provider", maxBytes: 32) {
            guard let provider = ProviderKind(rawValue: name) else {
                throw APIError.badRequest("unknown provider '\(name)'", field: "filter.provider")
            }
            filter.provider = provider
        }
        filter.account = try object.string("account", maxBytes: InputLimits.maxAccountBytes, minBytes: 1)
        filter.owner = try object.string("owner", maxBytes: InputLimits.maxOwnerBytes, minBytes: 1)
        if let names = try stateList(&object) {
            filter.states = try names.map { name throws in
                guard let state = TokenState(rawValue: name) else {
                    throw APIError.badRequest("unknown state '\(name)'", field: "filter.state")
                }
                return state
            }
        }
        filter.labels = try object.labels("labels") ?? [:]
        filter.expiresBefore = try object.timestamp("expires_before")
        filter.expiresAfter = try object.timestamp("expires_after")
        filter.issuedBefore = try object.timestamp("issued_before")
        try object.finish()
        return filter
    }

    /// `state` as one string or an array of strings.
    private static func stateList(_ object: inout StrictObject) throws -> [String]? {
        var copy = object
        if let single = try? copy.string("state", maxBytes: 32, minBytes: 1) {
            object = copy
            return [single]
        }
        guard let items = try object.array("state") else { return nil }
        guard !items.isEmpty, items.count <= TokenState.allCases.count else {
            throw APIError.badRequest("field 'filter.state' must name 1 to \(TokenState.allCases.count) states", field: "filter.state")
        }
        return try items.map { item throws in
            guard case .string(let text) = item else {
                throw APIError.badRequest("field 'filter.state' must hold strings", field: "filter.state")
            }
            return text
        }
    }

    /// `GET /v1/revocations/{job}` (operator).
    @Sendable func showJob(_ request: Request, context: ControlContext) async throws -> Response {
        let caller = try context.requireCaller()
        try require(.operator, caller)
        let id = parameter("job", context)
        guard Identifier.isValid(id, prefix: "job_"), let job = try await store.job(id: id) else {
            throw APIError.notFound("no job with id '\(id)'")
        }
        return JSONResponse.make(.ok, job.json)
    }

    /// `GET /v1/audit` (operator; a client only with `token_id` of its own token): newest first, paged.
    @Sendable func audit(_ request: Request, context: ControlContext) async throws -> Response {
        let caller = try context.requireCaller()
        var query = QueryParameters(request)
        let tokenID = try query.string("token_id", maxBytes: 64)
        var action: AuditAction?
        if let name = try query.string("action", maxBytes: 32) {
            guard let parsed = AuditAction(rawValue: name) else {
                throw APIError.badRequest("unknown action '\(name)'", field: "action")
            }
            action = parsed
        }
        let since = try query.timestamp("since")
        let until = try query.timestamp("until")
        let actorUID = try query.int("actor_uid", in: 0...Int64(UInt32.max)).map { UInt32($0) }
        let limit = Int(try query.int("limit", in: 1...1_000) ?? 100)
        var before: Int64?
        if let cursor = try query.string("cursor", maxBytes: 32) {
            guard let value = Int64(cursor), value > 0 else { throw APIError.badRequest("unparseable cursor", field: "cursor") }
            before = value
        }
        try query.finish()
        if !caller.seesAllTokens {
            guard let tokenID else {
                throw APIError.forbidden("clients may read the audit only of their own tokens, with token_id")
            }
            _ = try await visibleToken(tokenID, caller: caller)
        }
        let page = try await store.audit(
            AuditQuery(tokenID: tokenID, action: action, since: since, until: until, actorUID: actorUID, beforeID: before, limit: limit))
        return JSONResponse.make(
            .ok,
            .object([
                "events": .array(page.events.map(\.json)),
                "next_cursor": .optional(page.nextBeforeID.map(String.init)),
            ]))
    }
}
