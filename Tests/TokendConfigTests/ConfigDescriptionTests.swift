import Foundation
import Testing
import TokendCore

@testable import TokendConfig

/// `describe()`: effective configuration, secrets redacted, loads again.
@Suite struct ConfigDescriptionTests {
    typealias F = ConfigFixtures

    static let secretFile = """
        [[box]]
        name = "rest"
        base_url = "https://www.box.net/api/1.0"
        api_key = "SUPER-SECRET-API-KEY-1234"

        [[box]]
        name = "oauth"
        base_url = "https://api.box.com"
        api = "oauth2"
        client_id = "public-client-id"
        client_secret = "SUPER-SECRET-CLIENT-5678"
        """

    @Test func secretsAreRedacted() throws {
        let config = try F.parse(F.minimal + Self.secretFile)
        let text = describe(config)
        #expect(!text.contains("SUPER-SECRET"))
        #expect(text.contains("api_key = \"<redacted>\""))
        #expect(text.contains("client_secret = \"<redacted>\""))
        #expect(text.contains("client_id = \"public-client-id\""))
    }

    @Test func secretsFromFilesAreRedacted() throws {
        let directory = try F.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data("FILE-SECRET-9".utf8).write(to: directory.appendingPathComponent("k"))
        let config = try F.parse(
            F.minimal + "[[box]]\nname = \"b\"\nbase_url = \"https://b.example.com\"\napi_key_file = \"\(directory.path)/k\"\n")
        let text = describe(config)
        #expect(!text.contains("FILE-SECRET-9"))
        #expect(text.contains("api_key = \"<redacted>\""))
    }

    @Test func descriptionShowsDefaultsAndReloads() throws {
        let config = try F.parse(F.minimal + Self.secretFile + "\n[audit]\nretain = \"90d\"\n")
        let text = describe(config)
        #expect(text.contains("[schedule]\ndefault_ttl = \"8h\"\nmax_ttl = \"30d\""))
        #expect(text.contains("mode = \"0660\""))
        #expect(text.contains("retain = \"90d\""))
        let again = try F.parse(text)
        #expect(again.daemon == config.daemon)
        #expect(again.control == config.control)
        #expect(again.schedule == config.schedule)
        #expect(again.bulk == config.bulk)
        #expect(again.limits == config.limits)
        #expect(again.audit == config.audit)
        #expect(again.accounts.map(\.name) == config.accounts.map(\.name))
        #expect(again.account(named: "rest")?.apiKey?.value == "<redacted>")
    }

    @Test func devConfigDescription() throws {
        let config = try ConfigLoader.load(path: F.configDirectory.appendingPathComponent("dev.toml").path, environment: [:])
        let text = describe(config)
        #expect(!text.contains("dev-api-key"))
        #expect(text.contains("[[fogbugz]]\nname = \"dev-fogbugz\""))
        #expect(text.contains("api_path = \"api.asp?\""))
    }

    @Test func quoting() {
        #expect(TOMLWriter.quote("a\"b\\c\nd\u{1}") == "\"a\\\"b\\\\c\\nd\\u0001\"")
    }
}
