/// An audit row as journald structured fields (`audit.syslog = true`): `TOKEND_AUDIT_*` plus `MESSAGE`, so that
/// `journalctl -o json SYSLOG_IDENTIFIER=tokend-audit` hands a SIEM the same fields, hashes included, that
/// `tokenctl audit export` does. Absent (null) fields are left out.
public enum JournalFields {
    public static let identifier = "tokend-audit"

    /// The fields of `row`, in a fixed order; `MESSAGE` is a one-line summary for people.
    public static func fields(_ row: ChainRow) -> [(name: String, value: String)] {
        var fields: [(String, String)] = [
            ("MESSAGE", message(row)), ("PRIORITY", "6"), ("SYSLOG_IDENTIFIER", identifier),
            ("TOKEND_AUDIT_ID", String(row.id)), ("TOKEND_AUDIT_AT_MS", String(row.at)),
            ("TOKEND_AUDIT_ACTION", row.action),
        ]
        func add(_ name: String, _ value: String?) { if let value { fields.append((name, value)) } }
        add("TOKEND_AUDIT_TOKEN_ID", row.tokenID)
        add("TOKEND_AUDIT_EPISODE", row.episode.map(String.init))
        add("TOKEND_AUDIT_ACTOR_UID", row.actorUID.map(String.init))
        add("TOKEND_AUDIT_ACTOR_PID", row.actorPID.map(String.init))
        add("TOKEND_AUDIT_ACTOR_ROLE", row.actorRole)
        add("TOKEND_AUDIT_ACTOR_SYSTEM", row.actorSystem)
        add("TOKEND_AUDIT_REASON", row.reason)
        add("TOKEND_AUDIT_PROVIDER_STATUS", row.providerStatus.map(String.init))
        add("TOKEND_AUDIT_PROVIDER_DETAIL", row.providerDetail)
        add("TOKEND_AUDIT_DURATION_MS", row.durationMillis.map(String.init))
        add("TOKEND_AUDIT_ATTEMPT", row.attempt.map(String.init))
        add("TOKEND_AUDIT_JOB_ID", row.jobID)
        add("TOKEND_AUDIT_PREV_HASH", row.prevHash.map { Hex.encode($0) })
        add("TOKEND_AUDIT_HASH", row.hash.map { Hex.encode($0) })
        return fields
    }

    /// `audit #12 revoked tok_… by system:scheduler` and the like.
    public static func message(_ row: ChainRow) -> String {
        var text = "audit #\(row.id) \(row.action)"
        if let token = row.tokenID { text += " \(token)" }
        if let system = row.actorSystem {
            text += " by system:\(system)"
        } else if let uid = row.actorUID {
            text += " by uid \(uid)" + (row.actorRole.map { " (\($0))" } ?? "")
        }
        if let reason = row.reason { text += ": \(reason)" }
        return text.replacingOccurrences(of: "\n", with: " ")
    }

    /// journald's native datagram (systemd.journal-fields(7), "Native protocol"): `NAME=value\n`, or for a
    /// value with a newline `NAME\n`, its length as 64-bit little-endian, the bytes, `\n`.
    public static func datagram(_ fields: [(name: String, value: String)]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(512)
        for (name, value) in fields {
            bytes += Array(name.utf8)
            let utf8 = Array(value.utf8)
            if utf8.contains(0x0A) {
                bytes.append(0x0A)
                withUnsafeBytes(of: UInt64(utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
            } else {
                bytes.append(UInt8(ascii: "="))
            }
            bytes += utf8
            bytes.append(0x0A)
        }
        return bytes
    }
}
