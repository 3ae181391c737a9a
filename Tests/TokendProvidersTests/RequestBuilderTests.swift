import Testing
import TokendCore
import TokendProviders

/// The exact bytes each variant's builder produces (providers.md §1–§4), independent of any I/O.
@Suite("Request builders")
struct RequestBuilderTests {
    static let token = "a&b<c+/=%"
    static let encoded = "a%26b%3Cc%2B%2F%3D%25"

    static func account(_ api: ProviderAPI, base: String) -> Configuration.Account {
        Configuration.Account(
            name: "x", api: api, baseURL: base, apiKey: Secret("K&<\"'"), oauthURL: "https://api.box.com/",
            clientID: "client id", clientSecret: Secret("s+c/=")
        )
    }

    @Test func fogbugzXMLPostForm() {
        let request = FogBugzXMLLogoff(callPrefix: "api.asp?")
            .makeRequest(account: Self.account(.fogbugzXML, base: "https://acme.fogbugz.com"), token: Self.token)
        #expect(request.method == "POST")
        #expect(request.url == "https://acme.fogbugz.com/api.asp")
        #expect(request.headers == [HeaderField("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")])
        #expect(request.bodyText == "cmd=logoff&token=\(Self.encoded)")
        #expect(request.description == "POST https://acme.fogbugz.com/api.asp")
    }

    @Test func fogbugzXMLPostKeepsMultiHomedPrefixQuery() {
        let request = FogBugzXMLLogoff(callPrefix: "api.asp?id=abc&")
            .makeRequest(account: Self.account(.fogbugzXML, base: "https://acme.fogbugz.com/"), token: Self.token)
        #expect(request.url == "https://acme.fogbugz.com/api.asp?id=abc")
        #expect(request.bodyText == "cmd=logoff&token=\(Self.encoded)")
        #expect(request.redactedURL == "https://acme.fogbugz.com/api.asp")
    }

    @Test(arguments: [
        ("api.asp?", "https://fb.example/api.asp?cmd=logoff&token="),
        ("api.php?", "https://fb.example/api.php?cmd=logoff&token="),
        ("api.asp?id=abc&", "https://fb.example/api.asp?id=abc&cmd=logoff&token="),
        ("api.asp?id=abc", "https://fb.example/api.asp?id=abc&cmd=logoff&token="),
        ("api.asp", "https://fb.example/api.asp?cmd=logoff&token="),
    ])
    func fogbugzXMLGetForm(prefix: String, expected: String) {
        let request = FogBugzXMLLogoff(callPrefix: prefix, form: .get)
            .makeRequest(account: Self.account(.fogbugzXML, base: "https://fb.example"), token: Self.token)
        #expect(request.method == "GET")
        #expect(request.url == expected + Self.encoded)
        #expect(request.body.isEmpty)
        #expect(!request.description.contains("token"))
    }

    @Test func fogbugzDiscovery() {
        let request = FogBugzDiscovery.makeRequest(account: Self.account(.fogbugzXML, base: "https://fb.example/"))
        #expect(request.method == "GET")
        #expect(request.url == "https://fb.example/api.xml")
    }

    @Test func fogbugzJSON() {
        let request = FogBugzJSONLogoff()
            .makeRequest(account: Self.account(.fogbugzJSON, base: "https://acme.fogbugz.com"), token: Self.token)
        #expect(request.method == "POST")
        #expect(request.url == "https://acme.fogbugz.com/f/api/0/jsonapi")
        #expect(request.headers == [HeaderField("Content-Type", "application/json")])
        #expect(request.bodyText == #"{"cmd":"logoff","token":"a&b<c+/=%"}"#)
    }

    @Test func fogbugzJSONEscapesQuotesBackslashesAndControls() {
        let request = FogBugzJSONLogoff()
            .makeRequest(account: Self.account(.fogbugzJSON, base: "https://x"), token: "q\"b\\s\n\u{1}é")
        #expect(request.bodyText == #"{"cmd":"logoff","token":"q\"b\\s\n\u0001é"}"#)
    }

    @Test func boxREST() {
        let request = BoxRESTLogout()
            .makeRequest(account: Self.account(.boxREST, base: "https://www.box.net/api/1.0"), token: Self.token)
        #expect(request.method == "GET")
        #expect(
            request.url
                == "https://www.box.net/api/1.0/rest?action=logout&api_key=K%26%3C%22%27&auth_token=\(Self.encoded)")
        #expect(request.body.isEmpty)
        #expect(request.description == "GET https://www.box.net/api/1.0/rest")
    }

    @Test func boxXML() {
        let request = BoxXMLLogout()
            .makeRequest(account: Self.account(.boxXML, base: "https://www.box.net/api/1.0/"), token: Self.token)
        #expect(request.method == "POST")
        #expect(request.url == "https://www.box.net/api/1.0/xml")
        #expect(request.headers == [HeaderField("Content-Type", "text/xml; charset=utf-8")])
        #expect(
            request.bodyText
                == #"<?xml version="1.0" encoding="UTF-8"?><request><action>logout</action><api_key>K&amp;&lt;&quot;&apos;</api_key><auth_token>a&amp;b&lt;c+/=%</auth_token></request>"#
        )
    }

    @Test func boxSOAP() {
        let request = BoxSOAPLogout()
            .makeRequest(account: Self.account(.boxSOAP, base: "https://www.box.net/api/1.0"), token: Self.token)
        #expect(request.method == "POST")
        #expect(request.url == "https://www.box.net/api/1.0/soap")
        #expect(
            request.headers == [
                HeaderField("Content-Type", "text/xml; charset=utf-8"),
                HeaderField("SOAPAction", "\"urn:boxnet#Box_SoapApi#logout\""),
            ])
        let expected =
            #"<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:SOAP-ENC="http://schemas.xmlsoap.org/soap/encoding/" xmlns:ns4="urn:boxnet" SOAP-ENV:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><SOAP-ENV:Body><ns4:logout><api_key xsi:type="xsd:string">K&amp;&lt;&quot;&apos;</api_key><auth_token xsi:type="xsd:string">a&amp;b&lt;c+/=%</auth_token></ns4:logout></SOAP-ENV:Body></SOAP-ENV:Envelope>"#
        #expect(request.bodyText == expected)
        #expect(!request.bodyText.contains("<sid"))
        // The body is itself readable by our own tolerant parser.
        let root = TolerantXML.parse(request.body)
        #expect(root?.descendant("auth_token")?.text == Self.token)
    }

    @Test func boxOAuth2() {
        let request = BoxOAuth2Revoke()
            .makeRequest(account: Self.account(.boxOAuth2, base: "https://www.box.net/api/1.0"), token: Self.token)
        #expect(request.method == "POST")
        #expect(request.url == "https://api.box.com/oauth2/revoke")
        #expect(request.headers.first(named: "content-type") == "application/x-www-form-urlencoded")
        #expect(request.bodyText == "client_id=client%20id&client_secret=s%2Bc%2F%3D&token=\(Self.encoded)")
        #expect(!request.bodyText.contains("grant_type"))
    }

    @Test func encodingHelpers() {
        #expect(WireEncoding.percentEncode("AZaz09-._~ é") == "AZaz09-._~%20%C3%A9")
        #expect(WireEncoding.xmlEscape(#"&<>"'x"#) == "&amp;&lt;&gt;&quot;&apos;x")
        #expect(WireEncoding.jsonString("\u{2028}/") == "\"\\u2028/\"")
    }
}
