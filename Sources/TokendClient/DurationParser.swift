import Foundation

/// Parses the CLI's durations: `8h`, `30m`, `10s`, `1d`, `2w`, `1h30m`, `1.5h`, or a bare number of seconds.
public enum DurationParser {
    private static let units: [String: Double] = [
        "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3_600, "d": 86_400, "w": 604_800,
    ]

    /// The duration in whole seconds.
    /// - Throws: ``UsageError`` for an empty, malformed, zero, negative or fractional-second duration.
    public static func seconds(_ text: String) throws -> Int {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw UsageError("empty duration") }
        if let whole = Int(trimmed) {
            guard whole > 0 else { throw UsageError("duration '\(text)' must be positive") }
            return whole
        }
        var total = 0.0
        var rest = Substring(trimmed)
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            let unit = rest.dropFirst(number.count).prefix { $0.isASCII && $0.isLetter }
            guard !number.isEmpty, let value = Double(number), let factor = units[unit.lowercased()] else {
                throw UsageError("invalid duration '\(text)' (use e.g. 90s, 30m, 8h, 1d, 1h30m)")
            }
            total += value * factor
            rest = rest.dropFirst(number.count + unit.count)
        }
        guard total >= 1 else { throw UsageError("duration '\(text)' must be at least 1s") }
        guard total == total.rounded(), total < Double(Int32.max) * 100 else {
            throw UsageError("duration '\(text)' must be a whole number of seconds")
        }
        return Int(total)
    }
}
