import Foundation
import Testing
import TokendClient

@Suite("tokenctl's parsing and formatting helpers")
struct CLISupportTests {
    @Test("durations", arguments: [
        ("8h", 28_800), ("30m", 1_800), ("10s", 10), ("1d", 86_400), ("2w", 1_209_600), ("1h30m", 5_400),
        ("1.5h", 5_400), ("90", 90), ("1d2h3m4s", 93_784),
    ])
    func durations(text: String, seconds: Int) throws {
        #expect(try DurationParser.seconds(text) == seconds)
    }

    @Test("bad durations are usage errors", arguments: ["", "8x", "h", "0", "-5", "0s", "1.5s", "8 h", "1h-2m"])
    func badDurations(text: String) {
        #expect(throws: UsageError.self) { try DurationParser.seconds(text) }
    }

    @Test("labels k=v, list filters k:v")
    func labels() throws {
        #expect(try LabelParser.map(["app=billing", "env=prod=eu"]) == ["app": "billing", "env": "prod=eu"])
        #expect(try LabelParser.map([]) == [:])
        #expect(throws: UsageError.self) { try LabelParser.map(["app"]) }
        #expect(throws: UsageError.self) { try LabelParser.map(["=x"]) }
        #expect(throws: UsageError.self) { try LabelParser.map(["a=1", "a=2"]) }
        #expect(try LabelParser.listFilter("app:billing") == "app:billing")
        #expect(try LabelParser.listFilter("app=billing") == "app:billing")
        #expect(try LabelParser.listFilter("url:http://x") == "url:http://x")
        #expect(throws: UsageError.self) { try LabelParser.listFilter("nolabel") }
    }

    @Test("global options move from before the verb to after it")
    func normalize() {
        let n = ArgumentNormalizer.normalize
        #expect(n(["--json", "list", "--owner", "a"]) == ["list", "--json", "--owner", "a"])
        #expect(n(["--socket", "/s", "--json", "show", "tok_1"]) == ["show", "--socket", "/s", "--json", "tok_1"])
        #expect(n(["--socket=/s", "status"]) == ["status", "--socket=/s"])
        #expect(n(["list", "--json"]) == ["list", "--json"])
        #expect(n(["show", "--socket", "/s", "x"]) == ["show", "--socket", "/s", "x"])
        #expect(n(["--json", "--help"]) == ["--help"])
        #expect(n(["--json", "help", "list"]) == ["help", "list"])
        #expect(n(["--json"]) == ["--json"])
        #expect(n(["--socket"]) == ["--socket"])
        #expect(n(["--socket", "list"]) == ["--socket", "list"])
        #expect(n([]) == [])
    }

    @Test("tables are aligned without trailing blanks")
    func table() {
        let text = TextTable.render(
            header: ["ID", "STATE", "EXPIRES"],
            rows: [["tok_1", "active", "2026-01-01T00:00:00Z"], ["tok_22222", "revoked"]])
        #expect(text == """
            ID         STATE    EXPIRES
            tok_1      active   2026-01-01T00:00:00Z
            tok_22222  revoked

            """)
    }

    @Test("token input strips exactly one trailing newline")
    func tokenInput() throws {
        #expect(try TokenInput.token(from: Data("abc\n".utf8)) == "abc")
        #expect(try TokenInput.token(from: Data("abc\r\n".utf8)) == "abc")
        #expect(try TokenInput.token(from: Data("abc\n\n".utf8)) == "abc\n")
        #expect(try TokenInput.token(from: Data("abc ".utf8)) == "abc ")
        #expect(try TokenInput.token(from: Data("abc".utf8)) == "abc")
        #expect(throws: UsageError.self) { try TokenInput.token(from: Data("\n".utf8)) }
        #expect(throws: UsageError.self) { try TokenInput.token(from: Data()) }
        #expect(throws: UsageError.self) { try TokenInput.token(from: Data([0xFF, 0xFE])) }
    }

    @Test("exit statuses follow the contract")
    func exitStatuses() {
        #expect(ExitStatus.forError(UsageError("x")) == .usage)
        #expect(ExitStatus.forError(ControlClientError.cannotConnect(path: "/p", reason: "r")) == .cannotConnect)
        #expect(ExitStatus.forError(ControlClientError.protocolError("x")) == .daemonError)
        #expect(ExitStatus.forError(ControlAPIError(status: 404, code: "not_found", message: "m")) == .daemonError)
        #expect(ExitStatus.forParserExitCode(0) == .ok)
        #expect(ExitStatus.forParserExitCode(64) == .usage)
        #expect(ExitStatus.forParserExitCode(1) == .daemonError)
        #expect(ExitStatus.ok.rawValue == 0 && ExitStatus.daemonError.rawValue == 1)
        #expect(ExitStatus.usage.rawValue == 2 && ExitStatus.cannotConnect.rawValue == 3)
    }

    @Test("query strings escape everything but unreserved characters")
    func queryStrings() {
        #expect(QueryEncoding.escape("AZaz09-._~") == "AZaz09-._~")
        #expect(QueryEncoding.escape("a b+c/d?e#f%") == "a%20b%2Bc%2Fd%3Fe%23f%25")
        #expect(QueryEncoding.target(path: "/v1/tokens", query: []) == "/v1/tokens")
        #expect(QueryEncoding.target(path: "/v1/audit", query: [("since", "2026-01-01T00:00:00+01:00")])
            == "/v1/audit?since=2026-01-01T00%3A00%3A00%2B01%3A00")
    }

    static let record = """
        {"id":"tok_1","provider":"box","account":"main","owner":"alice","labels":{"env":"prod","app":"billing"},
         "state":"active","fingerprint":"hmac-sha256:ab","issued_at":"2026-01-01T00:00:00Z",
         "expires_at":"2026-01-01T08:00:00Z","last_renewed_at":null,"registered_by_uid":1000,"attempts":0,
         "next_attempt_at":null,"last_error":null,"revoked_at":null,"revocation_reason":null,
         "warnings":[{"code":"ttl_clamped","message":"TTL clamped to 30d"}]}
        """

    @Test("a record renders as an aligned key: value block in contract order")
    func recordBlock() throws {
        let value = try JSONValue.parse(Data(Self.record.utf8))
        let text = RecordFormatter.block(value, order: RecordFormatter.tokenFieldOrder, omit: ["warnings"])
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first == "id:                tok_1")
        #expect(lines.contains("labels:            app=billing, env=prod"))
        #expect(lines.contains("last_renewed_at:   -"))
        #expect(lines.contains("registered_by_uid: 1000"))
        #expect(!text.contains("warnings"))
        #expect(lines.map { $0.prefix(while: { $0 != ":" }) }
            == ["id", "provider", "account", "owner", "labels", "state", "fingerprint", "issued_at", "expires_at",
                "last_renewed_at", "registered_by_uid", "attempts", "next_attempt_at", "last_error", "revoked_at",
                "revocation_reason"])
        #expect(RecordFormatter.tokenRow(value) == ["tok_1", "box", "main", "alice", "active", "2026-01-01T08:00:00Z"])
        let warning = try #require(value["warnings"]?.arrayValue?.first)
        #expect(RecordFormatter.warningText(warning) == "TTL clamped to 30d (ttl_clamped)")
    }

    @Test("nested status bodies flatten to dotted keys")
    func nested() throws {
        let value = try JSONValue.parse(Data("""
            {"version":"1.0","hold":false,"hold_reason":null,"counts":{"by_state":{"active":3}},
             "providers":[{"name":"acme","error_rate":0.25}],"db_bytes":4096}
            """.utf8))
        let fields = RecordFormatter.fields(value, order: RecordFormatter.statusFieldOrder)
        #expect(fields.map(\.0) == ["version", "hold", "hold_reason", "counts.by_state.active", "db_bytes",
                                    "providers[0].error_rate", "providers[0].name"])
        #expect(fields.map(\.1) == ["1.0", "false", "-", "3", "4096", "0.25", "acme"])
    }

    @Test("audit rows and job progress")
    func auditAndJob() throws {
        let event = try JSONValue.parse(Data("""
            {"id":7,"at":"2026-01-01T00:00:00Z","token_id":"tok_1","action":"attempt",
             "actor":{"system":"scheduler"},"provider_status":200,"duration_ms":12,"attempt":2}
            """.utf8))
        #expect(RecordFormatter.auditRow(event)
            == ["7", "2026-01-01T00:00:00Z", "tok_1", "attempt", "scheduler", "attempt 2; HTTP 200; 12 ms"])
        #expect(RecordFormatter.actorText(.object(["uid": .integer(1000), "pid": .integer(42), "role": .string("client")]))
            == "uid 1000 (client, pid 42)")
        let job = try JSONValue.parse(Data("""
            {"id":"job_1","state":"running","matched":10,"revoked":3,"already_revoked":1,"failed":1,"pending":5}
            """.utf8))
        #expect(RecordFormatter.jobProgressLine(job)
            == "job_1: running, 5/10 settled (revoked 3, already revoked 1, failed 1, pending 5)")
    }

    @Test("JSON values keep integers, booleans and nulls apart")
    func jsonValues() throws {
        let value = try JSONValue.parse(Data(#"{"a":1,"b":true,"c":null,"d":1.5,"e":"x","f":[1]}"#.utf8))
        #expect(value["a"] == .integer(1))
        #expect(value["b"] == .bool(true))
        #expect(value["c"] == .null)
        #expect(value["d"] == .number(1.5))
        #expect(value["e"]?.stringValue == "x")
        #expect(value["f"]?.arrayValue == [.integer(1)])
        #expect(value.compactJSON == #"{"a":1,"b":true,"c":null,"d":1.5,"e":"x","f":[1]}"#)
    }
}
