import Testing
import TokendCore
import TokendFakeProviders
import TokendProviders

/// providers.md §5, every row for every variant, through real HTTP against the fake server.
@Suite("Classification table over HTTP")
struct ClassificationTableTests {
    enum Setup: Sendable {
        /// The token is live at the fake.
        case issued
        /// The token was never issued.
        case unknown
        /// The token is live, but the next call gets this fault.
        case fault(FakeFault)
        /// Wrong Box api_key / OAuth2 client secret.
        case wrongCredentials
        /// Nothing listens on the port.
        case closedPort
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var api: ProviderAPI
        var label: String
        var setup: Setup
        var expected: String
        var detail: String?
        var status: Int?
        var shortTimeout = false

        var testDescription: String { "\(api.rawValue): \(label) → \(expected)" }
    }

    static let xmlBOM = "\u{FEFF}\n"

    static func common(_ api: ProviderAPI) -> [Row] {
        var rows = [
            Row(api: api, label: "301 to another host", setup: .fault(.redirect(location: "https://elsewhere.example/login?token=leak")),
                expected: "permanent", detail: "Location: https://elsewhere.example/login)", status: 301),
            Row(api: api, label: "302", setup: .fault(.redirect(location: "/x", status: 302)), expected: "permanent", status: 302),
            Row(api: api, label: "404 HTML", setup: .fault(.html(status: 404)), expected: "permanent", status: 404),
            Row(api: api, label: "401 bare", setup: .fault(.status(401, body: "")), expected: "permanent", status: 401),
            Row(api: api, label: "403 HTML", setup: .fault(.html(status: 403)), expected: "permanent", status: 403),
            Row(api: api, label: "408", setup: .fault(.status(408)), expected: "transient", status: 408),
            Row(api: api, label: "429", setup: .fault(.status(429, retryAfter: "7")), expected: "transient", status: 429),
            Row(api: api, label: "500", setup: .fault(.status(500)), expected: "transient", status: 500),
            Row(api: api, label: "502 HTML", setup: .fault(.html(status: 502)), expected: "transient", status: 502),
            Row(api: api, label: "503", setup: .fault(.status(503, retryAfter: "120")), expected: "transient", status: 503),
            Row(api: api, label: "hang past timeout", setup: .fault(.hang), expected: "transient", shortTimeout: true),
            Row(api: api, label: "stall mid-body", setup: .fault(.stallMidBody), expected: "transient", shortTimeout: true),
            Row(api: api, label: "reset mid-body", setup: .fault(.resetMidBody), expected: "transient"),
            Row(api: api, label: "connection refused", setup: .closedPort, expected: "transient"),
        ]
        if api != .boxOAuth2 {
            rows += [
                Row(api: api, label: "200 HTML", setup: .fault(.html()), expected: "transient", status: 200),
                Row(api: api, label: "200 empty", setup: .fault(.status(200, body: "")), expected: "transient", status: 200),
            ]
        }
        return rows
    }

    static let fogbugzXML: [Row] = {
        let api = ProviderAPI.fogbugzXML
        var rows = [
            Row(api: api, label: "live token", setup: .issued, expected: "revoked", status: 200),
            Row(api: api, label: "<response/>", setup: .fault(.body("<response/>")), expected: "revoked"),
            Row(api: api, label: "BOM, newline, single quotes, extra children",
                setup: .fault(.body(xmlBOM + "<?xml version='1.0' encoding='UTF-8' ?>\n<response><cases count='0'/><!-- x --></response>")),
                expected: "revoked"),
            Row(api: api, label: "unknown token", setup: .unknown, expected: "already_revoked", detail: "error code 3: Not logged on"),
            Row(api: api, label: "error 3 in CDATA",
                setup: .fault(.body(#"<?xml version="1.0"?><response><error code="3"><![CDATA[Not logged on]]></error></response>"#)),
                expected: "already_revoked", detail: "error code 3: Not logged on"),
            Row(api: api, label: "error without code", setup: .fault(.body("<response><error>Something</error></response>")),
                expected: "transient"),
            Row(api: api, label: "truncated XML", setup: .fault(.body("<response><err")), expected: "transient"),
        ]
        for code in ["1", "2", "4", "13", "27", "29", "99"] {
            rows.append(Row(api: api, label: "error \(code)", setup: .fault(.errorCode(code)), expected: "permanent",
                            detail: "error code \(code)"))
        }
        for code in ["0", "26", "28"] {
            rows.append(Row(api: api, label: "error \(code)", setup: .fault(.errorCode(code)), expected: "transient",
                            detail: "error code \(code)"))
        }
        return rows + common(api)
    }()

    static let fogbugzJSON: [Row] = {
        let api = ProviderAPI.fogbugzJSON
        let json = "application/json"
        var rows = [
            Row(api: api, label: "live token", setup: .issued, expected: "revoked", status: 200),
            Row(api: api, label: "errors absent", setup: .fault(.body(#"{"data":{}}"#, contentType: json)), expected: "revoked"),
            Row(api: api, label: "errors null", setup: .fault(.body(#" {"data":{},"errors":null} "#, contentType: json)),
                expected: "revoked"),
            Row(api: api, label: "unknown token", setup: .unknown, expected: "already_revoked", detail: "error code 3"),
            Row(api: api, label: "code \"3\" with HTTP 400",
                setup: .fault(.body(#"{"errors":[{"message":"Error 3: Not logged in","detail":null,"code":"3"}],"errorCode":400}"#,
                                    status: 400, contentType: json)),
                expected: "already_revoked", status: 400),
            Row(api: api, label: "integer code 3",
                setup: .fault(.body(#"{"data":{},"errors":[{"message":"x","code":3}]}"#, contentType: json)),
                expected: "already_revoked"),
            Row(api: api, label: "truncated JSON", setup: .fault(.body(#"{"data":{},"errors":[{"co"#, contentType: json)),
                expected: "transient"),
            Row(api: api, label: "non-object JSON", setup: .fault(.body("[]", contentType: json)), expected: "transient"),
            // §2 "errors empty or absent: revoked": on a 2xx any JSON object without errors is the envelope.
            Row(api: api, label: "empty object", setup: .fault(.body("{}", contentType: json)), expected: "revoked"),
            Row(api: api, label: "object without envelope keys", setup: .fault(.body(#"{"ok":true}"#, contentType: json)),
                expected: "revoked"),
            Row(api: api, label: "errors empty", setup: .fault(.body(#"{"errors":[]}"#, contentType: json)),
                expected: "revoked"),
            Row(api: api, label: "400 object without envelope keys",
                setup: .fault(.body(#"{"ok":false}"#, status: 400, contentType: json)), expected: "permanent", status: 400),
            Row(api: api, label: "400 HTML", setup: .fault(.html(status: 400)), expected: "permanent", status: 400),
        ]
        for code in ["1", "4", "27", "29"] {
            rows.append(Row(api: api, label: "code \(code)", setup: .fault(.errorCode(code)), expected: "permanent",
                            detail: "error code \(code)"))
        }
        for code in ["0", "26", "28"] {
            rows.append(Row(api: api, label: "code \(code)", setup: .fault(.errorCode(code)), expected: "transient",
                            detail: "error code \(code)"))
        }
        return rows + common(api)
    }()

    static func box(_ api: ProviderAPI) -> [Row] {
        var rows = [
            Row(api: api, label: "live token", setup: .issued, expected: "revoked", status: 200),
            Row(api: api, label: "unknown token", setup: .unknown, expected: "already_revoked", detail: "not_logged_in"),
            Row(api: api, label: "wrong auth token", setup: .fault(.errorCode("wrong auth token")), expected: "already_revoked",
                detail: "wrong auth token"),
            Row(api: api, label: "wrong api_key", setup: .wrongCredentials, expected: "permanent", detail: "application_restricted"),
        ]
        for status in ["Wrong input params", "wrong_input", "e_input_params", "e_no_access", "e_access_denied",
                       "access_denied", "e_weird"] {
            rows.append(Row(api: api, label: "status \(status)", setup: .fault(.errorCode(status)), expected: "permanent",
                            detail: status))
        }
        if api == .boxSOAP {
            let open = #"<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body>"#
            let close = "</SOAP-ENV:Body></SOAP-ENV:Envelope>"
            rows += [
                Row(api: api, label: "ns1: prefix",
                    setup: .fault(.body(open + #"<ns1:logoutResponse xmlns:ns1="urn:boxnet"><ns1:status>logout_ok</ns1:status></ns1:logoutResponse>"# + close)),
                    expected: "revoked"),
                Row(api: api, label: "Client fault 500", setup: .fault(.soapFault(code: "Client", message: "bad")),
                    expected: "permanent", detail: "SOAP fault Client: bad", status: 500),
                Row(api: api, label: "Client fault 200", setup: .fault(.soapFault(code: "Client", status: 200)),
                    expected: "permanent"),
                Row(api: api, label: "Server fault 500", setup: .fault(.soapFault(code: "Server", message: "busy")),
                    expected: "transient", detail: "SOAP fault Server", status: 500),
                Row(api: api, label: "envelope without status",
                    setup: .fault(.body(open + "<ns4:logoutResponse xmlns:ns4=\"urn:boxnet\"/>" + close)), expected: "transient"),
            ]
        } else {
            rows += [
                Row(api: api, label: "padded status, single quotes, extra elements",
                    setup: .fault(.body("<?xml version='1.0' encoding='UTF-8' ?>\n<response>\n<status>  logout_ok\n</status><extra a='1'/></response>")),
                    expected: "revoked"),
                Row(api: api, label: "BOM and CDATA status",
                    setup: .fault(.body(xmlBOM + "<response><status><![CDATA[ LOGOUT_OK ]]></status></response>")),
                    expected: "revoked"),
                Row(api: api, label: "missing status", setup: .fault(.body("<response></response>")), expected: "transient"),
                Row(api: api, label: "<response/>", setup: .fault(.body("<?xml version='1.0'?><response/>")), expected: "transient"),
            ]
        }
        return rows + common(api)
    }

    static let oauth2: [Row] = {
        let api = ProviderAPI.boxOAuth2
        var rows = [
            Row(api: api, label: "live token", setup: .issued, expected: "revoked", status: 200),
            Row(api: api, label: "unknown token (RFC 7009 200)", setup: .unknown, expected: "revoked", status: 200),
            Row(api: api, label: "200 with junk", setup: .fault(.body("<html>junk", contentType: "text/html")), expected: "revoked"),
            Row(api: api, label: "wrong client secret", setup: .wrongCredentials, expected: "permanent", detail: "invalid_client",
                status: 400),
            Row(api: api, label: "401 invalid_client",
                setup: .fault(.body(#"{"error":"invalid_client"}"#, status: 401, contentType: "application/json")),
                expected: "permanent", detail: "invalid_client", status: 401),
        ]
        for error in ["invalid_grant", "invalid_token"] {
            rows.append(Row(api: api, label: error, setup: .fault(.errorCode(error)), expected: "already_revoked", detail: error,
                            status: 400))
        }
        for error in ["invalid_request", "unsupported_token_type", "unauthorized_client"] {
            rows.append(Row(api: api, label: error, setup: .fault(.errorCode(error)), expected: "permanent", detail: error,
                            status: 400))
        }
        return rows + common(api)
    }()

    static let rows: [Row] = fogbugzXML + fogbugzJSON + box(.boxREST) + box(.boxXML) + box(.boxSOAP) + oauth2

    @Test(arguments: rows)
    func row(_ row: Row) async throws {
        try await Harness.run(timeout: row.shortTimeout ? .milliseconds(300) : .seconds(5)) { harness in
            let token = "tok-\(UInt64.random(in: 0...UInt64.max))"
            var account = harness.account(row.api)
            switch row.setup {
            case .issued:
                harness.server.issue(token)
            case .unknown:
                break
            case .fault(let fault):
                harness.server.issue(token)
                harness.server.script(fault)
            case .wrongCredentials:
                harness.server.issue(token)
                account = harness.account(row.api, apiKey: "wrong-key", clientSecret: "wrong-secret")
            case .closedPort:
                account.baseURL = "http://127.0.0.1:1/api/1.0"
                if account.oauthURL != nil { account.oauthURL = "http://127.0.0.1:1" }
            }
            let result = await harness.clients.logoff(account: account, token: token)
            #expect(result.outcome.name == row.expected, "outcome \(result.outcome)")
            if let detail = row.detail {
                #expect(result.outcome.detail?.contains(detail) == true, "detail \(result.outcome.detail ?? "nil")")
            }
            if let status = row.status { #expect(result.httpStatus == status) }
            if row.shortTimeout { #expect(result.duration < .seconds(2)) }
            #expect(result.outcome.detail?.contains(token) != true)
            #expect(result.outcome.detail?.contains("leak") != true)
            if row.expected != "revoked" {
                // Only a logoff the provider confirmed may kill the token at the fake.
                switch row.setup {
                case .fault, .wrongCredentials: #expect(harness.server.isLive(token))
                default: break
                }
            }
        }
    }

    @Test func tableCoversEveryVariantAndClass() {
        for api in ProviderAPI.allCases {
            let names = Set(Self.rows.filter { $0.api == api }.map(\.expected))
            #expect(names == ["revoked", "already_revoked", "permanent", "transient"], "\(api)")
        }
    }
}
