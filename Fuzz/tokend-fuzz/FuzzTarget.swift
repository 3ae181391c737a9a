import TokendCore
import TokendProviders

/// One fuzzable classifier. Input layout: byte 0 selects the HTTP status (and whether a `Retry-After`
/// header is attached); the remaining bytes are the response body.
enum FuzzTarget: String, CaseIterable {
    case fogbugzXML = "fogbugz-xml"
    case fogbugzJSON = "fogbugz-json"
    case boxREST = "box-rest"
    case boxXML = "box-xml"
    case boxSOAP = "box-soap"
    case boxOAuth2 = "box-oauth2"
    case discovery = "fogbugz-discovery"
    case retryAfter = "retry-after"
    case fogbugzXMLLogon = "fogbugz-xml-logon"
    case fogbugzJSONLogon = "fogbugz-json-logon"

    static let statuses = [200, 200, 200, 201, 204, 301, 302, 400, 401, 403, 404, 408, 429, 500, 502, 503, 99, 600]

    var variant: (any LogoffVariant)? {
        switch self {
        case .fogbugzXML: FogBugzXMLLogoff()
        case .fogbugzJSON: FogBugzJSONLogoff()
        case .boxREST: BoxRESTLogout()
        case .boxXML: BoxXMLLogout()
        case .boxSOAP: BoxSOAPLogout()
        case .boxOAuth2: BoxOAuth2Revoke()
        case .discovery, .retryAfter, .fogbugzXMLLogon, .fogbugzJSONLogon: nil
        }
    }

    var logonVariant: (any LogonVariant)? {
        switch self {
        case .fogbugzXMLLogon: FogBugzXMLLogon()
        case .fogbugzJSONLogon: FogBugzJSONLogon()
        default: nil
        }
    }

    /// Runs one input and traps if a classification invariant is broken.
    func run(_ input: [UInt8]) {
        guard let selector = input.first else { return }
        let body = Array(input.dropFirst())
        if self == .retryAfter {
            let text = String(decoding: body, as: UTF8.self)
            if let delay = RetryAfter.parse(text, now: 1_700_000_000) {
                check(delay >= .zero && delay <= RetryAfter.maximum, "Retry-After out of range")
            }
            return
        }
        let status = Self.statuses[Int(selector) % Self.statuses.count]
        var headers: [HeaderField] = []
        if selector & 0x80 != 0 { headers.append(HeaderField("Retry-After", String(decoding: body.prefix(40), as: UTF8.self))) }
        if selector & 0x40 != 0 { headers.append(HeaderField("Location", "https://elsewhere.example/p?token=secret")) }
        let response = ProviderResponse(status: status, headers: headers, body: body, receivedAt: 1_700_000_000)

        if let logon = logonVariant {
            checkLogon(logon.classify(response), status: status, body: body)
            return
        }
        guard let variant else {
            switch FogBugzDiscovery.classify(response) {
            case .prefix(let prefix):
                check((200..<300).contains(status) && !prefix.isEmpty && !prefix.contains("://"), "bad discovery")
            case .failed(let outcome):
                check(outcome.name == "permanent" || outcome.name == "transient", "discovery outcome")
                checkDetail(outcome)
            }
            return
        }
        let outcome = variant.classify(response)
        checkDetail(outcome)
        switch status {
        case 300..<400:
            check(outcome.name == "permanent", "3xx must be permanent")
            check(outcome.detail?.contains("secret") != true, "Location query leaked")
        case 408, 429, 500..<600:
            if self == .boxSOAP {
                check(outcome.name == "transient" || outcome.name == "permanent", "5xx SOAP")
            } else {
                check(outcome.name == "transient", "5xx must be transient")
            }
        case 200..<300 where self != .boxOAuth2:
            if body.isEmpty { check(outcome.name == "transient", "empty 2xx must be transient") }
        case 400..<500 where self != .boxOAuth2:
            check(outcome != .revoked, "4xx must never be revoked")
        default:
            break
        }
        if case .transient(_, let after?) = outcome {
            check(status == 429 || status == 503, "Retry-After only on 429/503")
            check(after >= .zero && after <= RetryAfter.maximum, "Retry-After clamp")
        }
    }

    /// Logon invariants: a token only from a 2xx, and then a usable one; 3xx never followed and its query never
    /// shown; 408/429/5xx "could not ask"; an empty 2xx is no logon.
    func checkLogon(_ outcome: LogonOutcome, status: Int, body: [UInt8]) {
        if let detail = outcome.detail {
            check(detail.unicodeScalars.count <= 400, "logon detail too long")
        }
        switch outcome {
        case .loggedOn(let token):
            check((200..<300).contains(status), "token from a non-2xx answer")
            check(!token.isEmpty && token.utf8.count <= 8_192, "token length")
            check(!token.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }, "token control characters")
            check(token.first != " " && token.last != " ", "token not trimmed")
        case .refused(let code, _, let people):
            check(code == 1 || code == 2 || code == 29, "refusal code")
            check(people.count <= 20, "people cap")
        case .unavailable, .failed:
            break
        }
        switch status {
        case 300..<400:
            check(outcome.name == "failed", "3xx must be failed")
            check(outcome.detail?.contains("secret") != true, "Location query leaked")
        case 408, 429, 500..<600: check(outcome.name == "unavailable", "5xx must be unavailable")
        case 200..<300: if body.isEmpty { check(outcome.name == "unavailable", "empty 2xx must be unavailable") }
        default: break
        }
    }

    func checkDetail(_ outcome: ProviderOutcome) {
        if let detail = outcome.detail { check(detail.unicodeScalars.count <= 400, "detail too long") }
    }

    func check(_ condition: Bool, _ message: StaticString) {
        if !condition { fatalError("\(rawValue): \(message)") }
    }
}
