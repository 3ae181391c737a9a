import Foundation
import TokendCore
import TokendStore

/// A validated `POST /v1/tokens` body (also one item of a batch).
struct RegisterRequest: Sendable {
    var provider: ProviderKind
    var account: Configuration.Account
    var owner: String?
    var labels: [String: String]
    var token: String
    var ttl: TTLRequest

    /// Parses and validates one registration against the configured accounts.
    init(_ body: JSON, configuration: Configuration, path: String = "") throws(APIError) {
        var object = try StrictObject(body, path: path)
        let providerName = try object.requiredString("provider", maxBytes: 32)
        guard let provider = ProviderKind(rawValue: providerName) else {
            throw APIError.badRequest(
                "unknown provider '\(providerName)' (expected one of: \(ProviderKind.allCases.map(\.rawValue).joined(separator: ", ")))",
                field: path + "provider")
        }
        let accountName = try object.string("account", maxBytes: InputLimits.maxAccountBytes, minBytes: 1)
        token = try object.requiredString("token", maxBytes: InputLimits.maxTokenBytes)
        owner = try object.string("owner", maxBytes: InputLimits.maxOwnerBytes, minBytes: 1)
        labels = try object.labels("labels") ?? [:]
        ttl = try TTLRequest(&object, path: path)
        try object.finish()
        self.provider = provider
        let candidates = configuration.accounts(of: provider)
        if let accountName {
            guard let account = candidates.first(where: { $0.name == accountName }) else {
                throw APIError.badRequest(
                    "unknown account '\(accountName)' for provider \(provider.rawValue)", field: path + "account")
            }
            self.account = account
        } else if candidates.count == 1 {
            account = candidates[0]
        } else if candidates.isEmpty {
            throw APIError.badRequest("no \(provider.rawValue) account is configured", field: path + "provider")
        } else {
            throw APIError.badRequest(
                "provider \(provider.rawValue) has several accounts (\(candidates.map(\.name).joined(separator: ", "))); 'account' is required",
                field: path + "account")
        }
        if token.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw APIError.badRequest("field '\(path)token' must not contain control characters", field: path + "token")
        }
    }

    /// The store input, with the TTL decided at `now`.
    func newToken(caller: Caller, configuration: Configuration, now: Date) -> (NewToken, TTLPolicy.Decision) {
        let decision = ttl.decide(policy: TTLRequest.policy(for: account, configuration: configuration), now: now)
        let token = NewToken(
            provider: provider, account: account.name, owner: owner ?? caller.userName, labels: labels,
            token: self.token, expiresAt: decision.expiresAt, registeredByUID: caller.uid)
        return (token, decision)
    }
}

/// `ttl_seconds` or `expires_at` (at most one), or neither (the account's default TTL).
struct TTLRequest: Sendable {
    var request: TTLPolicy.Request

    init(_ object: inout StrictObject, path: String, required: Bool = false) throws(APIError) {
        let seconds = try object.int("ttl_seconds", in: 1...InputLimits.maxTTLSeconds)
        let expiresAt = try object.timestamp("expires_at")
        switch (seconds, expiresAt) {
        case (let seconds?, nil): request = .ttl(.seconds(seconds))
        case (nil, let date?): request = .expiresAt(date)
        case (nil, nil):
            if required {
                throw APIError.badRequest("one of 'ttl_seconds' or 'expires_at' is required", field: path + "ttl_seconds")
            }
            request = .accountDefault
        case (.some, .some):
            throw APIError.badRequest("give either 'ttl_seconds' or 'expires_at', not both", field: path + "expires_at")
        }
    }

    func decide(policy: TTLPolicy, now: Date) -> TTLPolicy.Decision { policy.decide(request, now: now) }

    /// The schedule's policy with the account's own default TTL, if it has one.
    static func policy(for account: Configuration.Account, configuration: Configuration) -> TTLPolicy {
        var policy = configuration.schedule.ttlPolicy
        if let ttl = account.defaultTTL { policy.defaultTTL = ttl }
        return policy
    }
}

/// A `{code, message}` warning of a register/renew/revoke answer.
struct Warning: Sendable {
    var code: String
    var message: String

    var json: JSON { .object(["code": .string(code), "message": .string(message)]) }

    static func clamped(maxTTL: Duration, expiresAt: Date) -> Warning {
        Warning(
            code: "ttl_clamped",
            message: "requested lifetime exceeds max_ttl (\(DurationFormat.format(maxTTL))); expires_at set to \(Timestamp.format(expiresAt))")
    }

    static let held = Warning(
        code: "held", message: "the daemon is in hold mode: no provider calls are made until an admin resumes")
}
