import Foundation
import Logging
import Testing
import TokendCore
import TokendFakeProviders
import TokendProviders

/// FogBugz logon (docs/providers-logon.md): request builders, classifiers, and real HTTP against the fake.
@Suite("FogBugz logon")
struct LogonTests {
    static let account = Configuration.Account(
        name: "acme", api: .fogbugzXML, baseURL: "https://acme.fogbugz.com", timeout: .seconds(5))
    static let password = "p&ss w=rd+/%\"é"

    @Test("XML: POST form to the call prefix, password only in the body")
    func xmlRequest() {
        let request = FogBugzXMLLogon(callPrefix: "api.asp?id=abc&").makeRequest(
            account: Self.account, email: "me@example.com", password: Self.password)
        #expect(request.method == "POST")
        #expect(request.url == "https://acme.fogbugz.com/api.asp?id=abc")
        #expect(request.headers.contains(HeaderField("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")))
        #expect(request.bodyText == "cmd=logon&email=me%40example.com&password=p%26ss%20w%3Drd%2B%2F%25%22%C3%A9")
        #expect(!request.url.contains("password"))
        #expect(!request.description.contains("me%40"))
    }

    @Test("JSON: the envelope's logon command with escaped strings")
    func jsonRequest() throws {
        let request = FogBugzJSONLogon().makeRequest(account: Self.account, email: "me@example.com", password: Self.password)
        #expect(request.method == "POST")
        #expect(request.url == "https://acme.fogbugz.com/f/api/0/jsonapi")
        let decoded = try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: String]
        #expect(decoded == ["cmd": "logon", "email": "me@example.com", "password": Self.password])
    }

    static let xmlCases: [(status: Int, body: String, expected: LogonOutcome)] = [
        (200, "<response><token>24dsg34lok43un23</token></response>", .loggedOn(token: "24dsg34lok43un23")),
        (200, "\u{FEFF}\n<?xml version='1.0'?><response><token><![CDATA[ abc123 ]]></token></response>", .loggedOn(token: "abc123")),
        (200, "<response><error code=\"1\">Incorrect password or username</error></response>",
         .refused(code: 1, detail: "error code 1: Incorrect password or username", people: [])),
        (200, "<response>\n<error code=\"2\">Ambiguous Logon</error>\n<people>\n<person>John Hancock</person>\n<person>Fred Astaire</person>\n</people>\n</response>",
         .refused(code: 2, detail: "error code 2: Ambiguous Logon", people: ["John Hancock", "Fred Astaire"])),
        (200, "<response><error code=\"29\">Two-factor authentication is enabled</error></response>",
         .refused(code: 29, detail: "error code 29: Two-factor authentication is enabled", people: [])),
        (200, "<response><error code=\"28\">Maintenance</error></response>", .unavailable(detail: "error code 28: Maintenance")),
        (200, "<response><error>odd</error></response>", .unavailable(detail: "error without code: odd")),
        (200, "<response><error code=\"4\">Argument required</error></response>", .failed(detail: "error code 4: Argument required")),
        (200, "<response></response>", .failed(detail: "the logon answer carries no token")),
        (200, "<response><token>\u{01}bad</token></response>",
         .failed(detail: "the logon answer's token is not usable (too long or control characters)")),
        (200, "<html><body>portal</body></html>", .unavailable(detail: "unparseable body (HTTP 200)")),
        (200, "", .unavailable(detail: "unparseable body (HTTP 200)")),
        (503, "<response><token>x</token></response>", .unavailable(detail: "HTTP 503")),
        (404, "<html>Not Found</html>", .failed(detail: "HTTP 404 without provider envelope")),
    ]

    @Test("XML classification", arguments: 0..<xmlCases.count)
    func xmlClassification(index: Int) {
        let item = Self.xmlCases[index]
        #expect(FogBugzXMLLogon().classify(status: item.status, body: Array(item.body.utf8)) == item.expected)
    }

    static let jsonCases: [(status: Int, body: String, expected: LogonOutcome)] = [
        (200, #"{"data":{"token":"tok123"},"errors":[],"warnings":[]}"#, .loggedOn(token: "tok123")),
        (200, #"{"data":{},"errors":[{"message":"Error 1: Incorrect password or username","detail":null,"code":"1"}]}"#,
         .refused(code: 1, detail: "error code 1: Error 1: Incorrect password or username", people: [])),
        (400, #"{"data":{},"errors":[{"message":"Error 2: Ambiguous Logon","code":"2"}],"people":["A B","C D"],"errorCode":400}"#,
         .refused(code: 2, detail: "error code 2: Error 2: Ambiguous Logon", people: ["A B", "C D"])),
        (200, #"{"data":{"people":[{"sFullName":"E F"}]},"errors":[{"message":"Ambiguous","code":2}]}"#,
         .refused(code: 2, detail: "error code 2: Ambiguous", people: ["E F"])),
        (200, #"{"errors":[{"message":"maintenance","code":"28"}]}"#, .unavailable(detail: "error code 28: maintenance")),
        (200, #"{"data":{},"errors":[]}"#, .failed(detail: "the logon answer carries no token")),
        (200, #"{"data":{"token":""},"errors":[]}"#, .failed(detail: "the logon answer carries no token")),
        (200, "<html>proxy</html>", .unavailable(detail: "not a FogBugz JSON envelope (HTTP 200)")),
        (401, #"{"message":"nope"}"#, .failed(detail: "HTTP 401 without provider envelope")),
        (502, #"{"data":{"token":"x"}}"#, .unavailable(detail: "HTTP 502")),
        (302, "", .failed(detail: "redirect HTTP 302 not followed")),
    ]

    @Test("JSON classification", arguments: 0..<jsonCases.count)
    func jsonClassification(index: Int) {
        let item = Self.jsonCases[index]
        #expect(FogBugzJSONLogon().classify(status: item.status, body: Array(item.body.utf8)) == item.expected)
    }

    @Test("a redirect's Location query is not shown")
    func redirectQueryHidden() {
        let outcome = FogBugzXMLLogon().classify(
            status: 301, headers: [HeaderField("Location", "https://evil.example/x?password=hunter2")], body: [])
        #expect(outcome == .failed(detail: "redirect HTTP 301 not followed (Location: https://evil.example/x)"))
    }

    @Test("against the fake, both variants: good password, wrong password, ambiguous; the token then logs off",
          arguments: [ProviderAPI.fogbugzXML, .fogbugzJSON])
    func fakeLogon(api: ProviderAPI) async throws {
        let users = [
            FakeLogonUser(email: "me@example.com", password: Self.password, fullName: "Me Myself"),
            FakeLogonUser(email: "twin@example.com", password: "a", fullName: "Twin One"),
            FakeLogonUser(email: "twin@example.com", password: "b", fullName: "Twin Two"),
        ]
        let lines = CapturingLogHandler.Store()
        let logger = Logger(label: "test") { _ in CapturingLogHandler(store: lines) }
        try await Harness.run(options: FakeProviderOptions(logonUsers: users), logger: logger) { harness in
            let account = harness.account(api, apiPath: nil)  // XML: discovery first, as for logoff
            let good = await harness.clients.logon(account: account, email: "me@example.com", password: Self.password)
            guard case .loggedOn(let token) = good else {
                Issue.record("expected a token, got \(good)")
                return
            }
            #expect(harness.server.loggedOnTokens == [token])
            #expect(harness.server.isLive(token))
            let byName = await harness.clients.logon(account: account, email: "Me Myself", password: Self.password)
            if case .loggedOn = byName {} else { Issue.record("full name logon: \(byName)") }
            let wrong = await harness.clients.logon(account: account, email: "me@example.com", password: "nope")
            #expect(wrong.name == "refused")
            if case .refused(let code, _, _) = wrong { #expect(code == 1) }
            let ambiguous = await harness.clients.logon(account: account, email: "twin@example.com", password: "a")
            #expect(ambiguous == .refused(
                code: 2, detail: api == .fogbugzXML ? "error code 2: Ambiguous Logon" : "error code 2: Error 2: Ambiguous Logon",
                people: ["Twin One", "Twin Two"]))
            #expect(await harness.clients.logoff(account: account, token: token).outcome == .revoked)
            #expect(!harness.server.isLive(token))
            let sent = harness.server.calls.filter { $0.parameter("cmd") == "logon" || $0.bodyText.contains(#""cmd":"logon""#) }
            #expect(sent.count == 4)
            for call in sent {
                #expect(call.method == "POST")
                #expect(!call.query.contains("password"), "password in a URL")
            }
        }
        let logged = lines.all.joined(separator: "\n")
        #expect(logged.contains("provider logon"))
        #expect(!logged.contains(Self.password))
        #expect(!logged.contains("me@example.com"))
        #expect(!logged.contains("fblogon"), "issued token in a log line")
    }

    @Test("unreachable provider: unavailable, nothing secret in the detail")
    func unreachable() async throws {
        let account = Configuration.Account(
            name: "down", api: .fogbugzJSON, baseURL: "http://127.0.0.1:9", timeout: .seconds(2),
            connectTimeout: .seconds(1))
        let clients = ProviderClients(accounts: [account], logger: Harness.quietLogger)
        let outcome = await clients.logon(account: account, email: "me@example.com", password: Self.password)
        try await clients.shutdown()
        #expect(outcome.name == "unavailable")
        #expect(outcome.detail?.contains(Self.password) == false)
    }
}
