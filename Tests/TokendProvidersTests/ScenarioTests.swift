import Foundation
import Logging
import Testing
import TokendCore
import TokendFakeProviders
import TokendProviders

/// providers.md §6: fake-server test cases, through the public client API and real HTTP.
@Suite("Fake-server scenarios")
struct ScenarioTests {
    static let nastyToken = "a&b<c+/=%"

    @Test("§6.5 token a&b<c+/=% arrives intact", arguments: ProviderAPI.allCases)
    func encodingArrivesIntact(api: ProviderAPI) async throws {
        try await Harness.run { harness in
            harness.server.issue(Self.nastyToken)
            let result = await harness.logoff(api, Self.nastyToken)
            #expect(result.outcome == .revoked)
            let calls = harness.server.calls.filter { $0.endpoint.isLogoff }
            #expect(calls.count == 1)
            #expect(calls.first?.token == Self.nastyToken)
            #expect(!harness.server.isLive(Self.nastyToken))
        }
    }

    @Test("§6.1 api.xml prefix api.asp?id=abc& is used and cached")
    func discoveryPrefix() async throws {
        try await Harness.run(options: FakeProviderOptions(apiXMLPrefix: "api.asp?id=abc&")) { harness in
            harness.server.issue("t1")
            harness.server.issue("t2")
            let account = harness.account(.fogbugzXML, apiPath: nil)
            #expect(await harness.clients.logoff(account: account, token: "t1").outcome == .revoked)
            #expect(await harness.clients.logoff(account: account, token: "t2").outcome == .revoked)
            let calls = harness.server.calls
            #expect(calls.filter { $0.endpoint == .apiXML }.count == 1)
            let logoffs = calls.filter { $0.endpoint == .fogbugzXML }
            #expect(logoffs.count == 2)
            for call in logoffs {
                #expect(call.method == "POST")
                #expect(call.path == "/api.asp")
                #expect(call.query == "id=abc")
                #expect(call.bodyText.hasPrefix("cmd=logoff&token="))
                #expect(call.parameter("id") == "abc")
            }
            // The same prefix in GET form yields exactly api.asp?id=abc&cmd=logoff&token=…
            let get = FogBugzXMLLogoff(callPrefix: "api.asp?id=abc&", form: .get).makeRequest(account: account, token: "t")
            #expect(get.url == harness.server.baseURL + "/api.asp?id=abc&cmd=logoff&token=t")
        }
    }

    @Test("api.xml failures classify like the logoff", arguments: [
        (FakeFault.status(503), "transient"), (.status(500), "transient"), (.html(status: 404), "permanent"),
        (.html(), "permanent"), (.body("<response><version>8</version></response>"), "permanent"),
        (.body("<response><minversion>9</minversion><url>api.asp?</url></response>"), "permanent"),
        (.redirect(location: "https://x.example/api.xml?q=1"), "permanent"), (.hang, "transient"),
    ])
    func discoveryFailures(fault: FakeFault, expected: String) async throws {
        try await Harness.run(timeout: fault == .hang ? .milliseconds(400) : .seconds(5)) { harness in
            harness.server.issue("t")
            harness.server.script(fault, path: "/api.xml")
            let account = harness.account(.fogbugzXML, apiPath: nil)
            let first = await harness.clients.logoff(account: account, token: "t")
            #expect(first.outcome.name == expected, "\(first.outcome)")
            #expect(first.outcome.detail?.hasPrefix("api.xml") == true)
            #expect(harness.server.isLive("t"))
            // Failure is not cached: the next attempt rediscovers and succeeds.
            if fault == .hang { return }
            let second = await harness.clients.logoff(account: account, token: "t")
            #expect(second.outcome == .revoked)
        }
    }

    @Test("§6.8 a second logoff is already_revoked", arguments: ProviderAPI.allCases)
    func secondLogoff(api: ProviderAPI) async throws {
        try await Harness.run { harness in
            harness.server.issue("once")
            #expect(await harness.logoff(api, "once").outcome == .revoked)
            let second = await harness.logoff(api, "once")
            // RFC 7009: OAuth2 answers 200 for an invalid token, indistinguishable from revoked.
            #expect(second.outcome.name == (api == .boxOAuth2 ? "revoked" : "already_revoked"))
            #expect(harness.server.logoffCount(of: "once") == 2)
        }
    }

    @Test("§6.8 301 to another host is permanent, not followed, token not resent", arguments: ProviderAPI.allCases)
    func redirectNotFollowed(api: ProviderAPI) async throws {
        let other = try await FakeProviderServer.start()
        try await Harness.run { harness in
            harness.server.issue("secret-token")
            harness.server.script(.redirect(location: other.baseURL + "/api.asp?cmd=logoff&token=secret-token"))
            let result = await harness.logoff(api, "secret-token")
            #expect(result.outcome.name == "permanent")
            #expect(result.httpStatus == 301)
            #expect(result.outcome.detail?.contains(other.baseURL + "/api.asp") == true)
            #expect(result.outcome.detail?.contains("secret-token") == false)
            #expect(other.callCount == 0)
            #expect(harness.server.callCount == 1)
        }
        try await other.shutdown()
    }

    @Test("§6.7 Retry-After delta-seconds and HTTP-date", arguments: [503, 429])
    func retryAfter(status: Int) async throws {
        try await Harness.run { harness in
            harness.server.issue("t")
            harness.server.script(.status(status, retryAfter: "120"))
            let seconds = await harness.logoff(.boxOAuth2, "t")
            #expect(seconds.outcome.name == "transient")
            #expect(seconds.outcome.retryAfter == .seconds(120))

            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
            let date = formatter.string(from: Date().addingTimeInterval(90))
            harness.server.script(.status(status, retryAfter: date))
            let dated = await harness.logoff(.fogbugzJSON, "t")
            let after = try #require(dated.outcome.retryAfter)
            #expect(after >= .seconds(85) && after <= .seconds(91), "\(after)")

            harness.server.script(.status(502, retryAfter: "30"))
            #expect(await harness.logoff(.boxREST, "t").outcome == .transient(detail: "HTTP 502", retryAfter: nil))
        }
    }

    @Test("§6.6 SOAP request carries SOAPAction and auth_token")
    func soapRequestShape() async throws {
        try await Harness.run { harness in
            harness.server.issue("soap-token")
            #expect(await harness.logoff(.boxSOAP, "soap-token").outcome == .revoked)
            let call = try #require(harness.server.calls.first)
            #expect(call.method == "POST")
            #expect(call.path == "/api/1.0/soap")
            #expect(call.header("SOAPAction") == "\"urn:boxnet#Box_SoapApi#logout\"")
            #expect(call.header("Content-Type") == "text/xml; charset=utf-8")
            #expect(call.bodyText.contains("<auth_token xsi:type=\"xsd:string\">soap-token</auth_token>"))
            #expect(call.apiKey == Harness.apiKey)
        }
    }

    @Test("Wire shape seen by the server", arguments: ProviderAPI.allCases)
    func wireShape(api: ProviderAPI) async throws {
        try await Harness.run { harness in
            harness.server.issue("tk")
            _ = await harness.logoff(api, "tk")
            let call = try #require(harness.server.calls.last)
            switch api {
            case .fogbugzXML:
                #expect(call.method == "POST" && call.path == "/api.asp" && call.query.isEmpty)
                #expect(call.bodyText == "cmd=logoff&token=tk")
            case .fogbugzJSON:
                #expect(call.method == "POST" && call.path == "/f/api/0/jsonapi" && call.query.isEmpty)
                #expect(call.bodyText == #"{"cmd":"logoff","token":"tk"}"#)
                #expect(call.header("Content-Type") == "application/json")
            case .boxREST:
                #expect(call.method == "GET" && call.path == "/api/1.0/rest")
                #expect(call.query == "action=logout&api_key=test-api-key&auth_token=tk")
                #expect(call.body.isEmpty)
            case .boxXML:
                #expect(call.method == "POST" && call.path == "/api/1.0/xml")
                #expect(call.bodyText.hasSuffix("<auth_token>tk</auth_token></request>"))
            case .boxSOAP:
                #expect(call.method == "POST" && call.path == "/api/1.0/soap")
            case .boxOAuth2:
                #expect(call.method == "POST" && call.path == "/oauth2/revoke")
                #expect(call.bodyText == "client_id=test-client-id&client_secret=test-client-secret&token=tk")
            }
            #expect(call.header("User-Agent") == ProviderClients.userAgent)
        }
    }

    @Test("probe sends a random invalid token", arguments: ProviderAPI.allCases)
    func probe(api: ProviderAPI) async throws {
        try await Harness.run { harness in
            let result = await harness.clients.probe(account: harness.account(api))
            #expect(result.outcome.name == (api == .boxOAuth2 ? "revoked" : "already_revoked"))
            #expect(result.httpStatus == 200)
            let token = try #require(harness.server.calls.last?.token)
            #expect(token.hasPrefix("tokend-probe-") && token.count > 25)
        }
    }

    @Test("fail the next N calls, then recover; fixed delay is honoured")
    func failNextAndDelay() async throws {
        try await Harness.run { harness in
            harness.server.issue("t")
            harness.server.failNext(2, status: 503, retryAfter: "1")
            #expect(await harness.logoff(.fogbugzJSON, "t").outcome.name == "transient")
            #expect(await harness.logoff(.fogbugzJSON, "t").outcome.name == "transient")
            harness.server.setDelay(.milliseconds(150))
            let result = await harness.logoff(.fogbugzJSON, "t")
            #expect(result.outcome == .revoked)
            #expect(result.duration >= .milliseconds(140))
            #expect(harness.server.logoffCount(of: "t") == 3)
        }
    }

    @Test("tokens and secrets never reach the logs")
    func noSecretsInLogs() async throws {
        let store = CapturingLogHandler.Store()
        var logger = Logger(label: "capture") { _ in CapturingLogHandler(store: store) }
        logger.logLevel = .trace
        try await Harness.run(timeout: .milliseconds(300), logger: logger) { harness in
            let token = "SuperSecretToken123"
            for api in ProviderAPI.allCases {
                harness.server.script(.redirect(location: "https://x.example/p?token=\(token)"))
                _ = await harness.logoff(api, token)
                harness.server.script(.hang)
                _ = await harness.logoff(api, token)
                harness.server.script(.errorCode(token))
                _ = await harness.logoff(api, token)
                _ = await harness.logoff(api, token)
            }
        }
        let lines = store.all
        #expect(lines.count >= 24)
        for line in lines {
            #expect(!line.contains("SuperSecretToken123"), "\(line)")
            #expect(!line.contains(Harness.apiKey) && !line.contains(Harness.clientSecret), "\(line)")
            #expect(!line.contains("?"), "URL with query logged: \(line)")
        }
    }

    /// Regression: AHC 1.37 trapped ("A connection that we don't know was released?") when a POST's answer ended
    /// before its request end was written on a connection of another event loop, and the connection closed before
    /// the pool heard it was idle again — here `shutdown()` right after the last answer. Requests now run on their
    /// connection's event loop (ProviderClients.send).
    @Test("POSTs reusing a connection, then shutdown at once, do not trap the connection pool")
    func postsThenShutdown() async throws {
        // Several harnesses at once keep both event loops busy, which widens the window.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<8 {
                group.addTask {
                    for round in 0..<10 {
                        try await Harness.run { harness in
                            for api in [ProviderAPI.fogbugzJSON, .boxXML, .boxSOAP, .boxOAuth2] {
                                let token = "t\(lane)-\(round)-\(api.rawValue)"
                                harness.server.issue(token)
                                #expect(await harness.logoff(api, token).outcome == .revoked)
                            }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    @Test("plain http to a non-loopback host is refused without a request")
    func insecureRefused() async throws {
        try await Harness.run { harness in
            var account = harness.account(.boxREST)
            account.baseURL = "http://box.example/api/1.0"
            let result = await harness.clients.logoff(account: account, token: "t")
            #expect(result.outcome.name == "permanent")
            #expect(result.httpStatus == nil)
            #expect(harness.server.callCount == 0)
        }
    }
}
