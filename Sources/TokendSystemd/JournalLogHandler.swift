#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// A swift-log handler for a daemon whose stderr goes to journald (or a terminal).
///
/// - One event is exactly one line: control characters in the message are escaped, metadata values that are not
///   plain words are quoted with `\n`, `\"`, `\\`… escapes, so no value can forge a second log line.
/// - Metadata follows the message as `key=value` pairs in a stable order: ``preferredKeyOrder`` first
///   (`token_id provider account outcome attempt`), then the others sorted by key.
/// - Keys in ``redactedKeys`` (e.g. `token`, `secret`) are printed as `"<redacted>"`, a last line of defence.
/// - ``Style/journal`` prefixes each line with the syslog priority `<N>` that journald strips and stores as
///   `PRIORITY=` (trace/debug 7, info 6, notice 5, warning 4, error 3, critical 2); journald adds the time.
///   ``Style/plain`` prefixes an RFC 3339 UTC timestamp and the level name instead.
///
/// ```swift
/// JournalLogHandler.bootstrap(logLevel: .info)   // picks .journal when stderr is the journal stream
/// ```
public struct JournalLogHandler: LogHandler {
    /// Line format.
    public enum Style: Sendable, Equatable {
        /// `<6>message key=value`: for stderr connected to journald.
        case journal
        /// `2026-11-22T04:55:01.123Z info message key=value`: for terminals and files.
        case plain
    }

    /// Keys printed first, in this order, when present.
    public static let preferredKeyOrder = ["token_id", "provider", "account", "outcome", "attempt"]

    /// Keys whose values are never printed.
    public static let defaultRedactedKeys: Set<String> = [
        "token", "raw_token", "secret", "password", "passphrase", "api_key", "client_secret", "authorization",
        "master_key",
    ]

    /// The logger label (not printed; journald already records the unit and process).
    public let label: String
    /// Line format.
    public let style: Style
    /// Destination of the lines.
    public let output: LogOutput
    /// Keys whose values are replaced by `"<redacted>"`.
    public var redactedKeys: Set<String>
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    /// Creates a handler.
    public init(
        label: String,
        style: Style,
        output: LogOutput = .standardError,
        logLevel: Logger.Level = .info,
        metadataProvider: Logger.MetadataProvider? = nil,
        redactedKeys: Set<String> = JournalLogHandler.defaultRedactedKeys
    ) {
        self.label = label
        self.style = style
        self.output = output
        self.logLevel = logLevel
        self.metadataProvider = metadataProvider
        self.redactedKeys = redactedKeys
    }

    /// ``Style/journal`` when stderr is the stream named by `JOURNAL_STREAM`, else ``Style/plain``.
    public static func detectStyle(environment: [String: String] = SystemdEnvironment.current()) -> Style {
        JournalStream.isConnected(environment: environment, fd: STDERR_FILENO) ? .journal : .plain
    }

    /// Installs this handler (writing to stderr, style detected from `environment`) as the process-wide
    /// swift-log backend. Call once, first thing in `main`.
    public static func bootstrap(
        environment: [String: String] = SystemdEnvironment.current(),
        logLevel: Logger.Level = .info,
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        let style = detectStyle(environment: environment)
        LoggingSystem.bootstrap(
            { label, provider in
                JournalLogHandler(label: label, style: style, logLevel: logLevel, metadataProvider: provider)
            },
            metadataProvider: metadataProvider
        )
    }

    /// The syslog priority (0–7) journald stores for a level.
    public static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() {
            merged.merge(provided) { _, new in new }
        }
        if let eventMetadata = event.metadata {
            merged.merge(eventMetadata) { _, new in new }
        }
        if let error = event.error, merged["error"] == nil {
            merged["error"] = .string(String(describing: error))
        }
        output.write(format(level: event.level, message: event.message.description, metadata: merged) + "\n")
    }

    /// Formats one line (without the trailing newline). Exposed for tests and for tools that share the format.
    public func format(
        level: Logger.Level,
        message: String,
        metadata: Logger.Metadata,
        timestamp: String? = nil
    ) -> String {
        var line: String
        switch style {
        case .journal:
            line = "<\(Self.syslogPriority(level))>"
        case .plain:
            line = (timestamp ?? Self.timestamp()) + " " + level.rawValue + " "
        }
        line += Self.escapeMessage(message)
        for key in Self.orderedKeys(metadata.keys) {
            let value = redactedKeys.contains(key) ? "\"<redacted>\"" : Self.escapeValue(Self.render(metadata[key]!))
            line += " " + Self.escapeKey(key) + "=" + value
        }
        return line
    }

    /// Metadata keys in output order: ``preferredKeyOrder`` first, then the rest sorted.
    static func orderedKeys(_ keys: some Collection<String>) -> [String] {
        let present = Set(keys)
        let preferred = preferredKeyOrder.filter { present.contains($0) }
        let rest = present.subtracting(preferredKeyOrder).sorted()
        return preferred + rest
    }

    /// A key restricted to `[A-Za-z0-9_.-]` (anything else becomes `_`).
    static func escapeKey(_ key: String) -> String {
        if key.isEmpty { return "_" }
        return String(String.UnicodeScalarView(key.unicodeScalars.map { isKeyScalar($0) ? $0 : "_" }))
    }

    /// A value printed bare when it is a non-empty plain word, otherwise double-quoted with escapes.
    static func escapeValue(_ value: String) -> String {
        if !value.isEmpty && value.unicodeScalars.allSatisfy(isBareValueScalar) { return value }
        var quoted = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            default: quoted += escapeControl(scalar)
            }
        }
        return quoted + "\""
    }

    /// The message with control and line-separator characters escaped (backslashes are kept as they are).
    static func escapeMessage(_ message: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(message.utf8.count)
        for scalar in message.unicodeScalars { escaped += escapeControl(scalar) }
        return escaped
    }

    private static func escapeControl(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        case "\u{00}"..."\u{1F}", "\u{7F}"..."\u{9F}", "\u{2028}", "\u{2029}":
            let hex = String(scalar.value, radix: 16)
            return scalar.value <= 0xFF
                ? "\\x" + String(repeating: "0", count: 2 - hex.count) + hex
                : "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default:
            return String(scalar)
        }
    }

    private static func isKeyScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "_", ".", "-": true
        default: false
        }
    }

    private static func isBareValueScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "_", ".", "-", ":", "/", "@", "+", ",": true
        default: false
        }
    }

    /// Renders nested values deterministically (dictionaries sorted by key).
    static func render(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let string): string
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): "[" + values.map(render).joined(separator: ", ") + "]"
        case .dictionary(let dictionary):
            "[" + dictionary.keys.sorted().map { "\($0): \(render(dictionary[$0]!))" }.joined(separator: ", ") + "]"
        }
    }

    /// Now as RFC 3339 UTC with milliseconds, e.g. `2026-11-22T04:55:01.123Z`.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return pad(parts.tm_year + 1900, 4) + "-" + pad(parts.tm_mon + 1, 2) + "-" + pad(parts.tm_mday, 2) + "T"
            + pad(parts.tm_hour, 2) + ":" + pad(parts.tm_min, 2) + ":" + pad(parts.tm_sec, 2) + "."
            + pad(Int32(now.tv_nsec / 1_000_000), 3) + "Z"
    }
}
