import TokendCore

/// Writes TOML text line by line, quoting strings per the TOML spec.
struct TOMLWriter {
    private(set) var text = ""

    mutating func section(_ name: String) { header("[\(name)]") }
    mutating func arraySection(_ name: String) { header("[[\(name)]]") }

    private mutating func header(_ line: String) {
        if !text.isEmpty { text += "\n" }
        text += line + "\n"
    }

    mutating func comment(_ line: String) { text += "# \(line)\n" }
    mutating func string(_ key: String, _ value: String) { text += "\(key) = \(Self.quote(value))\n" }
    mutating func strings(_ key: String, _ values: [String]) {
        text += "\(key) = [" + values.map(Self.quote).joined(separator: ", ") + "]\n"
    }
    mutating func redacted(_ key: String) { string(key, "<redacted>") }
    mutating func int(_ key: String, _ value: Int) { text += "\(key) = \(value)\n" }
    mutating func bool(_ key: String, _ value: Bool) { text += "\(key) = \(value)\n" }
    mutating func duration(_ key: String, _ value: Duration) { string(key, DurationFormat.format(value)) }
    mutating func number(_ key: String, _ value: Double) {
        if value == value.rounded(), abs(value) < 1e15 {
            text += "\(key) = \(Int64(value))\n"
        } else {
            text += "\(key) = \(value)\n"
        }
    }

    /// A TOML basic string.
    static func quote(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16, uppercase: true)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
