import Foundation
import TokendCore

/// The JSON Lines of `GET /v1/audit/export` (docs/audit.md, "Export"): one `event` line per audit row with
/// its hashes, then one `checkpoint` line per checkpoint that covers them, then an `end` line with both counts
/// (an export cut short is told apart from a complete one).
public enum ExportFormat {
    public enum Line: Sendable, Hashable {
        case event(ChainRow)
        case checkpoint(Checkpoint)
        case end(events: Int, checkpoints: Int)
    }

    public struct ParseError: Error, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    // MARK: Writing

    /// One line, newline-terminated. The actor is written with all four fields (nulls included) so the export
    /// carries every hashed column exactly.
    public static func encode(_ line: Line) -> String {
        var out = JSONLineWriter()
        switch line {
        case .event(let row):
            out.field("type", string: "event")
            out.field("id", int: row.id)
            out.field("at", string: Timestamp.format(Date(unixMillis: row.at)))
            out.field("token_id", string: row.tokenID)
            out.field("episode", int: row.episode)
            out.field("action", string: row.action)
            out.raw(",\"actor\":{")
            var actor = JSONLineWriter()
            actor.field("uid", int: row.actorUID)
            actor.field("pid", int: row.actorPID)
            actor.field("role", string: row.actorRole)
            actor.field("system", string: row.actorSystem)
            out.raw(actor.body)
            out.raw("}")
            out.field("reason", string: row.reason)
            out.field("provider_status", int: row.providerStatus)
            out.field("provider_detail", string: row.providerDetail)
            out.field("duration_ms", int: row.durationMillis)
            out.field("attempt", int: row.attempt)
            out.field("job_id", string: row.jobID)
            out.field("prev_hash", string: row.prevHash.map(Hex.encode))
            out.field("hash", string: row.hash.map(Hex.encode))
        case .checkpoint(let checkpoint):
            out.field("type", string: "checkpoint")
            out.fields(of: checkpoint)
        case .end(let events, let checkpoints):
            out.field("type", string: "end")
            out.field("events", int: Int64(events))
            out.field("checkpoints", int: Int64(checkpoints))
        }
        return "{" + out.body + "}\n"
    }

    /// The checkpoint object of the API (`GET /v1/audit/checkpoints`), without the braces' `type`.
    public static func json(_ checkpoint: Checkpoint) -> String {
        var out = JSONLineWriter()
        out.fields(of: checkpoint)
        return "{" + out.body + "}"
    }

    // MARK: Reading

    /// Parses a whole export. Throws on a line that is not one of the three kinds, on a missing or wrong `end`
    /// line (a truncated export) and on anything after it.
    public static func parse(_ data: Data) throws(ParseError) -> (rows: [ChainRow], checkpoints: [Checkpoint]) {
        var rows: [ChainRow] = []
        var checkpoints: [Checkpoint] = []
        var ended = false
        var number = 0
        for slice in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            if slice.isEmpty { continue }
            if ended { throw ParseError(line: number, message: "data after the end line") }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(slice))) as? [String: Any] else {
                throw ParseError(line: number, message: "not a JSON object (a truncated or damaged export)")
            }
            let reader = ObjectReader(object: object, line: number)
            switch try reader.string("type") {
            case "event": rows.append(try reader.row())
            case "checkpoint": checkpoints.append(try reader.checkpoint())
            case "end":
                guard try reader.int("events") == Int64(rows.count), try reader.int("checkpoints") == Int64(checkpoints.count)
                else {
                    throw ParseError(line: number, message: "the end line counts \(object["events"] ?? "?") events and \(object["checkpoints"] ?? "?") checkpoints, the export holds \(rows.count) and \(checkpoints.count)")
                }
                ended = true
            case let other?: throw ParseError(line: number, message: "unknown line type '\(other)'")
            case nil: throw ParseError(line: number, message: "no \"type\"")
            }
        }
        guard ended else { throw ParseError(line: number, message: "no end line: the export is truncated") }
        return (rows, checkpoints)
    }
}

/// Members of one exported JSON object, with the line number for errors.
private struct ObjectReader {
    var object: [String: Any]
    var line: Int

    func fail(_ key: String, _ what: String) -> ExportFormat.ParseError {
        ExportFormat.ParseError(line: line, message: "\"\(key)\" \(what)")
    }

    func string(_ key: String, in object: [String: Any]? = nil) throws(ExportFormat.ParseError) -> String? {
        let value = (object ?? self.object)[key]
        if value == nil || value is NSNull { return nil }
        guard let text = value as? String else { throw fail(key, "is not a string") }
        return text
    }

    func int(_ key: String, in object: [String: Any]? = nil) throws(ExportFormat.ParseError) -> Int64? {
        let value = (object ?? self.object)[key]
        if value == nil || value is NSNull { return nil }
        guard let number = value as? NSNumber, number.doubleValue == Double(number.int64Value) else { throw fail(key, "is not an integer") }
        return number.int64Value
    }

    func hash(_ key: String) throws(ExportFormat.ParseError) -> [UInt8]? {
        guard let text = try string(key) else { return nil }
        guard let bytes = Hex.decode(text) else { throw fail(key, "is not hexadecimal") }
        return bytes
    }

    func millis(_ key: String) throws(ExportFormat.ParseError) -> Int64 {
        guard let text = try string(key), let date = Timestamp.parse(text) else { throw fail(key, "is not an RFC 3339 time") }
        return date.unixMillis
    }

    func required<T>(_ value: T?, _ key: String) throws(ExportFormat.ParseError) -> T {
        guard let value else { throw fail(key, "is missing") }
        return value
    }

    func row() throws(ExportFormat.ParseError) -> ChainRow {
        guard let actor = object["actor"] as? [String: Any] else { throw fail("actor", "is not an object") }
        return ChainRow(
            id: try required(int("id"), "id"), at: try millis("at"), tokenID: try string("token_id"),
            episode: try int("episode"), action: try required(string("action"), "action"),
            actorUID: try int("uid", in: actor), actorPID: try int("pid", in: actor),
            actorRole: try string("role", in: actor), actorSystem: try string("system", in: actor),
            reason: try string("reason"), providerStatus: try int("provider_status"),
            providerDetail: try string("provider_detail"), durationMillis: try int("duration_ms"),
            attempt: try int("attempt"), jobID: try string("job_id"), prevHash: try hash("prev_hash"),
            hash: try hash("hash"))
    }

    func checkpoint() throws(ExportFormat.ParseError) -> Checkpoint {
        let kindText = try required(string("kind"), "kind")
        guard let kind = Checkpoint.Kind(rawValue: kindText) else { throw fail("kind", "is not a checkpoint kind") }
        return Checkpoint(
            id: try required(int("id"), "id"), auditID: try required(int("audit_id"), "audit_id"),
            hash: try required(hash("hash"), "hash"), at: try millis("at"), count: try required(int("count"), "count"),
            kind: kind, prunedThrough: try int("pruned_through"), prunedHash: try hash("pruned_hash"),
            signature: try required(hash("signature"), "signature"))
    }
}

/// Builds the members of a JSON object in a fixed order (the export is diffable and its bytes deterministic).
struct JSONLineWriter {
    private(set) var body = ""

    mutating func raw(_ text: String) { body += text }

    private mutating func key(_ name: String) {
        if !body.isEmpty { body += "," }
        body += "\"\(name)\":"
    }

    mutating func field(_ name: String, int value: Int64?) {
        key(name)
        body += value.map { String($0) } ?? "null"
    }

    mutating func field(_ name: String, string value: String?) {
        key(name)
        guard let value else { body += "null"; return }
        body += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": body += "\\\""
            case "\\": body += "\\\\"
            case "\n": body += "\\n"
            case "\r": body += "\\r"
            case "\t": body += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                body += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: body.unicodeScalars.append(scalar)
            }
        }
        body += "\""
    }

    mutating func fields(of checkpoint: Checkpoint) {
        field("id", int: checkpoint.id)
        field("audit_id", int: checkpoint.auditID)
        field("hash", string: Hex.encode(checkpoint.hash))
        field("at", string: Timestamp.format(Date(unixMillis: checkpoint.at)))
        field("count", int: checkpoint.count)
        field("kind", string: checkpoint.kind.rawValue)
        field("pruned_through", int: checkpoint.prunedThrough)
        field("pruned_hash", string: checkpoint.prunedHash.map(Hex.encode))
        field("signature", string: Hex.encode(checkpoint.signature))
    }
}
