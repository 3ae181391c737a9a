import Foundation
import Testing
import TokendCore

@testable import TokendConfig

/// Valid files: the shipped examples, defaults, secrets from files and credentials, path resolution.
@Suite struct ConfigLoaderTests {
    typealias F = ConfigFixtures

    @Test func devConfigLoads() throws {
        let path = F.configDirectory.appendingPathComponent("dev.toml").path
        let config = try ConfigLoader.load(path: path, environment: [:])
        let cwd = FileManager.default.currentDirectoryPath
        #expect(config.daemon.database == cwd + "/var/tokend.sqlite3")
        #expect(config.daemon.key == .file(cwd + "/var/master.key"))
        #expect(config.control.socket == cwd + "/var/run/tokend.sock")
        #expect(config.control.admins == ["root"])
        #expect(config.control.operators.isEmpty)
        #expect(config.control.mode == 0o660)
        let fogbugz = try #require(config.accounts(of: .fogbugz).first)
        #expect(fogbugz.api == .fogbugzXML)
        #expect(fogbugz.apiPath == "api.asp?")
        #expect(fogbugz.baseURL.hasPrefix("http://127.0.0.1:"))
        let box = try #require(config.accounts(of: .box).first)
        #expect(box.api == .boxREST)
        #expect(box.apiKey?.value == "dev-api-key")
        #expect(box.baseURL.hasPrefix("http://127.0.0.1:"))
    }

    @Test func productionExampleLoadsWithCredentials() throws {
        let credentials = try F.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: credentials) }
        try Data(repeating: 7, count: 32).write(to: credentials.appendingPathComponent("tokend-master-key"))
        try Data("box-production-key\n".utf8).write(to: credentials.appendingPathComponent("box-api-key"))
        let path = F.configDirectory.appendingPathComponent("tokend.toml").path
        let config = try ConfigLoader.load(path: path, environment: ["CREDENTIALS_DIRECTORY": credentials.path])
        #expect(config.daemon.database == "/var/lib/tokend/tokend.sqlite3")
        #expect(
            config.daemon.key
                == .credential(
                    name: "tokend-master-key", path: credentials.appendingPathComponent("tokend-master-key").path))
        #expect(config.control.socket == "/run/tokend/control.sock")
        #expect(config.control.operators == ["ops"])
        #expect(config.accounts.map(\.name) == ["acme", "main"])
        #expect(config.account(named: "main")?.apiKey?.value == "box-production-key")
        #expect(config.accounts.allSatisfy { $0.baseURL.hasPrefix("https://") })
        #expect(config.schedule.maxAttempts == 8)
        #expect(config.schedule.retryMaxDelay == .seconds(900))
    }

    @Test func productionExampleRefusedWithoutCredentials() {
        let path = F.configDirectory.appendingPathComponent("tokend.toml").path
        do {
            _ = try ConfigLoader.load(path: path, environment: [:])
            Issue.record("expected an error")
        } catch {
            #expect(error.key == "daemon.key_credential")
            #expect(error.description.contains("$CREDENTIALS_DIRECTORY is not set"))
            #expect(error.line != nil)
        }
    }

    @Test func defaultsApply() throws {
        let config = try F.parse(F.minimal)
        #expect(config.schedule == Configuration.Schedule())
        #expect(config.control.mode == 0o660)
        #expect(config.control.admins == ["root"])
        #expect(config.accounts.isEmpty)
        #expect(config.audit.retain == nil)
        #expect(config.bulk.confirmAbove == 1_000)
        #expect(config.limits == Configuration.Limits())
    }

    @Test func everyKeyIsRead() throws {
        let config = try F.parse(
            F.minimal + """
                [schedule]
                default_ttl = "1h"
                max_ttl = "2d"
                sweep_interval = "500ms"
                revoke_before_expiry = "5m"
                retry_base = "2s"
                retry_max_delay = "1m"
                max_attempts = 3
                failed_retry_interval = "12h"
                breaker_due_threshold = 50
                breaker_clock_jump = "2m"
                claim_batch = 64

                [[fogbugz]]
                name = "fb-json"
                base_url = "http://localhost:9000"
                api = "json"
                concurrency = 2
                rate_per_second = 0.5
                timeout = "3s"
                connect_timeout = "1s"
                default_ttl = "30m"

                [[box]]
                name = "box-oauth"
                base_url = "http://10.1.2.3:8080"
                allow_insecure = true
                api = "oauth2"
                client_id = "cid"
                client_secret = "csecret"

                [[box]]
                name = "box-soap"
                base_url = "http://[::1]:7000/api/1.0"
                api = "soap"
                api_key = "k"

                [bulk]
                confirm_above = 0

                [limits]
                max_body_bytes = 4096
                max_live_per_owner = 10
                max_live_per_account = 20
                max_connections = 30

                [audit]
                retain = "400d"
                """)
        let schedule = config.schedule
        #expect(schedule.defaultTTL == .seconds(3600))
        #expect(schedule.maxTTL == .seconds(2 * 86_400))
        #expect(schedule.sweepInterval == .milliseconds(500))
        #expect(schedule.revokeBeforeExpiry == .seconds(300))
        #expect(schedule.retryBase == .seconds(2))
        #expect(schedule.retryMaxDelay == .seconds(60))
        #expect(schedule.maxAttempts == 3)
        #expect(schedule.failedRetryInterval == .seconds(12 * 3600))
        #expect(schedule.breakerDueThreshold == 50)
        #expect(schedule.breakerClockJump == .seconds(120))
        #expect(schedule.claimBatch == 64)

        let json = try #require(config.account(named: "fb-json"))
        #expect(json.api == .fogbugzJSON)
        #expect(json.concurrency == 2)
        #expect(json.ratePerSecond == 0.5)
        #expect(json.timeout == .seconds(3))
        #expect(json.connectTimeout == .seconds(1))
        #expect(json.defaultTTL == .seconds(1800))
        #expect(json.apiPath == nil)

        let oauth = try #require(config.account(named: "box-oauth"))
        #expect(oauth.api == .boxOAuth2)
        #expect(oauth.allowInsecure)
        #expect(oauth.oauthURL == "https://api.box.com")
        #expect(oauth.clientID == "cid")
        #expect(oauth.clientSecret?.value == "csecret")
        #expect(oauth.apiKey == nil)
        #expect(config.account(named: "box-soap")?.api == .boxSOAP)

        #expect(config.bulk.confirmAbove == 0)
        #expect(config.limits.maxBodyBytes == 4096)
        #expect(config.limits.maxLivePerOwner == 10)
        #expect(config.limits.maxLivePerAccount == 20)
        #expect(config.limits.maxConnections == 30)
        #expect(config.audit.retain == .seconds(400 * 86_400))
    }

    @Test(arguments: ["http://127.0.0.1:8080", "http://127.1.2.3", "http://localhost:1", "http://[::1]:80/x"])
    func plainHTTPToLoopbackIsAllowed(url: String) throws {
        let config = try F.parse(F.minimal + "[[fogbugz]]\nname = \"a\"\nbase_url = \"\(url)\"\n")
        #expect(config.accounts.first?.baseURL == url)
    }

    @Test func relativePathsResolveAgainstWorkingDirectory() throws {
        let config = try F.parse(
            "[daemon]\ndatabase = \"var/db.sqlite3\"\nkey_file = \"./var/master.key\"\n[control]\nsocket = \"run/s.sock\"\n"
        )
        let cwd = FileManager.default.currentDirectoryPath
        #expect(config.daemon.database == cwd + "/var/db.sqlite3")
        #expect(config.daemon.key == .file(cwd + "/var/master.key"))
        #expect(config.control.socket == cwd + "/run/s.sock")
    }

    /// control-api.md: `control.socket` defaults to `/run/tokend/control.sock`; the example `daemon.database` and
    /// `daemon.key_file` are the defaults too. An empty file is therefore a valid (account-less) configuration.
    @Test func daemonAndControlDefaults() throws {
        for text in ["", "[daemon]\n[control]\n"] {
            let config = try F.parse(text)
            #expect(config.daemon.database == "/var/lib/tokend/tokend.sqlite3")
            #expect(config.daemon.key == .file("/var/lib/tokend/master.key"))
            #expect(config.control.socket == "/run/tokend/control.sock")
            #expect(config.control.mode == 0o660)
        }
    }

    @Test func keyFileDefaultOnlyWithoutKeyCredential() throws {
        let credentials = try F.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: credentials) }
        try Data(repeating: 1, count: 32).write(to: credentials.appendingPathComponent("master"))
        let config = try F.parse(
            "[daemon]\nkey_credential = \"master\"\n", environment: ["CREDENTIALS_DIRECTORY": credentials.path])
        #expect(config.daemon.key == .credential(name: "master", path: credentials.path + "/master"))
        #expect(config.daemon.database == "/var/lib/tokend/tokend.sqlite3")
        let explicit = try F.parse("[daemon]\nkey_file = \"/etc/tokend/k\"\n")
        #expect(explicit.daemon.key == .file("/etc/tokend/k"))
    }

    /// Box OAuth2 calls only `{oauth_url}/oauth2/revoke`: `base_url` is optional there (still required elsewhere).
    @Test func boxOAuth2NeedsNoBaseURL() throws {
        let config = try F.parse(
            F.minimal + "[[box]]\nname = \"o\"\napi = \"oauth2\"\nclient_id = \"id\"\nclient_secret = \"s\"\n")
        let account = try #require(config.account(named: "o"))
        #expect(account.oauthURL == "https://api.box.com")
        #expect(account.baseURL.isEmpty)
        #expect(!describe(config).contains("base_url"))
        F.expectError(
            F.minimal + "[[box]]\nname = \"o\"\napi = \"oauth2\"\nbase_url = \"ftp://x\"\nclient_id = \"id\"\n"
                + "client_secret = \"s\"\n",
            line: 11, "'box[0].base_url': 'ftp://x' is not an http(s) URL")
    }

    @Test func secretsFromFiles() throws {
        let directory = try F.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let keyFile = directory.appendingPathComponent("api-key")
        try Data("  file-secret-value\n".utf8).write(to: keyFile)
        let clientSecret = directory.appendingPathComponent("client-secret")
        try Data("client-file-secret\r\n".utf8).write(to: clientSecret)
        let config = try F.parse(
            F.minimal + """
                [[box]]
                name = "rest"
                base_url = "https://www.box.net/api/1.0"
                api_key_file = "\(keyFile.path)"

                [[box]]
                name = "oauth"
                base_url = "https://api.box.com"
                api = "oauth2"
                client_id = "id"
                client_secret_file = "\(clientSecret.path)"
                """)
        #expect(config.account(named: "rest")?.apiKey?.value == "file-secret-value")
        #expect(config.account(named: "oauth")?.clientSecret?.value == "client-file-secret")
    }

    @Test func emptySecretFileIsRefused() throws {
        let directory = try F.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let keyFile = directory.appendingPathComponent("empty")
        try Data("\n".utf8).write(to: keyFile)
        F.expectError(
            F.minimal + "[[box]]\nname = \"b\"\nbase_url = \"https://b.example.com\"\napi_key_file = \"\(keyFile.path)\"\n",
            line: 11, "'box[0].api_key_file': the secret is empty")
    }

    @Test func secretsFromCredentialsDirectory() throws {
        let credentials = try F.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: credentials) }
        try Data("credential-api-key\n".utf8).write(to: credentials.appendingPathComponent("box-api-key"))
        try Data("credential-client-secret".utf8).write(to: credentials.appendingPathComponent("box-client"))
        try Data(repeating: 1, count: 32).write(to: credentials.appendingPathComponent("master"))
        let config = try F.parse(
            """
            [daemon]
            database = "/db"
            key_credential = "master"
            [control]
            socket = "/s"
            [[box]]
            name = "rest"
            base_url = "https://www.box.net/api/1.0"
            api_key_credential = "box-api-key"
            [[box]]
            name = "oauth"
            base_url = "https://api.box.com"
            api = "oauth2"
            client_id = "id"
            client_secret_credential = "box-client"
            """, environment: ["CREDENTIALS_DIRECTORY": credentials.path])
        #expect(config.daemon.key == .credential(name: "master", path: credentials.path + "/master"))
        #expect(config.account(named: "rest")?.apiKey?.value == "credential-api-key")
        #expect(config.account(named: "oauth")?.clientSecret?.value == "credential-client-secret")
    }

    @Test func accountsKeepFileOrderPerProvider() throws {
        let config = try F.parse(
            F.minimal + """
                [[box]]
                name = "b1"
                base_url = "https://b.example.com"
                api_key = "k"
                [[fogbugz]]
                name = "f1"
                base_url = "https://f.example.com"
                [[fogbugz]]
                name = "f2"
                base_url = "https://f.example.com"
                """)
        #expect(config.accounts.map(\.name) == ["f1", "f2", "b1"])
        #expect(config.accounts(of: .fogbugz).map(\.name) == ["f1", "f2"])
    }
}
