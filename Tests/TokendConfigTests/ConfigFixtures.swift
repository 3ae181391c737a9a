import Foundation
import Testing
import TokendCore

@testable import TokendConfig

/// Shared helpers for the config tests.
enum ConfigFixtures {
    static let file = "/etc/tokend/tokend.toml"

    /// The smallest valid file: lines 1–7 (line 7 empty), so appended text starts on line 8.
    static let minimal = """
        [daemon]
        database = "/var/lib/tokend/tokend.sqlite3"
        key_file = "/var/lib/tokend/master.key"

        [control]
        socket = "/run/tokend/control.sock"


        """

    static func parse(_ text: String, environment: [String: String] = [:]) throws(ConfigError) -> Configuration {
        try ConfigLoader.parse(text: text, path: file, environment: environment)
    }

    /// The error `text` produces (a failed expectation when it parses).
    static func error(
        _ text: String, environment: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation
    ) -> ConfigError? {
        do {
            _ = try parse(text, environment: environment)
            Issue.record("configuration unexpectedly valid", sourceLocation: sourceLocation)
            return nil
        } catch {
            #expect(!error.description.contains("\n"), "error must be one line", sourceLocation: sourceLocation)
            return error
        }
    }

    /// Expects `text` to fail with exactly `message` on `line`.
    static func expectError(
        _ text: String, line: Int?, _ message: String, environment: [String: String] = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let error = error(text, environment: environment, sourceLocation: sourceLocation) else { return }
        let expected = line.map { "tokend: \(file):\($0): \(message)" } ?? "tokend: \(file): \(message)"
        #expect(error.description == expected, sourceLocation: sourceLocation)
    }

    /// A fresh temporary directory, removed by the caller with `cleanup`.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tokend-config-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The repository's `config/` directory.
    static var configDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("config")
    }
}
