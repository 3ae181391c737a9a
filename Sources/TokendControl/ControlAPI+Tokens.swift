import Foundation
import HTTPTypes
import Hummingbird
import TokendCore
import TokendEngine
import TokendStore

extension ControlAPI {
    /// `POST /v1/tokens` (client): 201 created, 200 when the same raw token is already registered.
    @Sendable func register(_ request: Request, context: ControlContext) async throws -> Response {
        let caller = try context.requireCaller()
        let configuration = settings.snapshot.configuration
        guard let body = try await readJSON(request, context: context) else { throw APIError.badRequest("body required") }
        let input = try RegisterRequest(body, configuration: configuration)
        let now = clock.now()
        let (token, decision) = input.newToken(caller: caller, configuration: configuration, now: now)
        let registration = try await store.register(token, actor: caller.actor, limits: liveLimits)
        let record = registration.record
        if !registration.created, !caller.canSee(registeredBy: record.registeredByUID) {
            throw APIError(.conflict, code: "conflict", "this token is already registered by another uid")
        }
        metrics.recordRegistration(created: registration.created)
        var warnings: [Warning] = []
        if registration.created {
            if decision.clamped {
                warnings.append(.clamped(maxTTL: configuration.schedule.maxTTL, expiresAt: record.expiresAt))
            }
            wakeIfDueSoon(record.expiresAt, now: now)
        }
        if engine.status().hold { warnings.append(.held) }
        return JSONResponse.make(registration.created ? .created : .ok, record.json(warnings: warnings))
    }

    /// `POST /v1/tokens:batch` (client): up to 1,000 registrations in one transaction, results in order.
    @Sendable func registerBatch(_ request: Request, context: ControlContext) async throws -> Response {
        let caller = try context.requireCaller()
        let configuration = settings.snapshot.configuration
        var object = try await readObject(request, context: context)
        guard let items = try object.array("tokens") else {
            throw APIError.badRequest("field 'tokens' is required", field: "tokens")
        }
        try object.finish()
        guard items.count <= InputLimits.maxBatch else {
            throw APIError.badRequest("a batch holds at most \(InputLimits.maxBatch) tokens, not \(items.count)", field: "tokens")
        }
        let now = clock.now()
        var slots: [Result<(Int, TTLPolicy.Decision), APIError>] = []
        var tokens: [NewToken] = []
        for (index, item) in items.enumerated() {
            do {
                let input = try RegisterRequest(item, configuration: configuration, path: "tokens[\(index)].")
                let (token, decision) = input.newToken(caller: caller, configuration: configuration, now: now)
                slots.append(.success((tokens.count, decision)))
                tokens.append(token)
            } catch let error as APIError {
                slots.append(.failure(error))
            }
        }
        var outcomes: [Result<Registration, StoreError>] = []
        if !tokens.isEmpty {
            outcomes = try await store.registerBatch(tokens, actor: caller.actor, limits: liveLimits)
        }
        let held = engine.status().hold
        var results: [JSON] = []
        var created = 0
        var existing = 0
        var wake = false
        for slot in slots {
            switch slot {
            case .failure(let error):
                results.append(.object(["error": error.body["error"] ?? .null]))
            case .success(let (position, decision)):
                switch outcomes[position] {
                case .failure(let error):
                    results.append(.object(["error": APIError.from(error).body["error"] ?? .null]))
                case .success(let registration):
                    let record = registration.record
                    if !registration.created, !caller.canSee(registeredBy: record.registeredByUID) {
                        let error = APIError(.conflict, code: "conflict", "this token is already registered by another uid")
                        results.append(.object(["error": error.body["error"] ?? .null]))
                        continue
                    }
                    var warnings: [Warning] = []
                    if registration.created {
                        created += 1
                        if decision.clamped {
                            warnings.append(.clamped(maxTTL: configuration.schedule.maxTTL, expiresAt: record.expiresAt))
                        }
                        if record.expiresAt <= now.adding(max(configuration.schedule.sweepInterval * 2, .seconds(5))) {
                            wake = true
                        }
                    } else {
                        existing += 1
                    }
                    if held { warnings.append(.held) }
                    results.append(
                        .object([
                            "token": record.json, "created": .bool(registration.created),
                            "warnings": .array(warnings.map(\.json)),
                        ]))
                }
            }
        }
        if created > 0 { metrics.recordRegistration(created: true, count: created) }
        if existing > 0 { metrics.recordRegistration(created: false, count: existing) }
        if wake { engine.wake() }
        return JSONResponse.make(.ok, .object(["results": .array(results)]))
    }

    /// `GET /v1/tokens` (client: own tokens only): filters, `limit` 1…1000, opaque `cursor`.
    @Sendable func list(_ request: Request, context: ControlContext) async throws -> Response {
        let caller = try context.requireCaller()
        var query = QueryParameters(request)
        var filter = TokenFilter(
            provider: try query.provider(), account: try query.string("account"), owner: try query.string("owner"),
            states: try query.states(), labels: try query.labels(), expiresBefore: try query.timestamp("expires_before"),
            expiresAfter: try query.timestamp("expires_after"), issuedBefore: try query.timestamp("issued_before"))
        let limit = Int(try query.int("limit", in: 1...1_000) ?? 100)
        var cursor: TokenCursor?
        if let text = try query.string("cursor", maxBytes: 200) {
            guard let parsed = TokenCursor(encoded: text) else {
                throw APIError.badRequest("unparseable cursor", field: "cursor")
            }
            cursor = parsed
        }
        try query.finish()
        if !caller.seesAllTokens { filter.registeredByUID = caller.uid }
        let page = try await store.list(filter, limit: limit, after: cursor)
        // Written directly as bytes: the same document as `{"tokens": [record.json…], "next_cursor": …}`.
        var out: [UInt8] = []
        out.reserveCapacity(page.tokens.count * 700 + 64)
        out.append(contentsOf: #"{"tokens":["#.utf8)
        for (index, record) in page.tokens.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            record.writeJSON(into: &out)
        }
        out.append(contentsOf: #"],"next_cursor":"#.utf8)
        JSON.optional(page.nextCursor?.encoded).write(into: &out)
        out.append(contentsOf: "}\n".utf8)
        return JSONResponse.make(.ok, bytes: out)
    }

    /// `GET /v1/tokens/{id}` (client).
    @Sendable func show(_ request: Request, context: ControlContext) async throws -> Response {
        let caller = try context.requireCaller()
        let record = try await visibleToken(parameter("id", context), caller: caller)
        return JSONResponse.make(.ok, record.json)
    }

    /// `POST /v1/tokens:lookup` (client): the record whose fingerprint matches the raw token.
    @Sendable func lookup(_ request: Request, context: ControlContext) async throws -> Response {
        let caller = try context.requireCaller()
        var object = try await readObject(request, context: context)
        let token = try object.requiredString("token", maxBytes: InputLimits.maxTokenBytes)
        try object.finish()
        let records = try await store.lookup(rawToken: token).filter { caller.canSee(registeredBy: $0.registeredByUID) }
        guard let record = records.first else { throw APIError.notFound("no token in custody matches") }
        return JSONResponse.make(.ok, record.json)
    }

    /// `POST /v1/tokens/{id}/renew` (client): new lifetime from now, clamped; 409 unless active.
    @Sendable func renew(_ request: Request, context: ControlContext) async throws -> Response {
        let caller = try context.requireCaller()
        let existing = try await visibleToken(parameter("id", context), caller: caller)
        if existing.bound != nil { throw Self.boundRenewRefused(existing) }
        var object = try await readObject(request, context: context)
        let ttl = try TTLRequest(&object, path: "", required: true)
        let reason = try object.string("reason", maxBytes: InputLimits.maxReasonBytes)
        try object.finish()
        let configuration = settings.snapshot.configuration
        guard let account = configuration.account(named: existing.account) else {
            throw APIError(
                .conflict, code: "conflict", "account '\(existing.account)' is no longer configured",
                details: [JSON.Member("id", .string(existing.id))])
        }
        let now = clock.now()
        let decision = ttl.decide(policy: TTLRequest.policy(for: account, configuration: configuration), now: now)
        let record = try await store.renew(id: existing.id, expiresAt: decision.expiresAt, actor: caller.actor, reason: reason)
        wakeIfDueSoon(record.expiresAt, now: now)
        var warnings: [Warning] = []
        if decision.clamped { warnings.append(.clamped(maxTTL: configuration.schedule.maxTTL, expiresAt: record.expiresAt)) }
        return JSONResponse.make(.ok, record.json(warnings: warnings))
    }

    /// `POST /v1/tokens/{id}/revoke` (client): queue the logoff; 202 while pending, 200 once terminal.
    @Sendable func revoke(_ request: Request, context: ControlContext) async throws -> Response {
        let caller = try context.requireCaller()
        let existing = try await visibleToken(parameter("id", context), caller: caller)
        var object = try await readObject(request, context: context, optional: true)
        let note = try object.string("reason", maxBytes: InputLimits.maxReasonBytes)
        let wait = try object.bool("wait") ?? false
        let timeout = try object.int("timeout_seconds", in: 0...InputLimits.maxWaitSeconds) ?? InputLimits.defaultWaitSeconds
        try object.finish()
        let result = try await store.requestRevoke(id: existing.id, reason: .requested, note: note, actor: caller.actor)
        if result.changed { engine.wake() }
        var record = result.record
        let held = engine.status().hold
        var warnings: [Warning] = []
        if !record.state.isTerminal {
            if held {
                warnings.append(.held)
            } else if wait, timeout > 0, let latest = try await engine.waitForTerminal(id: record.id, timeout: .seconds(timeout)) {
                record = latest
            }
        }
        return JSONResponse.make(record.state.isTerminal ? .ok : .accepted, record.json(warnings: warnings))
    }

    /// `POST /v1/tokens/{id}/forget` (admin): out of custody without a provider call; 200 if already forgotten.
    @Sendable func forget(_ request: Request, context: ControlContext) async throws -> Response {
        let caller = try context.requireCaller()
        try require(.admin, caller)
        let existing = try await visibleToken(parameter("id", context), caller: caller)
        var object = try await readObject(request, context: context, optional: true)
        let note = try object.string("reason", maxBytes: InputLimits.maxReasonBytes)
        try object.finish()
        let result = try await store.forget(id: existing.id, note: note, actor: caller.actor)
        // A claim may wait in a lane behind a slow provider: it must not reach the provider now.
        if result.interruptedClaim { engine.forgotten(id: existing.id) }
        return JSONResponse.make(.ok, result.record.json)
    }

    /// `POST /v1/tokens/{id}/retry` (operator): `failed → revoking`, attempts reset; 409 otherwise.
    @Sendable func retry(_ request: Request, context: ControlContext) async throws -> Response {
        let caller = try context.requireCaller()
        try require(.operator, caller)
        let existing = try await visibleToken(parameter("id", context), caller: caller)
        var object = try await readObject(request, context: context, optional: true)
        let note = try object.string("reason", maxBytes: InputLimits.maxReasonBytes)
        try object.finish()
        let record = try await store.retry(id: existing.id, actor: caller.actor, reason: note)
        engine.wake()
        return JSONResponse.make(.ok, record.json)
    }
}
