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
    /// `bound.heartbeat_seconds`, validated against the account's max TTL.
    var heartbeatSeconds: Int?

    /// Parses and validates one registration against the configured accounts.
    init(_ body: JSON, configuration: Configuration, path: String = "") throws {
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
        let bound = try BoundRequest.parse(&object, path: path)
        try object.finish()
        self.provider = provider
        let account = try Self.account(of: provider, named: accountName, configuration: configuration, path: path)
        self.account = account
        heartbeatSeconds = try bound?.validated(
            maxTTL: TTLRequest.policy(for: account, configuration: configuration).maxTTL, path: path)
        if token.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw APIError.badRequest("field '\(path)token' must not contain control characters", field: path + "token")
        }
    }

    /// The store input, with the TTL decided at `now`.
    func newToken(caller: Caller, configuration: Configuration, now: Date) -> (NewToken, TTLPolicy.Decision) {
        let decision = ttl.decide(policy: TTLRequest.policy(for: account, configuration: configuration), now: now)
        let token = NewToken(
            provider: provider, account: account.name, owner: owner ?? caller.userName, labels: labels,
            token: self.token, expiresAt: decision.expiresAt, registeredByUID: caller.uid,
            heartbeatSeconds: heartbeatSeconds)
        return (token, decision)
    }

    /// The configured account `name` of `provider`, or its only account when `name` is absent.
    static func account(of provider: ProviderKind, named name: String?, configuration: Configuration, path: String)
        throws -> Configuration.Account
    {
        let candidates = configuration.accounts(of: provider)
        if let name {
            guard let account = candidates.first(where: { $0.name == name }) else {
                throw APIError.badRequest(
                    "unknown account '\(name)' for provider \(provider.rawValue)", field: path + "account")
            }
            return account
        } else if candidates.count == 1 {
            return candidates[0]
        } else if candidates.isEmpty {
            throw APIError.badRequest("no \(provider.rawValue) account is configured", field: path + "provider")
        } else {
            throw APIError.badRequest(
                "provider \(provider.rawValue) has several accounts (\(candidates.map(\.name).joined(separator: ", "))); 'account' is required",
                field: path + "account")
        }
    }
}

