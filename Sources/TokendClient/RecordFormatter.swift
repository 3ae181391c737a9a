/// Human renderings of the API's JSON answers: aligned `key: value` blocks and table rows.
public enum RecordFormatter {
    /// The token record's fields in the contract's order; other fields follow alphabetically.
    public static let tokenFieldOrder = [
        "id", "provider", "account", "owner", "labels", "state", "fingerprint", "issued_at", "expires_at",
        "last_renewed_at", "registered_by_uid", "attempts", "next_attempt_at", "last_error", "revoked_at",
        "revocation_reason", "revocation_note",
    ]

    /// A bulk job's fields in reading order.
    public static let jobFieldOrder = [
        "id", "state", "matched", "revoked", "already_revoked", "failed", "pending",
    ]

    /// The status body's leading fields.
    public static let statusFieldOrder = ["version", "uptime_seconds", "uptime", "hold", "hold_reason"]

    /// Header of the token table.
    public static let tokenTableHeader = ["ID", "PROVIDER", "ACCOUNT", "OWNER", "STATE", "EXPIRES"]

    /// Header of the audit table.
    public static let auditTableHeader = ["ID", "AT", "TOKEN", "ACTION", "ACTOR", "DETAIL"]

    /// One row of the token table for a token record.
    public static func tokenRow(_ token: JSONValue) -> [String] {
        ["id", "provider", "account", "owner", "state", "expires_at"].map { token[$0]?.displayText ?? "-" }
    }

    /// One row of the audit table for an audit event.
    public static func auditRow(_ event: JSONValue) -> [String] {
        var detail: [String] = []
        if let attempt = event["attempt"], !attempt.isNull { detail.append("attempt \(attempt.displayText)") }
        if let status = event["provider_status"], !status.isNull { detail.append("HTTP \(status.displayText)") }
        if let text = event["provider_detail"], !text.isNull { detail.append(text.displayText) }
        if let ms = event["duration_ms"], !ms.isNull { detail.append("\(ms.displayText) ms") }
        if let reason = event["reason"], !reason.isNull { detail.append("reason: \(reason.displayText)") }
        return [
            event["id"]?.displayText ?? "-",
            event["at"]?.displayText ?? "-",
            event["token_id"]?.displayText ?? "-",
            event["action"]?.displayText ?? "-",
            actorText(event["actor"]),
            detail.isEmpty ? "-" : detail.joined(separator: "; "),
        ]
    }

    /// `uid 1000 (client, pid 4242)` or `scheduler` for an audit actor.
    public static func actorText(_ actor: JSONValue?) -> String {
        guard let actor, !actor.isNull else { return "-" }
        if let system = actor["system"]?.stringValue { return system }
        var text = "uid \(actor["uid"]?.displayText ?? "?")"
        var extra: [String] = []
        if let role = actor["role"]?.stringValue { extra.append(role) }
        if let pid = actor["pid"], !pid.isNull { extra.append("pid \(pid.displayText)") }
        if !extra.isEmpty { text += " (\(extra.joined(separator: ", ")))" }
        return text
    }

    /// Flattens an object into `(key, text)` lines: nested objects become dotted keys, arrays of
    /// objects `key[i].field`, `labels`-like string maps `k=v, …`, scalars their display text.
    /// Keys listed in `order` come first, in that order; the rest follow alphabetically. Keys in
    /// `omit` are skipped at the top level.
    public static func fields(_ value: JSONValue, order: [String] = [], omit: Set<String> = []) -> [(String, String)] {
        guard let members = value.objectValue else { return [("value", value.displayText)] }
        var out: [(String, String)] = []
        let keys = order.filter { members[$0] != nil } + members.keys.filter { !order.contains($0) }.sorted()
        for key in keys where !omit.contains(key) {
            if let member = members[key] { flatten(member, key: key, into: &out) }
        }
        return out
    }

    /// `fields(…)` rendered as aligned `key: value` lines, each ending in `\n`.
    public static func block(_ value: JSONValue, order: [String] = [], omit: Set<String> = []) -> String {
        let lines = fields(value, order: order, omit: omit)
        let width = lines.map(\.0.count).max() ?? 0
        return lines.map { key, text in
            "\(key):" + String(repeating: " ", count: width - key.count + 1) + text + "\n"
        }.joined()
    }

    private static func flatten(_ value: JSONValue, key: String, into out: inout [(String, String)]) {
        switch value {
        case .object(let members):
            if members.isEmpty {
                out.append((key, "-"))
            } else if members.values.allSatisfy({ $0.stringValue != nil }) && key.hasSuffix("labels") {
                let text = members.keys.sorted().map { "\($0)=\(members[$0]!.stringValue!)" }
                out.append((key, text.joined(separator: ", ")))
            } else {
                for member in members.keys.sorted() {
                    flatten(members[member]!, key: "\(key).\(member)", into: &out)
                }
            }
        case .array(let elements):
            if elements.isEmpty {
                out.append((key, "-"))
            } else if elements.allSatisfy({ $0.objectValue == nil && $0.arrayValue == nil }) {
                out.append((key, elements.map(\.displayText).joined(separator: ", ")))
            } else {
                for (index, element) in elements.enumerated() {
                    flatten(element, key: "\(key)[\(index)]", into: &out)
                }
            }
        default:
            out.append((key, value.displayText))
        }
    }

    /// The one-line progress of a bulk job, e.g.
    /// `job_1: running, 340/1000 settled (revoked 300, already revoked 20, failed 20, pending 660)`.
    public static func jobProgressLine(_ job: JSONValue) -> String {
        func number(_ key: String) -> Int { job[key]?.intValue ?? 0 }
        let settled = number("revoked") + number("already_revoked") + number("failed")
        let id = job["id"]?.displayText ?? "job"
        let state = job["state"]?.displayText ?? "?"
        return "\(id): \(state), \(settled)/\(number("matched")) settled (revoked \(number("revoked")), "
            + "already revoked \(number("already_revoked")), failed \(number("failed")), "
            + "pending \(number("pending")))"
    }

    /// Human text for a warning object `{"code", "message"}`: `<message> (<code>)`.
    public static func warningText(_ warning: JSONValue) -> String {
        if let message = warning["message"]?.stringValue {
            if let code = warning["code"]?.stringValue { return "\(message) (\(code))" }
            return message
        }
        return warning.displayText
    }
}
