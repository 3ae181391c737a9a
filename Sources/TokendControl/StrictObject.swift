import TokendCore
import Foundation

/// Reads the members of one JSON object and refuses anything unexpected: unknown keys, wrong types and
/// out-of-range values all throw a 400 ``APIError`` naming the field.
struct StrictObject {
    private let members: [String: JSON]
    private let path: String
    private var consumed = Set<String>()

    /// `value` must be an object; `path` prefixes field names in messages (`tokens[3].`).
    init(_ value: JSON, path: String = "") throws {
        guard case .object(let list) = value else {
            throw APIError.badRequest("\(path.isEmpty ? "body" : String(path.dropLast())) must be a JSON object, not \(value.typeName)")
        }
        var members: [String: JSON] = [:]
        for member in list { members[member.key] = member.value }
        self.members = members
        self.path = path
    }

    /// Fails on any key that no accessor asked for.
    func finish() throws {
        let unknown = members.keys.filter { !consumed.contains($0) }.sorted()
        if let first = unknown.first {
            throw APIError.badRequest("unknown field '\(path)\(first)'", field: path + first)
        }
    }

    private mutating func take(_ key: String) -> JSON? {
        consumed.insert(key)
        guard let value = members[key], value != .null else { return nil }
        return value
    }

    func typeError(_ key: String, _ expected: String, _ value: JSON) -> APIError {
        .badRequest("field '\(path)\(key)' must be \(expected), not \(value.typeName)", field: path + key)
    }

    func rangeError(_ key: String, _ message: String) -> APIError {
        .badRequest("field '\(path)\(key)' \(message)", field: path + key)
    }

    /// An optional string of at most `maxBytes` UTF-8 bytes (and at least `minBytes`).
    mutating func string(_ key: String, maxBytes: Int, minBytes: Int = 0) throws -> String? {
        guard let value = take(key) else { return nil }
        guard case .string(let text) = value else { throw typeError(key, "a string", value) }
        let count = text.utf8.count
        guard count >= minBytes else {
            throw rangeError(key, minBytes == 1 ? "must not be empty" : "must be at least \(minBytes) bytes")
        }
        guard count <= maxBytes else { throw rangeError(key, "must be at most \(maxBytes) bytes") }
        return text
    }

    /// A required string.
    mutating func requiredString(_ key: String, maxBytes: Int, minBytes: Int = 1) throws -> String {
        guard let text = try string(key, maxBytes: maxBytes, minBytes: minBytes) else {
            throw APIError.badRequest("field '\(path)\(key)' is required", field: path + key)
        }
        return text
    }

    /// An optional integer within `range`.
    mutating func int(_ key: String, in range: ClosedRange<Int64>) throws -> Int64? {
        guard let value = take(key) else { return nil }
        guard case .number(let text) = value else { throw typeError(key, "an integer", value) }
        guard let number = Int64(text) else {
            if text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { throw typeError(key, "an integer", value) }
            throw rangeError(key, "must be between \(range.lowerBound) and \(range.upperBound)")
        }
        guard range.contains(number) else {
            throw rangeError(key, "must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return number
    }

    /// An optional boolean.
    mutating func bool(_ key: String) throws -> Bool? {
        guard let value = take(key) else { return nil }
        guard case .bool(let flag) = value else { throw typeError(key, "a boolean", value) }
        return flag
    }

    /// An optional RFC 3339 timestamp.
    mutating func timestamp(_ key: String) throws -> Date? {
        guard let value = take(key) else { return nil }
        guard case .string(let text) = value else { throw typeError(key, "an RFC 3339 timestamp string", value) }
        guard let date = Timestamp.parse(text) else {
            throw rangeError(key, "must be an RFC 3339 timestamp such as 2026-01-02T03:04:05Z")
        }
        return date
    }

    /// An optional nested object.
    mutating func object(_ key: String) throws -> StrictObject? {
        guard let value = take(key) else { return nil }
        guard case .object = value else { throw typeError(key, "an object", value) }
        return try StrictObject(value, path: path + key + ".")
    }

    /// An optional array.
    mutating func array(_ key: String) throws -> [JSON]? {
        guard let value = take(key) else { return nil }
        guard case .array(let items) = value else { throw typeError(key, "an array", value) }
        return items
    }

    /// An optional label map: at most 64 entries, keys 1…256 bytes without `:`, values ≤ 256 bytes.
    mutating func labels(_ key: String) throws -> [String: String]? {
        guard let value = take(key) else { return nil }
        guard case .object(let members) = value else { throw typeError(key, "an object of strings", value) }
        guard members.count <= InputLimits.maxLabels else {
            throw rangeError(key, "may have at most \(InputLimits.maxLabels) entries")
        }
        var labels: [String: String] = [:]
        for member in members {
            try InputLimits.checkLabelKey(member.key, field: path + key)
            guard case .string(let text) = member.value else {
                throw APIError.badRequest(
                    "label '\(member.key)' must be a string, not \(member.value.typeName)", field: path + key)
            }
            guard text.utf8.count <= InputLimits.maxLabelBytes else {
                throw APIError.badRequest(
                    "label '\(member.key)' value must be at most \(InputLimits.maxLabelBytes) bytes", field: path + key)
            }
            labels[member.key] = text
        }
        return labels
    }
}

/// Size limits of request fields.
enum InputLimits {
    static let maxTokenBytes = 8_192
    static let maxOwnerBytes = 256
    static let maxAccountBytes = 256
    static let maxLabels = 64
    static let maxLabelBytes = 256
    static let maxReasonBytes = 1_024
    /// About 100 years: anything longer is a mistake, not a long TTL (it is also clamped to `max_ttl`).
    static let maxTTLSeconds: Int64 = 3_153_600_000
    static let maxBatch = 1_000
    static let maxWaitSeconds: Int64 = 300
    static let defaultWaitSeconds: Int64 = 30

    static func checkLabelKey(_ key: String, field: String) throws {
        guard !key.isEmpty, key.utf8.count <= maxLabelBytes else {
            throw APIError.badRequest("label keys must be 1 to \(maxLabelBytes) bytes", field: field)
        }
        guard !key.contains(":") else {
            throw APIError.badRequest("label key '\(key)' must not contain ':'", field: field)
        }
    }
}
