import Foundation

/// The short, person-oriented rendering of `GET /v1/status` that `tokenctl status` prints (in the manner of
/// `systemctl status`): state and hold, uptime, backlog, one line per provider account, counts by state, and —
/// when the daemon reports them — the store and the cluster's instances. Every key is in `--verbose`/`--json`.
public enum StatusSummary {
    /// The summary, each line ending in `\n`. Missing fields are left out rather than guessed.
    public static func render(_ status: JSONValue) -> String {
        var lines: [(String, String)] = []
        let held = status["hold"] == .bool(true)
        var state = held ? "held" : "running"
        if held, let reason = status["hold_reason"]?.stringValue { state += " (\(reason))" }
        if let store = status["store"]?.stringValue { state += ", store \(store)" }
        lines.append(("State", state))
        if let version = status["version"]?.stringValue { lines.append(("Version", version)) }
        if let seconds = number(status["uptime_seconds"]) {
            var uptime = duration(seconds)
            if let since = status["started_at"]?.stringValue { uptime += " (since \(since))" }
            lines.append(("Uptime", uptime))
        }
        if let backlog = status["backlog"] {
            var text = "\(backlog["due_now"]?.intValue ?? 0) due now"
            if let oldest = number(backlog["oldest_overdue_seconds"]) { text += ", oldest overdue \(duration(oldest))" }
            lines.append(("Backlog", text))
        }
        if let counts = status["counts"]?["by_state"]?.objectValue {
            let order = ["active", "revoking", "revoked", "already_revoked", "failed", "forgotten"]
            let keys = order.filter { counts[$0] != nil } + counts.keys.filter { !order.contains($0) }.sorted()
            var text = keys.map { "\($0) \(counts[$0]?.intValue ?? 0)" }.joined(separator: ", ")
            if let quarantined = status["counts"]?["quarantined"]?.intValue, quarantined > 0 {
                text += "; quarantined \(quarantined)"
            }
            lines.append(("Tokens", text))
        }
        let width = lines.map(\.0.count).max() ?? 0
        var out = lines.map { String(repeating: " ", count: width - $0.0.count) + "\($0.0): \($0.1)\n" }.joined()
        if let providers = status["providers"]?.arrayValue, !providers.isEmpty {
            out += "Providers:\n" + table(providers.map(providerRow))
        }
        if let instances = status["instances"]?.arrayValue, !instances.isEmpty {
            out += "Instances:\n" + table(instances.map(instanceRow))
        }
        return out
    }

    /// `fogbugz/acme  ok  in flight 0  last success …` (health from the recent error rate).
    static func providerRow(_ provider: JSONValue) -> [String] {
        let name = "\(provider["provider"]?.displayText ?? "?")/\(provider["account"]?.displayText ?? "?")"
        let rate = number(provider["recent_error_rate"]) ?? 0
        let hasSuccess = provider["last_success_at"]?.stringValue != nil
        let hasError = provider["last_error_at"]?.stringValue != nil
        let health: String
        switch rate {
        case _ where !hasSuccess && !hasError: health = "idle"
        case 0: health = "ok"
        case ..<0.5: health = "degraded (\(Int((rate * 100).rounded()))% errors)"
        default: health = "failing (\(Int((rate * 100).rounded()))% errors)"
        }
        var row = [name, health, "in flight \(provider["in_flight"]?.intValue ?? 0)"]
        if let error = provider["last_error"]?.stringValue, rate > 0 {
            row.append("last error: \(error)")
        } else if let success = provider["last_success_at"]?.stringValue {
            row.append("last success \(success)")
        }
        return row
    }

    /// `host:pid  in flight N  heartbeat …  started …`.
    static func instanceRow(_ instance: JSONValue) -> [String] {
        var row = [
            "\(instance["host"]?.displayText ?? "?"):\(instance["pid"]?.displayText ?? "?")",
            "in flight \(instance["in_flight"]?.intValue ?? 0)",
        ]
        if let beat = instance["last_heartbeat_at"]?.stringValue { row.append("heartbeat \(beat)") }
        if let started = instance["started_at"]?.stringValue { row.append("started \(started)") }
        return row
    }

    /// Rows indented by two spaces, columns padded to their widest cell (the last one is not padded).
    static func table(_ rows: [[String]]) -> String {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            "  " + row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }.joined(separator: "  ") + "\n"
        }.joined()
    }

    /// `3d 4h`, `2h 5m`, `4m 10s`, `12s`: the two largest units.
    public static func duration(_ seconds: Double) -> String {
        let total = max(0, Int(seconds.rounded(.down)))
        let parts = [(total / 86_400, "d"), (total % 86_400 / 3_600, "h"), (total % 3_600 / 60, "m"), (total % 60, "s")]
        guard let first = parts.firstIndex(where: { $0.0 > 0 }) else { return "0s" }
        return parts[first...].prefix(2).filter { $0.0 > 0 }.map { "\($0.0)\($0.1)" }.joined(separator: " ")
    }

    static func number(_ value: JSONValue?) -> Double? {
        guard let value else { return nil }
        switch value {
        case .integer(let number): return Double(number)
        case .number(let number): return number
        default: return nil
        }
    }
}
