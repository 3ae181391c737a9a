import Foundation
import TokendCore

/// `ttl_seconds` or `expires_at` (at most one), or neither (the account's default TTL).
struct TTLRequest: Sendable {
    var request: TTLPolicy.Request

    init(_ object: inout StrictObject, path: String, required: Bool = false) throws {
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
