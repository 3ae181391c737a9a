import Foundation
import Testing
import TokendCore

@testable import TokendConfig

/// Every class of bad configuration → one line naming file, line and dotted key.
@Suite struct ConfigErrorTests {
    typealias F = ConfigFixtures

    @Test func unknownDaemonKey() {
        F.expectError(
            """
            [daemon]
            database = "/db"
            key_file = "/key"
            bogus = 1
            [control]
            socket = "/s"
            """, line: 4, "unknown key 'daemon.bogus'")
    }

    @Test func unknownKeyInSecondArrayTable() {
        F.expectError(
            F.minimal + """
                [[fogbugz]]
                name = "a"
                base_url = "https://a.example.com"

                [[fogbugz]]
                name = "b"
                base_url = "https://b.example.com"
                bogus = "x"
                """, line: 15, "unknown key 'fogbugz[1].bogus'")
    }

    @Test func unknownKeyInFirstArrayTable() {
        F.expectError(
            F.minimal + """
                [[fogbugz]]
                name = "a"
                bogus = 1
                base_url = "https://a.example.com"
                """, line: 10, "unknown key 'fogbugz[0].bogus'")
    }

    @Test func unknownTopLevelTableAndKey() {
        F.expectError(F.minimal + "[bogus]\nx = 1\n", line: 8, "unknown key 'bogus'")
        F.expectError("top = 1\n" + F.minimal, line: 1, "unknown key 'top'")
        F.expectError(F.minimal + "[daemon.extra]\nx = 1\n", line: 8, "unknown key 'daemon.extra'")
    }

    @Test func unknownKeyReportedInFileOrder() {
        // TOMLKit sorts keys; the error must name the first one in the file.
        F.expectError(
            F.minimal + "[schedule]\nzzz = 1\naaa = 2\n", line: 9, "unknown key 'schedule.zzz'")
    }

    @Test func wrongTypes() {
        F.expectError(
            F.minimal + "[[fogbugz]]\nname = \"a\"\nbase_url = \"https://a.example.com\"\nconcurrency = \"8\"\n",
            line: 11, "'fogbugz[0].concurrency' must be an integer, not a string")
        F.expectError(
            F.minimal + "[schedule]\nmax_ttl = 30\n", line: 9,
            "'schedule.max_ttl' must be a duration string such as \"10s\", not an integer")
        F.expectError(
            F.minimal.replacingOccurrences(of: "socket = \"/run/tokend/control.sock\"", with: "socket = true"),
            line: 6, "'control.socket' must be a string, not a bool")
        F.expectError(
            F.minimal + "[[box]]\nname = \"b\"\nbase_url = \"https://b.example.com\"\napi_key = \"k\"\nallow_insecure = \"yes\"\n",
            line: 12, "'box[0].allow_insecure' must be true or false, not a string")
        F.expectError(
            F.minimal.replacingOccurrences(of: "[control]", with: "[control]\nadmins = \"root\""),
            line: 6, "'control.admins' must be an array of strings, not a string")
        F.expectError(F.minimal + "daemon2 = 1\n", line: 8, "unknown key 'control.daemon2'")  // still in [control]
        F.expectError("daemon = 1\n[control]\nsocket = \"/s\"\n", line: 1, "'daemon' must be a table ([daemon])")
        F.expectError(
            F.minimal + "[fogbugz]\nname = \"a\"\n", line: 8, "'fogbugz' must be an array of tables ([[fogbugz]])")
    }

    @Test func badDurations() {
        F.expectError(
            F.minimal + "[schedule]\nretry_base = \"10 parsecs\"\n", line: 9,
            "'schedule.retry_base': invalid duration '10 parsecs' (expected a number with a unit ms, s, m, h or d, e.g. \"10s\" or \"1h30m\")"
        )
        F.expectError(
            F.minimal + "[schedule]\nsweep_interval = \"0s\"\n", line: 9,
            "'schedule.sweep_interval' must be longer than 0 (got \"0s\")")
        F.expectError(
            F.minimal + "[[fogbugz]]\nname = \"a\"\nbase_url = \"https://a.example.com\"\ntimeout = \"0ms\"\n",
            line: 11, "'fogbugz[0].timeout' must be longer than 0 (got \"0ms\")")
        F.expectError(
            F.minimal + "[audit]\nretain = \"forever\"\n", line: 9,
            "'audit.retain': invalid duration 'forever' (expected a number with a unit ms, s, m, h or d, e.g. \"10s\" or \"1h30m\")"
        )
        F.expectError(
            F.minimal + "[schedule]\ndefault_ttl = \"40d\"\n", line: 9,
            "'schedule.default_ttl' (40d) exceeds 'schedule.max_ttl' (30d)")
    }

    @Test func outOfRangeNumbers() {
        let account = F.minimal + "[[fogbugz]]\nname = \"a\"\nbase_url = \"https://a.example.com\"\n"
        F.expectError(account + "concurrency = 0\n", line: 11, "'fogbugz[0].concurrency' must be between 1 and 1024 (got 0)")
        F.expectError(
            account + "concurrency = 1025\n", line: 11, "'fogbugz[0].concurrency' must be between 1 and 1024 (got 1025)")
        F.expectError(
            account + "rate_per_second = 0\n", line: 11, "'fogbugz[0].rate_per_second' must be greater than 0 (got 0)")
        F.expectError(
            account + "rate_per_second = -2.5\n", line: 11,
            "'fogbugz[0].rate_per_second' must be greater than 0 (got -2.5)")
        F.expectError(
            F.minimal + "[schedule]\nmax_attempts = 0\n", line: 9,
            "'schedule.max_attempts' must be between 1 and 100 (got 0)")
        F.expectError(
            F.minimal + "[schedule]\nmax_attempts = 101\n", line: 9,
            "'schedule.max_attempts' must be between 1 and 100 (got 101)")
        F.expectError(
            F.minimal + "[limits]\nmax_connections = 0\n", line: 9,
            "'limits.max_connections' must be between 1 and 65536 (got 0)")
        F.expectError(
            F.minimal + "[bulk]\nconfirm_above = -1\n", line: 9, "'bulk.confirm_above' must be at least 0 (got -1)")
        for mode in ["0999", "660a", "rw-rw----", "01777", "7"] {
            F.expectError(
                F.minimal.replacingOccurrences(of: "[control]", with: "[control]\nmode = \"\(mode)\""), line: 6,
                "'control.mode' must be an octal permission string such as \"0660\" (got \"\(mode)\")")
        }
    }

    @Test func missingRequiredKeys() {
        // daemon.database, daemon.key_file and control.socket have defaults (ConfigLoaderTests); empty is still wrong.
        F.expectError("[daemon]\ndatabase = \"\"\n", line: 2, "'daemon.database' must not be empty")
        F.expectError("[control]\nsocket = \" \"\n", line: 2, "'control.socket' must not be empty")
        F.expectError(
            F.minimal + "[[fogbugz]]\nbase_url = \"https://a.example.com\"\n", line: 8,
            "missing required key 'fogbugz[0].name'")
        F.expectError(
            F.minimal + "[[box]]\nname = \"b\"\napi_key = \"k\"\n", line: 8, "missing required key 'box[0].base_url'")
        F.expectError(
            F.minimal + "[[fogbugz]]\nname = \"\"\nbase_url = \"https://a.example.com\"\n", line: 9,
            "'fogbugz[0].name' must not be empty")
    }

    @Test func duplicateAccountNamesAcrossProviders() {
        F.expectError(
            F.minimal + """
                [[fogbugz]]
                name = "acme"
                base_url = "https://acme.fogbugz.com"

                [[box]]
                name = "acme"
                base_url = "https://www.box.net/api/1.0"
                api_key = "k"
                """, line: 13, "duplicate account name 'acme' in 'box[0].name' (already used by 'fogbugz[0].name')")
        F.expectError(
            F.minimal + """
                [[box]]
                name = "x"
                base_url = "https://www.box.net/api/1.0"
                api_key = "k"
                [[box]]
                name = "x"
                base_url = "https://www.box.net/api/1.0"
                api_key = "k"
                """, line: 13, "duplicate account name 'x' in 'box[1].name' (already used by 'box[0].name')")
    }

    @Test func unknownAPIForProvider() {
        F.expectError(
            F.minimal + "[[fogbugz]]\nname = \"a\"\nbase_url = \"https://a.example.com\"\napi = \"rest\"\n", line: 11,
            "'fogbugz[0].api': unknown api \"rest\" for fogbugz (expected \"xml\", \"json\")")
        F.expectError(
            F.minimal + "[[box]]\nname = \"b\"\nbase_url = \"https://b.example.com\"\napi = \"json\"\n", line: 11,
            "'box[0].api': unknown api \"json\" for box (expected \"rest\", \"xml\", \"soap\", \"oauth2\")")
        F.expectError(
            F.minimal + "[[fogbugz]]\nname = \"a\"\nbase_url = \"https://a.example.com\"\napi_key = \"k\"\n",
            line: 11, "unknown key 'fogbugz[0].api_key'")
        F.expectError(
            F.minimal + "[[fogbugz]]\nname = \"a\"\nbase_url = \"https://a.example.com\"\napi = \"json\"\napi_path = \"x\"\n",
            line: 12, "'fogbugz[0].api_path' does not apply to api = \"json\"")
    }

    @Test func keyFileAndKeyCredentialTogether() {
        F.expectError(
            "[daemon]\ndatabase = \"/db\"\nkey_file = \"/k\"\nkey_credential = \"tokend-master-key\"\n[control]\nsocket = \"/s\"\n",
            line: 4, "'daemon.key_file' and 'daemon.key_credential' are mutually exclusive; set only one")
    }

    @Test func secretGivenTwoWays() {
        F.expectError(
            F.minimal
                + "[[box]]\nname = \"b\"\nbase_url = \"https://b.example.com\"\napi_key = \"k\"\napi_key_file = \"/k\"\n",
            line: 12,
            "'box[0].api_key' is given more than one way ('box[0].api_key' and 'box[0].api_key_file'); use exactly one")
        F.expectError(
            F.minimal
                + "[[box]]\nname = \"b\"\nbase_url = \"https://b.example.com\"\napi = \"oauth2\"\nclient_id = \"c\"\n"
                + "client_secret_file = \"/f\"\nclient_secret_credential = \"c\"\n",
            line: 14,
            "'box[0].client_secret' is given more than one way ('box[0].client_secret_file' and 'box[0].client_secret_credential'); use exactly one"
        )
    }

    @Test func missingSecrets() {
        for api in ["rest", "xml", "soap"] {
            F.expectError(
                F.minimal + "[[box]]\nname = \"b\"\nbase_url = \"https://b.example.com\"\napi = \"\(api)\"\n", line: 8,
                "missing secret 'box[0].api_key' for api = \"\(api)\": set 'api_key', 'api_key_file' or 'api_key_credential'"
            )
        }
        F.expectError(
            F.minimal + "[[box]]\nname = \"b\"\nbase_url = \"https://b.example.com\"\napi = \"oauth2\"\nclient_id = \"c\"\n",
            line: 8,
            "missing secret 'box[0].client_secret' for api = \"oauth2\": set 'client_secret', 'client_secret_file' or 'client_secret_credential'"
        )
        F.expectError(
            F.minimal + "[[box]]\nname = \"b\"\nbase_url = \"https://b.example.com\"\napi = \"oauth2\"\nclient_secret = \"s\"\n",
            line: 8, "missing required key 'box[0].client_id' (api = \"oauth2\")")
        F.expectError(
            F.minimal + "[[box]]\nname = \"b\"\nbase_url = \"https://b.example.com\"\napi = \"oauth2\"\napi_key = \"k\"\n",
            line: 12, "'box[0].api_key' does not apply to api = \"oauth2\"")
        F.expectError(
            F.minimal + "[[box]]\nname = \"b\"\nbase_url = \"https://b.example.com\"\napi_key = \"k\"\nclient_id = \"c\"\n",
            line: 12, "'box[0].client_id' does not apply to api = \"rest\"")
        F.expectError(
            F.minimal + "[[box]]\nname = \"b\"\nbase_url = \"https://b.example.com\"\napi_key = \"  \"\n",
            line: 11, "'box[0].api_key' must not be empty")
    }

    @Test func unreadableSecretFile() {
        F.expectError(
            F.minimal
                + "[[box]]\nname = \"b\"\nbase_url = \"https://b.example.com\"\napi_key_file = \"/nonexistent/tokend/key\"\n",
            line: 11, "'box[0].api_key_file': cannot read '/nonexistent/tokend/key': No such file or directory")
    }

    @Test func credentialWithoutCredentialsDirectory() {
        F.expectError(
            F.minimal + "[[box]]\nname = \"b\"\nbase_url = \"https://b.example.com\"\napi_key_credential = \"box\"\n",
            line: 11,
            "'box[0].api_key_credential': $CREDENTIALS_DIRECTORY is not set (run under systemd with LoadCredential=box:…)")
        F.expectError(
            "[daemon]\ndatabase = \"/db\"\nkey_credential = \"master\"\n[control]\nsocket = \"/s\"\n", line: 3,
            "'daemon.key_credential': $CREDENTIALS_DIRECTORY is not set (run under systemd with LoadCredential=master:…)")
    }

    @Test func missingCredentialFile() throws {
        let directory = try F.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        F.expectError(
            F.minimal + "[[box]]\nname = \"b\"\nbase_url = \"https://b.example.com\"\napi_key_credential = \"box\"\n",
            line: 11,
            "'box[0].api_key_credential': credential 'box' not found in $CREDENTIALS_DIRECTORY (\(directory.path)/box)",
            environment: ["CREDENTIALS_DIRECTORY": directory.path])
    }

    @Test(arguments: ["../etc/passwd", "a/b", "..", ".", "x..y"])
    func badCredentialNames(name: String) {
        F.expectError(
            F.minimal + "[[box]]\nname = \"b\"\nbase_url = \"https://b.example.com\"\napi_key_credential = \"\(name)\"\n",
            line: 11,
            "'box[0].api_key_credential': invalid credential name '\(name)' (a plain file name without '/' or '..')",
            environment: ["CREDENTIALS_DIRECTORY": "/tmp"])
    }

    @Test func badBaseURLs() {
        let prefix = F.minimal + "[[fogbugz]]\nname = \"a\"\n"
        F.expectError(
            prefix + "base_url = \"http://acme.fogbugz.com\"\n", line: 10,
            "'fogbugz[0].base_url': 'http://acme.fogbugz.com' uses plain http to a non-loopback host; use https (or set allow_insecure = true)"
        )
        F.expectError(
            prefix + "base_url = \"ftp://acme.fogbugz.com\"\n", line: 10,
            "'fogbugz[0].base_url': 'ftp://acme.fogbugz.com' is not an http(s) URL")
        F.expectError(prefix + "base_url = \"acme\"\n", line: 10, "'fogbugz[0].base_url': 'acme' is not an http(s) URL")
        F.expectError(prefix + "base_url = \"https://\"\n", line: 10, "'fogbugz[0].base_url': 'https://' has no host")
        F.expectError(
            prefix + "base_url = \"http://128.0.0.1\"\n", line: 10,
            "'fogbugz[0].base_url': 'http://128.0.0.1' uses plain http to a non-loopback host; use https (or set allow_insecure = true)"
        )
        F.expectError(
            F.minimal + "[[box]]\nname = \"b\"\nbase_url = \"https://b.example.com\"\napi = \"oauth2\"\n"
                + "oauth_url = \"http://api.box.com\"\nclient_id = \"c\"\nclient_secret = \"s\"\n",
            line: 12,
            "'box[0].oauth_url': 'http://api.box.com' uses plain http to a non-loopback host; use https (or set allow_insecure = true)"
        )
    }

    @Test func tomlSyntaxErrorCarriesLine() {
        guard let error = F.error(F.minimal + "[schedule]\nmax_ttl = \"30d\n") else { return }
        #expect(error.line == 9)
        #expect(error.description.hasPrefix("tokend: \(F.file):9: TOML syntax error: "))
    }

    @Test func accountPerTTLExceedsMax() {
        F.expectError(
            F.minimal + "[[fogbugz]]\nname = \"a\"\nbase_url = \"https://a.example.com\"\ndefault_ttl = \"31d\"\n",
            line: 11, "'fogbugz[0].default_ttl' (31d) exceeds 'schedule.max_ttl' (30d)")
    }

    @Test func errorRecordsKeyAndLine() {
        guard let error = F.error(F.minimal + "[[fogbugz]]\nname = \"a\"\nbogus = 1\n") else { return }
        #expect(error.key == "fogbugz[0].bogus")
        #expect(error.line == 10)
        #expect(error.file == F.file)
    }

    @Test func unreadableConfigFile() {
        do {
            _ = try ConfigLoader.load(path: "/nonexistent/tokend.toml", environment: [:])
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("tokend: /nonexistent/tokend.toml: cannot read configuration file"))
            #expect(!error.description.contains("\n"))
        }
    }

    /// A provider-level problem names the account key it is about and that key's line: the secret's spelling
    /// in use, or the account header for a key left to its default.
    @Test func accountCheckNamesTheKeyAndLine() throws {
        let directory = try F.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let keyFile = directory.appendingPathComponent("k")
        try Data("secret".utf8).write(to: keyFile)
        let box = F.minimal + "[[fogbugz]]\nname = \"f\"\nbase_url = \"https://f.example\"\ntimeout = \"1s\"\n"
            + "[[box]]\nname = \"b\"\nbase_url = \"https://b.example.com\"\napi_key_file = \"\(keyFile.path)\"\n"
        func failing(_ key: String, on name: String) -> ConfigLoader.AccountCheck {
            { account in account.name == name ? AccountProblem(key: key, message: "\(key) is wrong") : nil }
        }
        func expect(_ text: String, _ check: @escaping ConfigLoader.AccountCheck, line: Int, key: String) {
            do {
                _ = try ConfigLoader.parse(text: text, path: F.file, environment: [:], checkAccount: check)
                Issue.record("expected an error")
            } catch {
                #expect(error.key == key)
                #expect(error.line == line)
                #expect(error.description.hasPrefix("tokend: \(F.file):\(line): '\(key)': "))
            }
        }
        expect(box, failing("api_key", on: "b"), line: 15, key: "box[0].api_key_file")
        expect(box, failing("base_url", on: "b"), line: 14, key: "box[0].base_url")
        expect(box, failing("timeout", on: "f"), line: 11, key: "fogbugz[0].timeout")
        expect(box, failing("oauth_url", on: "b"), line: 12, key: "box[0].oauth_url")
        #expect(throws: Never.self) { try ConfigLoader.parse(text: box, path: F.file, environment: [:]) }
    }

    @Test func keyErrorNamesTheKeySourceAndLine() throws {
        let directory = try F.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("tokend.toml").path
        try Data(F.minimal.utf8).write(to: URL(fileURLWithPath: file))
        let error = ConfigLoader.keyError(file: file, key: .file("/var/lib/tokend/master.key"), message: "bad mode")
        #expect(error.description == "tokend: \(file):3: 'daemon.key_file': bad mode")
        let credential = ConfigLoader.keyError(file: file, key: .credential(name: "m", path: "/c/m"), message: "gone")
        #expect(credential.key == "daemon.key_credential")
        #expect(credential.line == 1)  // not in the file: the [daemon] header
    }
}
