import Foundation
import Hummingbird
import TokendCore

/// Strict query-string reading: unknown parameters, repeated single-valued parameters and bad values are 400.
struct QueryParameters {
    private var values: [String: [String]] = [:]
    private var consumed = Set<String>()

    init(_ request: Request) {
        for (key, value) in request.uri.queryParameters {
            values[String(key), default: []].append(String(value))
        }
    }

    func finish() throws {
        if let unknown = values.keys.filter({ !consumed.contains($0) }).sorted().first {
            throw APIError.badRequest("unknown query parameter '\(unknown)'", field: unknown)
        }
    }

    mutating func all(_ key: String) -> [String] {
        consumed.insert(key)
        return values[key] ?? []
    }

    mutating func string(_ key: String, maxBytes: Int = 256) throws -> String? {
        let list = all(key)
        guard let value = list.first else { return nil }
        guard list.count == 1 else { throw APIError.badRequest("query parameter '\(key)' may appear once", field: key) }
        guard !value.isEmpty, value.utf8.count <= maxBytes else {
            throw APIError.badRequest("query parameter '\(key)' must be 1 to \(maxBytes) bytes", field: key)
        }
        return value
    }

    mutating func int(_ key: String, in range: ClosedRange<Int64>) throws -> Int64? {
        guard let text = try string(key, maxBytes: 32) else { return nil }
        guard let value = Int64(text), range.contains(value) else {
            throw APIError.badRequest(
                "query parameter '\(key)' must be an integer from \(range.lowerBound) to \(range.upperBound)", field: key)
        }
        return value
    }

    mutating func timestamp(_ key: String) throws -> Date? {
        guard let text = try string(key, maxBytes: 40) else { return nil }
        guard let date = Timestamp.parse(text) else {
            throw APIError.badRequest("query parameter '\(key)' must be an RFC 3339 timestamp", field: key)
        }
        return date
    }

    mutating func provider() throws -> ProviderKind? {
        guard let text = try string("provider", maxBytes: 32) else { return nil }
        guard let provider = ProviderKind(rawValue: text) else {
            throw APIError.badRequest("unknown provider '\(text)'", field: "provider")
        }
        return provider
    }

    mutating func states() throws -> [TokenState] {
        try all("state").map { text throws in
            guard let state = TokenState(rawValue: text) else {
                throw APIError.badRequest(
                    "unknown state '\(text)' (expected one of: \(TokenState.allCases.map(\.rawValue).joined(separator: ", ")))",
                    field: "state")
            }
            return state
        }
    }

    /// `label=k:v`, repeatable (AND).
    mutating func labels() throws -> [String: String] {
        var labels: [String: String] = [:]
        for text in all("label") {
            guard let colon = text.firstIndex(of: ":") else {
                throw APIError.badRequest("query parameter 'label' must be 'key:value'", field: "label")
            }
            let key = String(text[..<colon])
            let value = String(text[text.index(after: colon)...])
            try InputLimits.checkLabelKey(key, field: "label")
            guard value.utf8.count <= InputLimits.maxLabelBytes else {
                throw APIError.badRequest("label values must be at most \(InputLimits.maxLabelBytes) bytes", field: "label")
            }
            if let existing = labels[key], existing != value {
                throw APIError.badRequest("label '\(key)' given twice with different values", field: "label")
            }
            labels[key] = value
        }
        guard labels.count <= InputLimits.maxLabels else {
            throw APIError.badRequest("at most \(InputLimits.maxLabels) label filters", field: "label")
        }
        return labels
    }
}
