import Foundation
import HTTPTypes
import Hummingbird
import TokendCore
import TokendEngine
import TokendStore

extension ControlAPI {
    /// `POST /v1/logons` (client): tokend logs on at a FogBugz account with the caller's email and password and
    /// takes the issued token straight into custody (audit `logged_on`). 201 with the record (plus `token` when
    /// `print_token` is true); 200 when the provider handed back a token already in custody for this caller.
    ///
    /// Refusals (wrong password, ambiguous logon, two-factor on) → 422 `logon_refused` with the provider's
    /// reason; the provider unreachable or answering 5xx → 502 `provider_unavailable`; a protocol or configuration
    /// fault (redirect, bare 4xx, no token) → 502 `provider_error`; hold (no provider calls) → 503 `unavailable`.
    @Sendable func logon(_ request: Request, context: ControlContext) async throws -> Response {
        let caller = try context.requireCaller()
        let configuration = settings.snapshot.configuration
        guard let body = try await readJSON(request, context: context) else { throw APIError.badRequest("body required") }
        let input = try LogonRequest(body, configuration: configuration)
        guard let performer = logonPerformer else {
            throw APIError(.serviceUnavailable, code: "unavailable", "provider logon is not available in this daemon")
        }
        if engine.status().hold {
            // 409 like other refusals of the daemon's current state (a 5xx would say the daemon is broken).
            throw APIError(.conflict, code: "held", "the daemon is in hold: no provider calls, logons included; resume first")
        }
        let token: String
        switch await performer.logon(account: input.account, email: input.email, password: input.password) {
        case .loggedOn(let issued):
            token = issued
        case .refused(let code, let detail, let people):
            var details = [JSON.Member("account", .string(input.account.name)), JSON.Member("provider_code", .int(code))]
            if !people.isEmpty { details.append(JSON.Member("people", .array(people.map { .string($0) }))) }
            let hint = code == 2 ? " (several people match: log on with one of their full names as email)" : ""
            throw APIError(
                .unprocessableContent, code: "logon_refused", "FogBugz refused the logon: \(detail)\(hint)", details: details)
        case .unavailable(let detail):
            throw APIError(
                .badGateway, code: "provider_unavailable", "FogBugz account '\(input.account.name)' could not be reached: \(detail)",
                details: [JSON.Member("account", .string(input.account.name))])
        case .failed(let detail):
            throw APIError(
                .badGateway, code: "provider_error", "FogBugz account '\(input.account.name)' answered the logon unusably: \(detail)",
                details: [JSON.Member("account", .string(input.account.name))])
        }
        let now = clock.now()
        let (newToken, decision) = input.newToken(token, caller: caller, configuration: configuration, now: now)
        let registration: Registration
        do {
            registration = try await store.register(newToken, actor: caller.actor, limits: liveLimits)
        } catch {
            // Issued but not in custody: log it off again rather than leave a live token nobody tracks.
            let result = await performer.logoff(account: input.account, token: token)
            logger.warning(
                "logon token could not be recorded; logged off again",
                metadata: ["account": "\(input.account.name)", "logoff": "\(result.outcome.name)", "error": "\(error)"])
            throw error
        }
        let record = registration.record
        if !registration.created, !caller.canSee(registeredBy: record.registeredByUID) {
            throw APIError(.conflict, code: "conflict", "the token FogBugz issued is already in custody for another uid")
        }
        metrics.recordRegistration(created: registration.created)
        var warnings: [Warning] = []
        if registration.created {
            if decision.clamped {
                warnings.append(.clamped(maxTTL: configuration.schedule.maxTTL, expiresAt: record.expiresAt))
            }
            wakeIfDueSoon(record.expiresAt, now: now)
        }
        var members = record.jsonMembers + [.init("warnings", .array(warnings.map(\.json)))]
        if input.printToken { members.append(.init("token", .string(token))) }
        return JSONResponse.make(registration.created ? .created : .ok, .object(members))
    }
}
