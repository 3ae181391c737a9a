import Foundation
import TokendCore

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
