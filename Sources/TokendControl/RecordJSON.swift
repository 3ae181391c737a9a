import Foundation
import TokendAudit
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
            .init("bound", boundJSON),
        ]
    }

    /// `null`, or `{"heartbeat_seconds", "last_heartbeat_at"}` for a bound token.
    var boundJSON: JSON {
        guard let bound else { return .null }
        return .object([
            .init("heartbeat_seconds", .int(bound.heartbeatSeconds)),
            .init("last_heartbeat_at", .date(bound.lastHeartbeatAt)),
        ])
    }

    /// Writes the same object as ``json`` straight into bytes (listings: no intermediate tree per record).
    func writeJSON(into out: inout [UInt8]) {
        func key(_ name: StaticString) {
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        }
        func string(_ value: String?) {
            if let value { JSON.writeString(value, into: &out) } else { out.append(contentsOf: "null".utf8) }
        }
        func date(_ value: Date?) { string(value.map(Timestamp.format)) }
        func comma() { out.append(UInt8(ascii: ",")) }
        out.append(UInt8(ascii: "{"))
        key("id"); string(id); comma()
        key("provider"); string(provider.rawValue); comma()
        key("account"); string(account); comma()
        key("owner"); string(owner); comma()
        key("labels")
        JSON.object(labels.sorted { $0.key < $1.key }.map { JSON.Member($0.key, .string($0.value)) }).write(into: &out)
        comma()
        key("state"); string(state.rawValue); comma()
        key("fingerprint"); string(fingerprint); comma()
        key("issued_at"); date(issuedAt); comma()
        key("expires_at"); date(expiresAt); comma()
        key("last_renewed_at"); date(lastRenewedAt); comma()
        key("registered_by_uid"); out.append(contentsOf: String(registeredByUID).utf8); comma()
        key("attempts"); out.append(contentsOf: String(attempts).utf8); comma()
        key("next_attempt_at"); date(nextAttemptAt); comma()
        key("last_error"); string(lastError); comma()
        key("revoked_at"); date(revokedAt); comma()
        key("revocation_reason"); string(revocationReason?.rawValue); comma()
        key("revocation_note"); string(revocationNote); comma()
        key("bound"); boundJSON.write(into: &out)
        out.append(UInt8(ascii: "}"))
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
            "prev_hash": .optional(prevHash.map(Hex.encode)),
            "hash": .optional(hash.map(Hex.encode)),
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
            "skipped": .int(skipped),
            "reason": .optional(reason),
        ])
    }
}
