import Foundation
import TokendCore

extension ConfigLoader {
    /// The error for a problem ``AccountCheck`` found in the account read by `reader`. A secret's problem points
    /// at whichever spelling the file uses (`api_key_file`, …); a key the file leaves to its default points at
    /// the account's `[[…]]` header.
    static func accountError(_ problem: AccountProblem, in reader: TableReader) -> ConfigError {
        let spelled =
            [problem.key, problem.key + "_file", problem.key + "_credential"].first(where: reader.has) ?? problem.key
        let dotted = reader.path.dotted(spelled)
        let locator = reader.context.locator
        return ConfigError(
            file: reader.context.file,
            line: locator.line(of: spelled, in: reader.path) ?? locator.header(reader.path), key: dotted,
            message: "'\(dotted)': \(problem.message)")
    }

    /// The error for a master key that cannot be used (unreadable, wrong mode or size, not the database's key),
    /// naming `daemon.key_file` or `daemon.key_credential` and its line in `file` when the file sets it.
    ///
    /// - Parameters:
    ///   - file: the configuration file the key source came from (read again only to find the line).
    ///   - key: the configured key source.
    ///   - message: what is wrong with the key.
    public static func keyError(file: String, key: Configuration.KeySource, message: String) -> ConfigError {
        let name: String
        switch key {
        case .file: name = "key_file"
        case .credential: name = "key_credential"
        }
        let daemon = ConfigPath(section: "daemon", index: nil)
        let locator = (try? String(contentsOfFile: file, encoding: .utf8)).map { SourceLocator(text: $0) }
        let dotted = daemon.dotted(name)
        return ConfigError(
            file: file, line: locator?.line(of: name, in: daemon) ?? locator?.header(daemon), key: dotted,
            message: "'\(dotted)': \(message)")
    }
}
