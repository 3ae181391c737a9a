/// Parses label arguments: `k=v` for registration and bulk filters, `k:v` (or `k=v`) for list filters.
public enum LabelParser {
    /// Splits `text` at the first `separator` (`=` or `:`).
    /// - Throws: ``UsageError`` when there is no separator or the key is empty.
    public static func pair(_ text: String, separators: [Character] = ["="]) throws -> (key: String, value: String) {
        guard let index = text.firstIndex(where: { separators.contains($0) }) else {
            let shape = separators.map { "k\($0)v" }.joined(separator: " or ")
            throw UsageError("invalid label '\(text)' (expected \(shape))")
        }
        let key = String(text[..<index])
        guard !key.isEmpty else { throw UsageError("invalid label '\(text)': empty key") }
        return (key, String(text[text.index(after: index)...]))
    }

    /// A label map from repeated `k=v` arguments; a repeated key is an error.
    public static func map(_ items: [String]) throws -> [String: String] {
        var labels: [String: String] = [:]
        for item in items {
            let (key, value) = try pair(item)
            guard labels[key] == nil else { throw UsageError("label '\(key)' given twice") }
            labels[key] = value
        }
        return labels
    }

    /// The list query's form `k:v` from `k:v` or `k=v` (whichever separator comes first).
    public static func listFilter(_ text: String) throws -> String {
        let (key, value) = try pair(text, separators: [":", "="])
        return "\(key):\(value)"
    }
}
