/// Parses and prints the config file's durations: `500ms`, `10s`, `15m`, `8h`, `30d`, or sums like `1h30m`.
public enum DurationFormat {
    /// Why a duration string was refused.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public let input: String
        public var description: String {
            "invalid duration '\(input)' (expected a number with a unit ms, s, m, h or d, e.g. \"10s\" or \"1h30m\")"
        }
    }

    /// Parses `text` into a duration. Rejects empty strings, missing units, negative values and overflow.
    public static func parse(_ text: String) throws(ParseError) -> Duration {
        let input = text.trimmingWhitespace()
        var rest = Substring(input)
        guard !rest.isEmpty else { throw ParseError(input: text) }
        var totalMillis: Int64 = 0
        while !rest.isEmpty {
            let digits = rest.prefix(while: { $0.isASCII && ($0.isNumber || $0 == ".") })
            guard !digits.isEmpty, let value = Double(digits), value.isFinite, value >= 0 else {
                throw ParseError(input: text)
            }
            rest = rest.dropFirst(digits.count)
            let unit = rest.prefix(while: { $0.isASCII && $0.isLetter })
            rest = rest.dropFirst(unit.count)
            let factor: Double
            switch unit {
            case "ms": factor = 1
            case "s": factor = 1_000
            case "m": factor = 60_000
            case "h": factor = 3_600_000
            case "d": factor = 86_400_000
            default: throw ParseError(input: text)
            }
            let millis = value * factor
            guard millis < 9.0e15 else { throw ParseError(input: text) }
            totalMillis += Int64(millis.rounded())
            guard totalMillis < 9_000_000_000_000_000 / 1_000 else { throw ParseError(input: text) }
        }
        return .milliseconds(totalMillis)
    }

    /// Prints a duration in the largest unit that represents it exactly (`90s` → `90s`, `3600s` → `1h`).
    public static func format(_ duration: Duration) -> String {
        let ms = duration.milliseconds
        for (unit, size) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1_000)]
        where ms != 0 && ms % size == 0 {
            return "\(ms / size)\(unit)"
        }
        return "\(ms)ms"
    }
}

extension Duration {
    /// Whole milliseconds (truncated).
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }

    /// Seconds as a floating-point value.
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars = scalars.dropFirst() }
        while let last = scalars.last, last.isWhitespace { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
