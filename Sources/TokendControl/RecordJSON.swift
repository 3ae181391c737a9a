import Foundation
import TokendCore
import TokendEngine
import TokendStore

extension JSON {
    static func date(_ date: Date?) -> JSON { date.map { .string(Timestamp.format($0)) } ?? .null }
}

extension TokenRecord {
    /// The contract's record: snake_case, RFC 3339 UTC, absent values as `null`; never the token itself.
    var json: JSON { .object(jsonMembers) }

    var jsonMembers: [JSON.Member] {
        [
            .init("id", .string(id)),
            .init("provider", .string(provider.rawValue)),
            .init("account", .string(account)),
            .init("owner", .string(owner)),
            .init("labels", .object(labels.sorted { $0.key < $1.key }.map { JSON.Member($0.key, .string($0.value)) })),
            .init("state", .string(state.rawValue)),
            .init("fingerprint", .string(fingerprint)),
            .init("issued_at", .date(issuedAt)),
            .init("expires_at", .date(expiresAt)),
            .init("last_renewed_at", .date(lastRenewedAt)),
            .init("registered_by_uid", .int(registeredByUID)),
            .init("attempts", .int(attempts)),
            .init("next_attempt_at", .date(nextAttemptAt)),
            .init("last_error", .optional(lastError)),
            .init("revoked_at", .date(revokedAt)),
            .init("revocation_reason", .optional(revocationReason?.rawValue)),
            .init("revocation_note", .optional(revocationNote)),
        ]
    }

    /// The record plus `warnings` (register, renew, revoke answers).
    func json(warnings: [Warning]) -> JSON {
        .object(jsonMembers + [.init("warnings", .array(warnings.map(\.json)))])
    }
}

extension AuditEvent {
    var json: JSON {
        let actorJSON: JSON
        switch actor {
        case .caller(let uid, let pid, let role):
            actorJSON = .object(["uid": .int(uid), "pid": .int(pid), "role": .string(role.rawValue)])
        case .system(let name):
            actorJSON = .object(["system": .string(name)])
        }
        return .object([
            "id": .int(id),
            "at": .date(at),
            "token_id": .optional(tokenID),
            "episode": episode.map { .int($0) } ?? .null,
            "action": .string(action.rawValue),
            "actor": actorJSON,
            "reason": .optional(reason),
            "provider_status": providerStatus.map { .int($0) } ?? .null,
            "provider_detail": .optional(providerDetail),
            "duration_ms": durationMillis.map { .int($0) } ?? .null,
            "attempt": attempt.map { .int($0) } ?? .null,
            "job_id": .optional(jobID),
        ])
    }
}

extension BulkJob {
    var json: JSON {
        .object([
            "id": .string(id),
            "state": .string(state),
            "created_at": .date(createdAt),
            "matched": .int(matched),
            "revoked": .int(revoked),
            "already_revoked": .int(alreadyRevoked),
            "failed": .int(failed),
            "forgotten": .int(forgotten),
            "pending": .int(pending),
            "reason": .optional(reason),
        ])
    }
}
