/// A small, forgiving, non-validating XML reader for provider replies.
///
/// Why hand-written rather than FoundationXML: `XMLParser` links the system libxml2 at run time, whose
/// DTD and entity handling we would have to switch off and trust; provider replies are tiny and flat.
/// This reader never expands entities other than the five predefined ones and numeric references,
/// skips DOCTYPE declarations without interpreting them (no DTD, no external entities), limits nesting
/// depth, and returns `nil` instead of failing loudly. It accepts a UTF-8 BOM, leading whitespace,
/// single- or double-quoted declarations and attributes, comments, processing instructions, CDATA,
/// namespace prefixes, and ignores anything after the root element.
public enum TolerantXML {
    /// Deepest element nesting accepted.
    public static let maxDepth = 32

    /// Parses `bytes` and returns the root element, or `nil` if the input is not a well-formed-enough document.
    public static func parse(_ bytes: [UInt8]) -> XMLNode? {
        var reader = Reader(bytes: bytes)
        return reader.document()
    }

    static func trim(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let start = scalars.firstIndex(where: { !isSpace($0) }) else { return "" }
        let end = scalars.lastIndex(where: { !isSpace($0) })!
        return String(scalars[start...end])
    }

    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\n" || scalar == "\r" || scalar == "\t"
    }

    struct Reader {
        let bytes: [UInt8]
        var pos = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func document() -> XMLNode? {
            if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { pos = 3 }
            while true {
                skipSpace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: "<") else { return nil }
                if starts(with: "<?") {
                    guard skip(past: "?>") else { return nil }
                } else if starts(with: "<!--") {
                    guard skip(past: "-->") else { return nil }
                } else if starts(with: "<!") {
                    guard skipDeclaration() else { return nil }
                } else {
                    pos += 1
                    return element(depth: 1)
                }
            }
        }

        // MARK: elements

        /// Reads an element whose `<` has been consumed.
        mutating func element(depth: Int) -> XMLNode? {
            guard depth <= TolerantXML.maxDepth else { return nil }
            let rawName = name()
            guard !rawName.isEmpty else { return nil }
            var node = XMLNode(name: Self.localName(rawName))
            // Attributes.
            while true {
                skipSpace()
                guard pos < bytes.count else { return nil }
                let byte = bytes[pos]
                if byte == UInt8(ascii: "/") {
                    guard pos + 1 < bytes.count, bytes[pos + 1] == UInt8(ascii: ">") else { return nil }
                    pos += 2
                    return node
                }
                if byte == UInt8(ascii: ">") {
                    pos += 1
                    break
                }
                let attrName = name()
                guard !attrName.isEmpty else { return nil }
                skipSpace()
                var value = ""
                if pos < bytes.count, bytes[pos] == UInt8(ascii: "=") {
                    pos += 1
                    skipSpace()
                    guard pos < bytes.count else { return nil }
                    let quote = bytes[pos]
                    guard quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else { return nil }
                    pos += 1
                    guard let close = find(quote) else { return nil }
                    value = Self.decodeEntities(bytes[pos..<close])
                    pos = close + 1
                }
                node.attributes.append(HeaderField(Self.localName(attrName), value))
            }
            // Content.
            var text: [UInt8] = []
            while true {
                guard pos < bytes.count else { return nil }
                if bytes[pos] != UInt8(ascii: "<") {
                    let end = find(UInt8(ascii: "<")) ?? bytes.count
                    text.append(contentsOf: Array(Self.decodeEntities(bytes[pos..<end]).utf8))
                    pos = end
                    continue
                }
                if starts(with: "</") {
                    pos += 2
                    let closing = name()
                    skipSpace()
                    guard closing == rawName, pos < bytes.count, bytes[pos] == UInt8(ascii: ">") else { return nil }
                    pos += 1
                    node.text = String(decoding: text, as: UTF8.self)
                    return node
                } else if starts(with: "<![CDATA[") {
                    pos += 9
                    guard let end = find(sequence: Array("]]>".utf8)) else { return nil }
                    text.append(contentsOf: bytes[pos..<end])
                    pos = end + 3
                } else if starts(with: "<!--") {
                    guard skip(past: "-->") else { return nil }
                } else if starts(with: "<?") {
                    guard skip(past: "?>") else { return nil }
                } else if starts(with: "<!") {
                    return nil
                } else {
                    pos += 1
                    guard let child = element(depth: depth + 1) else { return nil }
                    node.children.append(child)
                }
            }
        }

        /// Reads a name: everything up to whitespace, `/`, `>`, `<`, `=` or a quote.
        mutating func name() -> String {
            let start = pos
            while pos < bytes.count {
                switch bytes[pos] {
                case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"),
                    UInt8(ascii: "/"), UInt8(ascii: ">"), UInt8(ascii: "<"), UInt8(ascii: "="),
                    UInt8(ascii: "\""), UInt8(ascii: "'"):
                    return String(decoding: bytes[start..<pos], as: UTF8.self)
                default:
                    pos += 1
                }
            }
            return String(decoding: bytes[start..<pos], as: UTF8.self)
        }

        // MARK: skipping

        mutating func skipSpace() {
            while pos < bytes.count {
                switch bytes[pos] {
                case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): pos += 1
                default: return
                }
            }
        }

        func starts(with literal: StaticString) -> Bool {
            let count = literal.utf8CodeUnitCount
            guard pos + count <= bytes.count else { return false }
            return literal.withUTF8Buffer { buffer in
                for index in 0..<count where bytes[pos + index] != buffer[index] { return false }
                return true
            }
        }

        mutating func skip(past literal: StaticString) -> Bool {
            let needle = literal.withUTF8Buffer { Array($0) }
            guard let found = find(sequence: needle) else { return false }
            pos = found + needle.count
            return true
        }

        /// Skips `<!DOCTYPE …>` (or any `<!…>` in the prolog), internal subset included, without interpreting it.
        mutating func skipDeclaration() -> Bool {
            var bracketDepth = 0
            var quote: UInt8? = nil
            pos += 2
            while pos < bytes.count {
                let byte = bytes[pos]
                pos += 1
                if let open = quote {
                    if byte == open { quote = nil }
                    continue
                }
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "'"): quote = byte
                case UInt8(ascii: "["): bracketDepth += 1
                case UInt8(ascii: "]"): bracketDepth = max(0, bracketDepth - 1)
                case UInt8(ascii: ">") where bracketDepth == 0: return true
                default: break
                }
            }
            return false
        }

        func find(_ byte: UInt8) -> Int? {
            var index = pos
            while index < bytes.count {
                if bytes[index] == byte { return index }
                index += 1
            }
            return nil
        }

        func find(sequence needle: [UInt8]) -> Int? {
            guard !needle.isEmpty, bytes.count >= needle.count else { return nil }
            var index = pos
            let last = bytes.count - needle.count
            outer: while index <= last {
                for offset in 0..<needle.count where bytes[index + offset] != needle[offset] {
                    index += 1
                    continue outer
                }
                return index
            }
            return nil
        }

        // MARK: text

        static func localName(_ raw: String) -> String {
            guard let colon = raw.lastIndex(of: ":") else { return raw }
            return String(raw[raw.index(after: colon)...])
        }

        /// Decodes `&amp; &lt; &gt; &quot; &apos;` and numeric references; anything else is kept verbatim.
        static func decodeEntities(_ slice: ArraySlice<UInt8>) -> String {
            guard slice.contains(UInt8(ascii: "&")) else { return String(decoding: slice, as: UTF8.self) }
            var out: [UInt8] = []
            out.reserveCapacity(slice.count)
            var index = slice.startIndex
            while index < slice.endIndex {
                let byte = slice[index]
                guard byte == UInt8(ascii: "&") else {
                    out.append(byte)
                    index += 1
                    continue
                }
                var end = index + 1
                while end < slice.endIndex, end - index <= 12, slice[end] != UInt8(ascii: ";") { end += 1 }
                guard end < slice.endIndex, slice[end] == UInt8(ascii: ";") else {
                    out.append(byte)
                    index += 1
                    continue
                }
                let entity = String(decoding: slice[(index + 1)..<end], as: UTF8.self)
                if let replacement = replacement(for: entity) {
                    out.append(contentsOf: Array(replacement.utf8))
                    index = end + 1
                } else {
                    out.append(byte)
                    index += 1
                }
            }
            return String(decoding: out, as: UTF8.self)
        }

        static func replacement(for entity: String) -> String? {
            switch entity {
            case "amp": return "&"
            case "lt": return "<"
            case "gt": return ">"
            case "quot": return "\""
            case "apos": return "'"
            default:
                guard entity.hasPrefix("#") else { return nil }
                let digits = entity.dropFirst()
                let value: UInt32?
                if digits.hasPrefix("x") || digits.hasPrefix("X") {
                    value = UInt32(digits.dropFirst(), radix: 16)
                } else {
                    value = UInt32(digits, radix: 10)
                }
                guard let value else { return nil }
                return String(Unicode.Scalar(value) ?? "\u{FFFD}")
            }
        }
    }
}
