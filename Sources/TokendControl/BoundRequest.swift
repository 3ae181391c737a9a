import Foundation
import TokendCore

/// The optional `bound` member of a registration or logon: `{"heartbeat_seconds": N}`.
struct BoundRequest: Sendable {
    /// As given; checked against the account's max TTL by ``validated(maxTTL:path:)`` once the account is known.
    var heartbeatSeconds: Int64

    /// `nil` when the body has no `bound` (or `"bound": null`): an ordinary token.
    static func parse(_ object: inout StrictObject, path: String) throws -> BoundRequest? {
        guard var bound = try object.object("bound") else { return nil }
        let field = path + "bound.heartbeat_seconds"
        // Read over the whole integer range so that 0 and negatives get their own message, not a range error.
        guard let seconds = try bound.int("heartbeat_seconds", in: Int64.min...Int64.max) else {
            throw APIError.badRequest("field '\(field)' is required when 'bound' is given", field: field)
        }
        try bound.finish()
        guard seconds >= 1 else {
            throw APIError.badRequest(
                "field '\(field)' must be at least 1 (seconds without a heartbeat before the token is revoked), not \(seconds)",
                field: field)
        }
        return BoundRequest(heartbeatSeconds: seconds)
    }

    /// The heartbeat window, refused when longer than the account's max TTL (the token could never need it).
    func validated(maxTTL: Duration, path: String) throws -> Int {
        let field = path + "bound.heartbeat_seconds"
        let limit = maxTTL.components.seconds
        guard heartbeatSeconds <= limit else {
            throw APIError.badRequest(
                "field '\(field)' must not exceed the account's max TTL (\(limit) seconds), not \(heartbeatSeconds)",
                field: field)
        }
        return Int(heartbeatSeconds)
    }
}
