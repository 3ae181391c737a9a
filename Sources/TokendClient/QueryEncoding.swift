/// Percent-encoding for request targets (RFC 3986).
public enum QueryEncoding {
    /// Bytes that never need escaping: ALPHA / DIGIT / "-" / "." / "_" / "~".
    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Escapes everything but unreserved characters (UTF-8, upper-case hex), so the result is safe as a
    /// query name, a query value or a single path segment: `"a b&c"` → `"a%20b%26c"`.
    public static func escape(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if isUnreserved(byte) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `name=value&name=value` with both sides escaped, in the given order (repeated names allowed).
    /// Empty input gives an empty string.
    public static func queryString(_ items: [(String, String)]) -> String {
        items.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    /// `path` followed by `?query` when `items` is not empty.
    public static func target(path: String, query items: [(String, String)]) -> String {
        items.isEmpty ? path : "\(path)?\(queryString(items))"
    }
}
