import Foundation
import TokendCore
import TokendStore

/// A validated `POST /v1/logons` body. The password lives here only as long as the request: it is sent to the
/// provider and never stored, logged, audited or echoed in an error (field errors name the field, not the value).
struct LogonRequest: Sendable {
    var account: Configuration.Account
    var email: String
    var password: String
    var owner: String?
    var labels: [String: String]
    var ttl: TTLRequest
    var heartbeatSeconds: Int?
    var printToken: Bool

    static let maxEmailBytes = 256
    static let maxPasswordBytes = 1_024

    init(_ body: JSON, configuration: Configuration) throws {
        var object = try StrictObject(body)
        let providerName = try object.requiredString("provider", maxBytes: 32)
        guard providerName == ProviderKind.fogbugz.rawValue else {
            throw APIError.badRequest(
                "logon is supported for provider fogbugz only, not '\(providerName)'", field: "provider")
        }
        let accountName = try object.string("account", maxBytes: InputLimits.maxAccountBytes, minBytes: 1)
        email = try object.requiredString("email", maxBytes: Self.maxEmailBytes)
        password = try object.requiredString("password", maxBytes: Self.maxPasswordBytes)
        owner = try object.string("owner", maxBytes: InputLimits.maxOwnerBytes, minBytes: 1)
        labels = try object.labels("labels") ?? [:]
        ttl = try TTLRequest(&object, path: "")
        let bound = try BoundRequest.parse(&object, path: "")
        printToken = try object.bool("print_token") ?? false
        try object.finish()
        let account = try RegisterRequest.account(
            of: .fogbugz, named: accountName, configuration: configuration, path: "")
        self.account = account
        heartbeatSeconds = try bound?.validated(
            maxTTL: TTLRequest.policy(for: account, configuration: configuration).maxTTL, path: "")
        for (field, value) in [("email", email), ("password", password)]
        where value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw APIError.badRequest("field '\(field)' must not contain control characters", field: field)
        }
    }

    /// The store input for the token the provider issued, with the TTL decided at `now`.
    func newToken(_ token: String, caller: Caller, configuration: Configuration, now: Date)
        -> (NewToken, TTLPolicy.Decision)
    {
        let decision = ttl.decide(policy: TTLRequest.policy(for: account, configuration: configuration), now: now)
        let token = NewToken(
            provider: .fogbugz, account: account.name, owner: owner ?? caller.userName, labels: labels, token: token,
            expiresAt: decision.expiresAt, registeredByUID: caller.uid, heartbeatSeconds: heartbeatSeconds,
            loggedOn: true)
        return (token, decision)
    }
}
