import Foundation
import Testing
import TokendFakeProviders

#if canImport(Glibc)
import Glibc
#endif

/// The `tokend` subcommands other than `serve`, and `serve`'s refusal of a bad key, as a user runs them.
@Suite("tokend commands (real binary)", .serialized)
struct CommandTests {
    /// Line numbers in ``DaemonSandbox/writeConfig``'s file.
    static let keyFileLine = 3

    @Test func checkConfigPrintsTheConfigurationWithSecretsRedacted() async throws {
        let fake = try await FakeProviderServer.start()
        let sandbox = try DaemonSandbox()
        defer { sandbox.remove() }
        try sandbox.writeConfig(fake: fake)
        let (status, output) = try run(BuiltProducts.tokend, ["check-config", "--config", sandbox.config.path])
        try await fake.shutdown()
        #expect(status == 0, "\(output)")
        #expect(output.contains("database = \"\(sandbox.database)\""))
        #expect(output.contains("name = \"bx\""))
        #expect(output.contains("api_key = \"<redacted>\""))
        #expect(!output.contains(FakeProviderOptions().apiKey))
    }

    @Test func checkConfigRefusesAnUnknownKeyWithFileLineAndKey() async throws {
        let fake = try await FakeProviderServer.start()
        let sandbox = try DaemonSandbox()
        defer { sandbox.remove() }
        try sandbox.writeConfig(fake: fake, extra: "bogus = 1")
        let (status, output) = try run(BuiltProducts.tokend, ["check-config", "--config", sandbox.config.path])
        let lines = try String(contentsOf: sandbox.config, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        let line = try #require(lines.firstIndex(of: "bogus = 1")) + 1
        try await fake.shutdown()
        #expect(status == 78)
        #expect(output == "tokend: \(sandbox.config.path):\(line): unknown key 'box[0].bogus'\n")
    }

    /// A problem only the provider layer detects names its own key and line, not `base_url`.
    @Test func checkConfigNamesTheProviderLevelKey() async throws {
        let fake = try await FakeProviderServer.start()
        let sandbox = try DaemonSandbox()
        defer { sandbox.remove() }
        try sandbox.writeConfig(fake: fake)
        let text = try String(contentsOf: sandbox.config, encoding: .utf8)
            .replacingOccurrences(of: "api_path = \"api.asp?\"", with: "api_path = \"https://evil.example/api.asp?\"")
        try text.write(to: sandbox.config, atomically: true, encoding: .utf8)
        let line = try #require(text.split(separator: "\n", omittingEmptySubsequences: false)
            .firstIndex { $0.hasPrefix("api_path") }) + 1
        let (status, output) = try run(BuiltProducts.tokend, ["check-config", "--config", sandbox.config.path])
        try await fake.shutdown()
        #expect(status == 78)
        #expect(output.hasPrefix("tokend: \(sandbox.config.path):\(line): 'fogbugz[0].api_path': "), "\(output)")
        #expect(!output.contains("base_url"))
    }

    @Test func checkDBPassesAHealthyDatabaseAndRefusesACorruptOne() async throws {
        let fake = try await FakeProviderServer.start()
        let sandbox = try DaemonSandbox()
        defer { sandbox.remove() }
        try sandbox.writeConfig(fake: fake)
        let daemon = try await DaemonProcess(sandbox: sandbox)
        let created = try await daemon.client.request(
            "POST", "/v1/tokens", json: Data(#"{"provider":"fogbugz","account":"fb","token":"db-check"}"#.utf8))
        #expect(created.status == 201)
        #expect(await daemon.stop() == 0)

        let healthy = try run(BuiltProducts.tokend, ["check-db", "--config", sandbox.config.path])
        #expect(healthy.status == 0, "\(healthy.output)")
        #expect(healthy.output.hasPrefix("ok: \(sandbox.database)"))

        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: sandbox.database + suffix) }
        try Data(repeating: 0x5A, count: 16_384).write(to: URL(fileURLWithPath: sandbox.database))
        let corrupt = try run(BuiltProducts.tokend, ["check-db", "--config", sandbox.config.path])
        try await fake.shutdown()
        #expect(corrupt.status != 0)
        #expect(corrupt.output.hasPrefix("tokend: cannot open database \(sandbox.database): "), "\(corrupt.output)")
        #expect(corrupt.output.contains("not a database"), "\(corrupt.output)")

        // A missing file is reported, not created.
        try FileManager.default.removeItem(atPath: sandbox.database)
        let missing = try run(BuiltProducts.tokend, ["check-db", "--config", sandbox.config.path])
        #expect(missing.status == 69, "\(missing.output)")
        #expect(missing.output.hasPrefix("tokend: no database at \(sandbox.database)"), "\(missing.output)")
        #expect(!FileManager.default.fileExists(atPath: sandbox.database))
    }

    @Test func probeProviderReportsAlreadyRevokedFromTheFake() async throws {
        let fake = try await FakeProviderServer.start()
        let sandbox = try DaemonSandbox()
        defer { sandbox.remove() }
        try sandbox.writeConfig(fake: fake)
        for account in ["fb", "bx"] {
            let (status, output) = try run(
                BuiltProducts.tokend, ["probe-provider", "--config", sandbox.config.path, "--account", account])
            #expect(status == 0, "\(output)")
            #expect(output.hasPrefix("\(account): already_revoked  http=200"), "\(output)")
        }
        #expect(fake.calls.count == 2)
        try await fake.shutdown()
    }

    @Test func serveRefusesAWorldReadableKeyFileWithExit78() async throws {
        let fake = try await FakeProviderServer.start()
        let sandbox = try DaemonSandbox()
        defer { sandbox.remove() }
        try sandbox.writeConfig(fake: fake)
        try Data(repeating: 7, count: 32).write(to: URL(fileURLWithPath: sandbox.keyFile))
        #expect(chmod(sandbox.keyFile, 0o644) == 0)
        let (status, output) = try run(BuiltProducts.tokend, ["serve", "--config", sandbox.config.path])
        try await fake.shutdown()
        #expect(status == 78)
        #expect(
            output.hasPrefix("tokend: \(sandbox.config.path):\(Self.keyFileLine): 'daemon.key_file': key file "),
            "\(output)")
        #expect(output.contains("mode 0644"))
        #expect(!FileManager.default.fileExists(atPath: sandbox.socket))
    }
}
