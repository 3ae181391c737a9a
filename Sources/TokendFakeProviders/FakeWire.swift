/// Decoding helpers for the fake server: percent/form decoding, XML element text, JSON string members.
enum FakeWire {
    /// Splits `a=b&c=d` and percent-decodes both sides (`+` is a space).
    static func parseForm(_ text: Substring) -> [FakeHeader] {
        text.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return FakeHeader(name: percentDecode(parts[0]), value: parts.count > 1 ? percentDecode(parts[1]) : "")
        }
    }

    static func percentDecode(_ text: Substring) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), iterator.count >= 2,
                let high = hex(iterator[iterator.startIndex]), let low = hex(iterator[iterator.startIndex + 1])
            {
                out.append(high << 4 | low)
                iterator = iterator.dropFirst(2)
            } else {
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// The decoded text of the first element whose local name is `name` (`<name>`, `<ns:name attr=…>`).
    static func xmlText(_ document: String, element name: String) -> String? {
        var searchStart = document.startIndex
        while let open = document[searchStart...].firstRange(of: "<") {
            searchStart = open.upperBound
            guard let close = document[open.upperBound...].firstRange(of: ">") else { return nil }
            let tag = document[open.upperBound..<close.lowerBound]
            let tagName = tag.prefix { $0 != " " && $0 != "\t" && $0 != "\n" && $0 != "/" }
            let local = tagName.split(separator: ":").last.map(String.init) ?? ""
            guard local == name, !tag.hasSuffix("/") else { continue }
            let rawName = String(tagName)
            guard let end = document[close.upperBound...].firstRange(of: "</" + rawName) else {
                return nil
            }
            return decodeXML(document[close.upperBound..<end.lowerBound])
        }
        return nil
    }

    static func decodeXML(_ text: Substring) -> String {
        var result = ""
        var rest = text
        while !rest.isEmpty {
            if rest.hasPrefix("<![CDATA[") {
                let body = rest.dropFirst(9)
                if let end = body.firstRange(of: "]]>") {
                    result += body[..<end.lowerBound]
                    rest = body[end.upperBound...]
                    continue
                }
            }
            if rest.hasPrefix("&"), let semicolon = rest.firstIndex(of: ";"),
                rest.distance(from: rest.startIndex, to: semicolon) <= 10
            {
                let entity = rest[rest.index(after: rest.startIndex)..<semicolon]
                var replacement: String?
                switch entity {
                case "amp": replacement = "&"
                case "lt": replacement = "<"
                case "gt": replacement = ">"
                case "quot": replacement = "\""
                case "apos": replacement = "'"
                default:
                    if entity.hasPrefix("#x"), let value = UInt32(entity.dropFirst(2), radix: 16) {
                        replacement = Unicode.Scalar(value).map { String($0) }
                    } else if entity.hasPrefix("#"), let value = UInt32(entity.dropFirst()) {
                        replacement = Unicode.Scalar(value).map { String($0) }
                    }
                }
                if let replacement {
                    result += replacement
                    rest = rest[rest.index(after: semicolon)...]
                    continue
                }
            }
            result.append(rest.removeFirst())
        }
        return result
    }

    /// The string value of top-level-ish member `"key"` in a JSON text (first occurrence).
    static func jsonString(_ bytes: [UInt8], key: String) -> String? {
        let needle = Array(("\"" + key + "\"").utf8)
        guard bytes.count >= needle.count else { return nil }
        var index = 0
        while index + needle.count <= bytes.count {
            if Array(bytes[index..<(index + needle.count)]) == needle {
                var cursor = index + needle.count
                func skipSpace() {
                    while cursor < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[cursor]) { cursor += 1 }
                }
                skipSpace()
                guard cursor < bytes.count, bytes[cursor] == UInt8(ascii: ":") else {
                    index += 1
                    continue
                }
                cursor += 1
                skipSpace()
                guard cursor < bytes.count, bytes[cursor] == UInt8(ascii: "\"") else { return nil }
                cursor += 1
                var out: [UInt8] = []
                while cursor < bytes.count {
                    let byte = bytes[cursor]
                    cursor += 1
                    if byte == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
                    if byte == UInt8(ascii: "\\"), cursor < bytes.count {
                        let escape = bytes[cursor]
                        cursor += 1
                        switch escape {
                        case UInt8(ascii: "n"): out.append(0x0A)
                        case UInt8(ascii: "t"): out.append(0x09)
                        case UInt8(ascii: "r"): out.append(0x0D)
                        case UInt8(ascii: "b"): out.append(0x08)
                        case UInt8(ascii: "f"): out.append(0x0C)
                        case UInt8(ascii: "u"):
                            guard cursor + 4 <= bytes.count,
                                let value = UInt32(String(decoding: bytes[cursor..<(cursor + 4)], as: UTF8.self), radix: 16)
                            else { return nil }
                            cursor += 4
                            out.append(contentsOf: Array(String(Unicode.Scalar(value) ?? "\u{FFFD}").utf8))
                        default: out.append(escape)
                        }
                    } else {
                        out.append(byte)
                    }
                }
                return nil
            }
            index += 1
        }
        return nil
    }

    static func xmlEscape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(character)
            }
        }
        return out
    }

    static func jsonEscape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if scalar.value < 0x20 {
                    out += "\\u00" + (scalar.value < 16 ? "0" : "") + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
