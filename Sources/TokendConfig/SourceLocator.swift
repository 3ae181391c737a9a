import Foundation

/// Finds the line of a key in the TOML source text, so that errors can point at it.
///
/// TOMLKit keeps no positions for values, so the text is scanned: table headers (`[daemon]`, the n-th
/// `[[fogbugz]]`) delimit sections and `key = …` lines are matched by their first key segment. Lines inside
/// multi-line strings are skipped. A key that cannot be found yields `nil` (the message then has no line).
struct SourceLocator: Sendable {
    private struct KeyLine: Sendable {
        var path: ConfigPath
        var key: String
        var line: Int
    }

    private var headers: [ConfigPath: Int] = [:]
    /// Headers of sub-tables (`[daemon.extra]`): parent path + first segment → line.
    private var subHeaders: [ConfigPath: [String: Int]] = [:]
    private var keys: [KeyLine] = []

    init(text: String) {
        var current = ConfigPath.root
        var arrayCounts: [String: Int] = [:]
        var inMultiline: String?
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = offset + 1
            let line = rawLine.drop(while: { $0 == " " || $0 == "\t" })
            if let delimiter = inMultiline {
                if Self.occurrences(of: delimiter, in: line) % 2 == 1 { inMultiline = nil }
                continue
            }
            if line.hasPrefix("[[") {
                let name = Self.headerName(line.dropFirst(2), closing: "]]")
                let segments = Self.segments(name)
                guard let first = segments.first else { continue }
                if segments.count == 1 {
                    let index = arrayCounts[first, default: 0]
                    arrayCounts[first] = index + 1
                    current = ConfigPath(section: first, index: index)
                    headers[current] = lineNumber
                }
                continue
            }
            if line.hasPrefix("[") {
                let segments = Self.segments(Self.headerName(line.dropFirst(), closing: "]"))
                guard let first = segments.first else { continue }
                current = ConfigPath(section: first, index: nil)
                if segments.count == 1 {
                    if headers[current] == nil { headers[current] = lineNumber }
                } else {
                    // `[daemon.extra]` reports as key `extra` of `daemon`; for an array table, its last entry.
                    var parent = current
                    if let count = arrayCounts[first] { parent.index = count - 1 }
                    if subHeaders[parent, default: [:]][segments[1]] == nil {
                        subHeaders[parent, default: [:]][segments[1]] = lineNumber
                    }
                    current = ConfigPath(section: "\u{0}", index: nil)  // keys below belong to no known table
                }
                continue
            }
            guard let equals = line.firstIndex(of: "="), !line.hasPrefix("#") else { continue }
            let keyText = line[..<equals]
            guard let key = Self.segments(String(keyText)).first else { continue }
            keys.append(KeyLine(path: current, key: key, line: lineNumber))
            let value = line[line.index(after: equals)...]
            for delimiter in ["\"\"\"", "'''"] where Self.occurrences(of: delimiter, in: value) % 2 == 1 {
                inMultiline = delimiter
            }
        }
    }

    /// The line of `key` in the table at `path`, or of the table's header when `key` is `nil`.
    func line(of key: String?, in path: ConfigPath) -> Int? {
        guard let key else { return header(path) }
        if let found = keys.first(where: { $0.path == path && $0.key == key }) { return found.line }
        if let sub = subHeaders[path]?[key] { return sub }
        // A root key that is a table: `[bogus]` or `[[bogus]]`.
        if path == .root {
            return headers[ConfigPath(section: key, index: nil)] ?? headers[ConfigPath(section: key, index: 0)]
        }
        // `daemon = { … }` inline table: point at the parent key.
        if let section = path.section, path.index == nil,
            let parent = keys.first(where: { $0.path == .root && $0.key == section })
        {
            return parent.line
        }
        return nil
    }

    /// The line of the `[section]` / n-th `[[section]]` header, or of a root key of that name.
    func header(_ path: ConfigPath) -> Int? {
        if let line = headers[path] { return line }
        if let section = path.section {
            return keys.first(where: { $0.path == .root && $0.key == section })?.line
        }
        return nil
    }

    private static func headerName(_ rest: Substring, closing: String) -> String {
        guard let end = rest.range(of: closing) else { return String(rest) }
        return String(rest[..<end.lowerBound])
    }

    /// Splits a (possibly dotted, possibly quoted) key into its segments, unquoting simple quoted segments.
    private static func segments(_ text: String) -> [String] {
        var result: [String] = []
        var current = ""
        var quote: Character?
        for character in text {
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "." {
                result.append(current.trimmingSpaces())
                current = ""
            } else {
                current.append(character)
            }
        }
        result.append(current.trimmingSpaces())
        return result.allSatisfy(\.isEmpty) ? [] : result
    }

    private static func occurrences(of needle: String, in haystack: Substring) -> Int {
        var count = 0
        var rest = haystack[...]
        while let range = rest.range(of: needle) {
            count += 1
            rest = rest[range.upperBound...]
        }
        return count
    }
}

extension String {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars = scalars.dropFirst() }
        while let last = scalars.last, last.isWhitespace { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
