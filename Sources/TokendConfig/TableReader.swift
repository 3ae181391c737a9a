import Foundation
import TOMLKit
import TokendCore

/// Reads one TOML table by hand: typed getters that name the dotted key in every error, and a check that
/// refuses keys the section does not know.
struct TableReader {
    let table: TOMLTable
    let path: ConfigPath
    let context: LoadContext

    /// Fails on the first key (in file order) that is not in `allowed`.
    func rejectUnknownKeys(allowed: Set<String>) throws(ConfigError) {
        let unknown = table.keys.filter { !allowed.contains($0) }
        let first = unknown.min { lhs, rhs in
            (context.locator.line(of: lhs, in: path) ?? .max, lhs) < (context.locator.line(of: rhs, in: path) ?? .max, rhs)
        }
        if let first { throw error("unknown key '\(path.dotted(first))'", key: first) }
    }

    func has(_ key: String) -> Bool { table[key] != nil }

    func error(_ message: String, key: String?) -> ConfigError {
        context.error(message, key: key, in: path)
    }

    private func wrongType(_ key: String, expected: String, got value: any TOMLValueConvertible) -> ConfigError {
        error("'\(path.dotted(key))' must be \(expected), not \(article(value.type.description))", key: key)
    }

    private func article(_ noun: String) -> String {
        let vowel = noun.first.map { "aeiou".contains($0) } ?? false
        return (vowel ? "an " : "a ") + noun
    }

    /// A required key's absence.
    func missing(_ key: String) -> ConfigError {
        ConfigError(
            file: context.file, line: context.locator.header(path), key: path.dotted(key),
            message: "missing required key '\(path.dotted(key))'")
    }

    func string(_ key: String) throws(ConfigError) -> String? {
        guard let value = table[key] else { return nil }
        guard let text = value.string else { throw wrongType(key, expected: "a string", got: value) }
        return text
    }

    func nonEmptyString(_ key: String) throws(ConfigError) -> String? {
        guard let text = try string(key) else { return nil }
        guard !text.trimmingSpaces().isEmpty else { throw error("'\(path.dotted(key))' must not be empty", key: key) }
        return text
    }

    func requiredString(_ key: String) throws(ConfigError) -> String {
        guard let text = try nonEmptyString(key) else { throw missing(key) }
        return text
    }

    func bool(_ key: String) throws(ConfigError) -> Bool? {
        guard let value = table[key] else { return nil }
        guard let flag = value.bool else { throw wrongType(key, expected: "true or false", got: value) }
        return flag
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int? {
        guard let value = table[key] else { return nil }
        guard let number = value.int else { throw wrongType(key, expected: "an integer", got: value) }
        guard range.contains(number) else {
            let bounds =
                range.upperBound == .max
                ? "at least \(range.lowerBound)" : "between \(range.lowerBound) and \(range.upperBound)"
            throw error("'\(path.dotted(key))' must be \(bounds) (got \(number))", key: key)
        }
        return number
    }

    /// A number (integer or float) strictly greater than zero.
    func positiveNumber(_ key: String) throws(ConfigError) -> Double? {
        guard let value = table[key] else { return nil }
        let number: Double
        if let double = value.double {
            number = double
        } else if let int = value.int {
            number = Double(int)
        } else {
            throw wrongType(key, expected: "a number", got: value)
        }
        guard number > 0, number.isFinite else {
            throw error("'\(path.dotted(key))' must be greater than 0 (got \(value.debugDescription))", key: key)
        }
        return number
    }

    /// A duration string (`10s`, `1h30m`); `allowZero` permits `0s`.
    func duration(_ key: String, allowZero: Bool = false) throws(ConfigError) -> Duration? {
        guard let value = table[key] else { return nil }
        guard let text = value.string else {
            throw wrongType(key, expected: "a duration string such as \"10s\"", got: value)
        }
        let duration: Duration
        do {
            duration = try DurationFormat.parse(text)
        } catch {
            throw self.error("'\(path.dotted(key))': \(error.description)", key: key)
        }
        if !allowZero && duration <= .zero {
            throw self.error("'\(path.dotted(key))' must be longer than 0 (got \"\(text)\")", key: key)
        }
        return duration
    }

    /// An array of non-empty strings.
    func stringArray(_ key: String) throws(ConfigError) -> [String]? {
        guard let value = table[key] else { return nil }
        guard let array = value.array else { throw wrongType(key, expected: "an array of strings", got: value) }
        var result: [String] = []
        for element in array {
            guard let text = element.string, !text.trimmingSpaces().isEmpty else {
                throw error("'\(path.dotted(key))' must be an array of non-empty strings", key: key)
            }
            result.append(text)
        }
        return result
    }
}
