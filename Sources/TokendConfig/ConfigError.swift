/// A configuration file that cannot be used. The daemon prints ``description`` on stderr and exits 78
/// (`EX_CONFIG`).
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The configuration file, as given on the command line.
    public var file: String
    /// The 1-based line the problem is on, when it could be found.
    public var line: Int?
    /// The dotted key at fault (`daemon.bogus`, `fogbugz[0].api`), when there is one.
    public var key: String?
    /// What is wrong, naming the key.
    public var message: String

    /// Creates an error; `message` is flattened to one line.
    public init(file: String, line: Int?, key: String?, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    /// Exactly one line: `tokend: <file>:<line>: <message>` (`tokend: <file>: <message>` when the line is unknown).
    public var description: String {
        let flat = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        if let line { return "tokend: \(file):\(line): \(flat)" }
        return "tokend: \(file): \(flat)"
    }
}
