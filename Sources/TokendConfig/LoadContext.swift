import Foundation

/// What every step of loading needs: the file name for messages, the line finder, the environment and the
/// directory relative paths resolve against.
struct LoadContext: Sendable {
    var file: String
    var locator: SourceLocator
    var environment: [String: String]
    var workingDirectory: String

    /// An error about `key` of the table at `path` (or about the table itself when `key` is `nil`).
    func error(_ message: String, key: String?, in path: ConfigPath) -> ConfigError {
        ConfigError(
            file: file, line: locator.line(of: key, in: path), key: key.map(path.dotted) ?? path.name,
            message: message)
    }

    /// Makes a relative path absolute against the working directory; absolute paths are kept as written.
    func resolve(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        let base = workingDirectory.hasSuffix("/") ? workingDirectory : workingDirectory + "/"
        var relative = Substring(path)
        while relative.hasPrefix("./") { relative = relative.dropFirst(2) }
        return base + relative
    }
}
