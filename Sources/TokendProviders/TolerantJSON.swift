/// A small RFC 8259 reader for provider replies: depth-limited, never traps, returns `nil` on anything
/// it cannot read (HTML, truncated bodies). A UTF-8 BOM and surrounding whitespace are accepted.
public enum TolerantJSON {
    /// Deepest nesting of arrays and objects accepted.
    public static let maxDepth = 64

    /// Parses one JSON value filling the whole input (whitespace aside).
    public static func parse(_ bytes: [UInt8]) -> JSONValue? {
        var reader = Reader(bytes: bytes)
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { reader.pos = 3 }
        reader.skipSpace()
        guard let value = reader.value(depth: 0) else { return nil }
        reader.skipSpace()
        return reader.pos == bytes.count ? value : nil
    }

    struct Reader {
        let bytes: [UInt8]
        var pos = 0

        mutating func skipSpace() {
            while pos < bytes.count {
                switch bytes[pos] {
                case 0x20, 0x0A, 0x0D, 0x09: pos += 1
                default: return
                }
            }
        }

        mutating func value(depth: Int) -> JSONValue? {
            guard depth <= TolerantJSON.maxDepth, pos < bytes.count else { return nil }
            switch bytes[pos] {
            case UInt8(ascii: "{"): return object(depth: depth + 1)
            case UInt8(ascii: "["): return array(depth: depth + 1)
            case UInt8(ascii: "\""): return string().map(JSONValue.string)
            case UInt8(ascii: "t"): return literal("true", .bool(true))
            case UInt8(ascii: "f"): return literal("false", .bool(false))
            case UInt8(ascii: "n"): return literal("null", .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return number()
            default: return nil
            }
        }

        mutating func literal(_ word: StaticString, _ result: JSONValue) -> JSONValue? {
            let count = word.utf8CodeUnitCount
            guard pos + count <= bytes.count else { return nil }
            let matches = word.withUTF8Buffer { buffer in
                (0..<count).allSatisfy { bytes[pos + $0] == buffer[$0] }
            }
            guard matches else { return nil }
            pos += count
            return result
        }

        mutating func number() -> JSONValue? {
            let start = pos
            while pos < bytes.count {
                switch bytes[pos] {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."),
                    UInt8(ascii: "e"), UInt8(ascii: "E"):
                    pos += 1
                default:
                    return .number(String(decoding: bytes[start..<pos], as: UTF8.self))
                }
            }
            return .number(String(decoding: bytes[start..<pos], as: UTF8.self))
        }

        mutating func object(depth: Int) -> JSONValue? {
            pos += 1
            var members: [JSONMember] = []
            skipSpace()
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") {
                pos += 1
                return .object(members)
            }
            while true {
                skipSpace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\""), let key = string() else { return nil }
                skipSpace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { return nil }
                pos += 1
                skipSpace()
                guard let member = value(depth: depth) else { return nil }
                members.append(JSONMember(key: key, value: member))
                skipSpace()
                guard pos < bytes.count else { return nil }
                if bytes[pos] == UInt8(ascii: ",") {
                    pos += 1
                } else if bytes[pos] == UInt8(ascii: "}") {
                    pos += 1
                    return .object(members)
                } else {
                    return nil
                }
            }
        }

        mutating func array(depth: Int) -> JSONValue? {
            pos += 1
            var elements: [JSONValue] = []
            skipSpace()
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") {
                pos += 1
                return .array(elements)
            }
            while true {
                skipSpace()
                guard let element = value(depth: depth) else { return nil }
                elements.append(element)
                skipSpace()
                guard pos < bytes.count else { return nil }
                if bytes[pos] == UInt8(ascii: ",") {
                    pos += 1
                } else if bytes[pos] == UInt8(ascii: "]") {
                    pos += 1
                    return .array(elements)
                } else {
                    return nil
                }
            }
        }

        /// Reads a string literal starting at its opening quote.
        mutating func string() -> String? {
            pos += 1
            var out: [UInt8] = []
            while pos < bytes.count {
                let byte = bytes[pos]
                pos += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard pos < bytes.count else { return nil }
                    let escape = bytes[pos]
                    pos += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        guard var scalar = hex4() else { return nil }
                        if (0xD800..<0xDC00).contains(scalar), pos + 1 < bytes.count,
                            bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u")
                        {
                            let save = pos
                            pos += 2
                            if let low = hex4(), (0xDC00..<0xE000).contains(low) {
                                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                            } else {
                                pos = save
                            }
                        }
                        let character = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                        out.append(contentsOf: Array(String(character).utf8))
                    default:
                        return nil
                    }
                default:
                    out.append(byte)
                }
            }
            return nil
        }

        mutating func hex4() -> UInt32? {
            guard pos + 4 <= bytes.count else { return nil }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[pos]
                let digit: UInt32
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
                default: return nil
                }
                value = value << 4 | digit
                pos += 1
            }
            return value
        }
    }
}
