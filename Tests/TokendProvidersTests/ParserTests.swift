import Testing
import TokendCore
import TokendProviders

@Suite("Tolerant parsers, Retry-After, URLs, validation")
struct ParserTests {
    @Test func xmlToleratesBOMDeclarationsCDATAPrefixesAndComments() throws {
        let text = "\u{FEFF}  \n<?xml version='1.0' encoding='UTF-8' ?><!-- c --><!DOCTYPE response>"
            + "<ns1:response xmlns:ns1='urn:x'><ns1:status a = \"1\">  <![CDATA[ok<&>]]> &amp;&#65;&#x42;&bogus; </ns1:status><x/></ns1:response>trailing"
        let root = try #require(TolerantXML.parse(Array(text.utf8)))
        #expect(root.name == "response")
        #expect(root.child("status")?.trimmedText == "ok<&> &AB&bogus;")
        #expect(root.child("status")?.attribute("a") == "1")
        #expect(root.children.count == 2)
    }

    @Test func xmlDoesNotExpandDTDEntities() throws {
        let text = #"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd"><!ENTITY b "boom">]><response><status>&xxe;&b;</status></response>"#
        let root = try #require(TolerantXML.parse(Array(text.utf8)))
        #expect(root.child("status")?.text == "&xxe;&b;")
    }

    @Test(arguments: [
        "", "   ", "<", "<response>", "<response></other>", "<!DOCTYPE html><html><body><br></body></html>",
        "not xml", "<response><![CDATA[x</response>", "<a b=c></a>", "\u{FEFF}",
    ])
    func xmlRejectsGarbage(text: String) {
        #expect(TolerantXML.parse(Array(text.utf8)) == nil)
    }

    @Test func xmlDepthIsLimited() {
        let deep = String(repeating: "<a>", count: 10_000) + String(repeating: "</a>", count: 10_000)
        #expect(TolerantXML.parse(Array(deep.utf8)) == nil)
    }

    @Test func json() throws {
        let text = "\u{FEFF} {\"errors\":[{\"code\":\"3\",\"message\":\"\\u00e9\\ud83d\\ude00\\n\"}],\"n\":-1.5e3,\"t\":true,\"z\":null} "
        let value = try #require(TolerantJSON.parse(Array(text.utf8)))
        guard case .array(let errors)? = value["errors"] else { Issue.record("no errors"); return }
        #expect(errors.first?["code"] == .string("3"))
        #expect(errors.first?["message"]?.stringValue == "é😀\n")
        #expect(value["n"] == .number("-1.5e3"))
        #expect(TolerantJSON.parse(Array("{\"a\":1".utf8)) == nil)
        #expect(TolerantJSON.parse(Array("{\"a\":1}x".utf8)) == nil)
        #expect(TolerantJSON.parse(Array((String(repeating: "[", count: 5000)).utf8)) == nil)
        #expect(TolerantJSON.parse(Array("\"\\ud800\"".utf8)) == .string("\u{FFFD}"))
    }

    @Test func retryAfter() {
        let now: Int64 = 784_111_777  // Sun, 06 Nov 1994 08:49:37 GMT
        #expect(RetryAfter.httpDate("Sun, 06 Nov 1994 08:49:37 GMT") == now)
        #expect(RetryAfter.httpDate("Sunday, 06-Nov-94 08:49:37 GMT") == now)
        #expect(RetryAfter.httpDate("Sun Nov  6 08:49:37 1994") == now)
        #expect(RetryAfter.parse("120", now: now) == .seconds(120))
        #expect(RetryAfter.parse(" 0 ", now: now) == .zero)
        #expect(RetryAfter.parse("99999999999999999999", now: now) == RetryAfter.maximum)
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:51:37 GMT", now: now) == .seconds(120))
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:00:00 GMT", now: now) == .zero)
        #expect(RetryAfter.parse("Mon, 06 Nov 2095 08:00:00 GMT", now: now) == RetryAfter.maximum)
        #expect(RetryAfter.parse("-5", now: now) == nil)
        #expect(RetryAfter.parse("soon", now: now) == nil)
    }

    @Test func endpointURL() {
        #expect(EndpointURL("http://127.0.0.1:8080/x")?.isLoopback == true)
        #expect(EndpointURL("http://127.5.4.3")?.isLoopback == true)
        #expect(EndpointURL("http://[::1]:99/x")?.isLoopback == true)
        #expect(EndpointURL("http://LOCALHOST/x")?.isLoopback == true)
        #expect(EndpointURL("http://127.0.0.1.evil.com/")?.isLoopback == false)
        #expect(EndpointURL("http://user@example.com:443/")?.host == "example.com")
        #expect(EndpointURL("example.com/x") == nil)
        #expect(EndpointURL("https://:80/") == nil)
        #expect(EndpointURL.stripQuery("https://h/p?token=x#f") == "https://h/p")
        #expect(EndpointURL.join("https://h/api/1.0/", "/rest") == "https://h/api/1.0/rest")
    }

    @Test func validation() {
        func account(_ api: ProviderAPI, _ base: String, insecure: Bool = false) -> Configuration.Account {
            Configuration.Account(name: "a", api: api, baseURL: base, apiKey: Secret("k"), oauthURL: nil,
                                  clientID: "c", clientSecret: Secret("s"), allowInsecure: insecure)
        }
        #expect(ProviderClients.validate(account: account(.boxREST, "https://www.box.net/api/1.0")) == nil)
        #expect(ProviderClients.validate(account: account(.boxREST, "http://127.0.0.1:9/api/1.0")) == nil)
        #expect(ProviderClients.validate(account: account(.fogbugzXML, "http://localhost:9")) == nil)
        #expect(ProviderClients.validate(account: account(.fogbugzXML, "http://fb.example"))?.message.contains("allow_insecure") == true)
        #expect(ProviderClients.validate(account: account(.fogbugzXML, "http://fb.example"))?.key == "base_url")
        #expect(ProviderClients.validate(account: account(.fogbugzXML, "http://fb.example", insecure: true)) == nil)
        #expect(ProviderClients.validate(account: account(.fogbugzJSON, "ftp://fb.example")) != nil)
        #expect(ProviderClients.validate(account: account(.fogbugzJSON, "fb.example")) != nil)
        #expect(ProviderClients.validate(account: account(.fogbugzJSON, "https://fb.example/?a=b")) != nil)
        var noKey = account(.boxSOAP, "https://box.example")
        noKey.apiKey = nil
        #expect(ProviderClients.validate(account: noKey) == AccountProblem(key: "api_key", message: "api_key is required for Box soap"))
        var oauth = account(.boxOAuth2, "https://box.example")
        oauth.oauthURL = "http://api.box.com"
        #expect(ProviderClients.validate(account: oauth)?.key == "oauth_url")
        oauth.oauthURL = "https://api.box.com"
        #expect(ProviderClients.validate(account: oauth) == nil)
        oauth.clientSecret = nil
        #expect(ProviderClients.validate(account: oauth)?.key == "client_secret")
        var slow = account(.fogbugzJSON, "https://fb.example")
        slow.timeout = .zero
        #expect(ProviderClients.validate(account: slow)?.key == "timeout")
        var badPath = account(.fogbugzXML, "https://fb.example")
        badPath.apiPath = "https://evil.example/api.asp?"
        #expect(ProviderClients.validate(account: badPath)?.key == "api_path")
    }

    @Test func classifiersNeverRevokeOddBodies() {
        let variants: [any LogoffVariant] = [
            FogBugzXMLLogoff(), FogBugzJSONLogoff(), BoxRESTLogout(), BoxXMLLogout(), BoxSOAPLogout(),
        ]
        let bodies = ["", " ", "<html></html>", "{}", "null", "<response><error code=\"3\">x</error>",
                      "<Envelope><Body/></Envelope>", "<response><status></status></response>"]
        for variant in variants {
            for body in bodies {
                let outcome = variant.classify(status: 200, body: Array(body.utf8))
                if variant.api == .fogbugzXML, body.hasPrefix("<response><status>") { continue }
                // providers.md §2: a 2xx JSON object without `errors` is FogBugz JSON's revoked answer.
                if variant.api == .fogbugzJSON, body == "{}" {
                    #expect(outcome == .revoked)
                    continue
                }
                #expect(outcome != .revoked, "\(variant.api) \(body)")
            }
        }
    }

    @Test func statusPolicy() {
        let redirect = ProviderResponse(status: 308, headers: [HeaderField("location", "https://a.example/b?token=1")])
        #expect(StatusPolicy.preclassify(redirect) == .permanent(detail: "redirect HTTP 308 not followed (Location: https://a.example/b)"))
        let busy = ProviderResponse(status: 503, headers: [HeaderField("Retry-After", "5")])
        #expect(StatusPolicy.preclassify(busy) == .transient(detail: "HTTP 503", retryAfter: .seconds(5)))
        #expect(StatusPolicy.preclassify(ProviderResponse(status: 102))?.name == "transient")
        #expect(StatusPolicy.preclassify(ProviderResponse(status: 200)) == nil)
    }
}
