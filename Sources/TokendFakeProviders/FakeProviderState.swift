import NIOCore
import NIOHTTP1
import Synchronization

/// The fake server's shared state: live tokens, counters, call log, scripted faults. Thread-safe.
final class FakeProviderState: Sendable {
    struct Scripted: Sendable {
        var fault: FakeFault
        var remaining: Int
        var path: String?
    }

    struct Inner {
        var options: FakeProviderOptions
        var live: Set<String> = []
        var logoffs: [String: Int] = [:]
        var calls: [FakeCall] = []
        var callCount = 0
        var scripted: [Scripted] = []
        var delay: Duration?
        var channels: [ObjectIdentifier: any Channel] = [:]
        /// Tokens issued by `cmd=logon`, in order.
        var loggedOn: [String] = []
    }

    let inner: Mutex<Inner>

    init(options: FakeProviderOptions) {
        inner = Mutex(Inner(options: options))
    }

    /// The soapAction header value the fake requires.
    static let soapAction = "\"urn:boxnet#Box_SoapApi#logout\""

    static func endpoint(for path: Substring) -> FakeEndpoint {
        switch path {
        case "/api.xml": .apiXML
        case "/api.asp", "/api.php": .fogbugzXML
        case "/f/api/0/jsonapi": .fogbugzJSON
        case "/api/1.0/rest": .boxREST
        case "/api/1.0/xml": .boxXML
        case "/api/1.0/soap": .boxSOAP
        case "/oauth2/revoke": .oauth2Revoke
        default: .unknown
        }
    }

    /// Routes, logs and answers one complete request. Returns the action and the delay to apply first.
    func decide(head: HTTPRequestHead, body: [UInt8]) -> (FakeAction, Duration?) {
        let uri = Substring(head.uri)
        let path = uri.prefix { $0 != "?" }
        let query = path.endIndex < uri.endIndex ? uri[uri.index(after: path.endIndex)...] : ""
        let endpoint = Self.endpoint(for: path)
        var parameters = FakeWire.parseForm(query)
        let contentType = head.headers.first(name: "content-type")?.lowercased() ?? ""
        if contentType.hasPrefix("application/x-www-form-urlencoded") {
            parameters += FakeWire.parseForm(Substring(String(decoding: body, as: UTF8.self)))
        }
        func parameter(_ name: String) -> String? { parameters.first { $0.name == name }?.value }

        var token: String?
        var apiKey: String?
        var command: String?
        switch endpoint {
        case .fogbugzXML:
            token = parameter("token")
            command = parameter("cmd")
        case .fogbugzJSON:
            token = FakeWire.jsonString(body, key: "token")
            command = FakeWire.jsonString(body, key: "cmd")
        case .boxREST:
            token = parameter("auth_token")
            apiKey = parameter("api_key")
            command = parameter("action")
        case .boxXML, .boxSOAP:
            let text = String(decoding: body, as: UTF8.self)
            token = FakeWire.xmlText(text, element: "auth_token")
            apiKey = FakeWire.xmlText(text, element: "api_key")
            command = endpoint == .boxXML ? FakeWire.xmlText(text, element: "action") : "logout"
        case .oauth2Revoke:
            token = parameter("token")
            apiKey = parameter("client_id")
        case .apiXML, .unknown:
            break
        }
        let secret = parameter("client_secret")
        let soapAction = head.headers.first(name: "SOAPAction")
        let request = ParsedRequest(
            head: head, body: body, path: String(path), query: String(query), endpoint: endpoint,
            parameters: parameters, token: token, apiKey: apiKey, secret: secret, command: command,
            soapAction: soapAction, receivedAt: ContinuousClock.now
        )
        return inner.withLock { (state: inout Inner) -> (FakeAction, Duration?) in
            Self.handle(request, state: &state)
        }
    }

    struct ParsedRequest {
        var head: HTTPRequestHead
        var body: [UInt8]
        var path: String
        var query: String
        var endpoint: FakeEndpoint
        var parameters: [FakeHeader]
        var token: String?
        var apiKey: String?
        var secret: String?
        var command: String?
        var soapAction: String?
        var receivedAt: ContinuousClock.Instant

        func parameter(_ name: String) -> String? { parameters.first { $0.name == name }?.value }
    }

    static func handle(_ request: ParsedRequest, state: inout Inner) -> (FakeAction, Duration?) {
        let endpoint = request.endpoint
        let head = request.head
        let token = request.token
        let apiKey = request.apiKey
        let command = request.command
        state.callCount += 1
        if let token, endpoint.isLogoff { state.logoffs[token, default: 0] += 1 }
        if state.options.recordCalls {
            state.calls.append(
                FakeCall(
                    method: head.method.rawValue, path: request.path, query: request.query,
                    headers: head.headers.map { FakeHeader(name: $0.name, value: $0.value) }, body: request.body,
                    endpoint: endpoint, token: token, apiKey: apiKey, parameters: request.parameters,
                    receivedAt: request.receivedAt
                )
            )
        }
        let delay = state.delay
        if let index = state.scripted.firstIndex(where: { $0.path == nil || $0.path == request.path }) {
            let fault = state.scripted[index].fault
            state.scripted[index].remaining -= 1
            if state.scripted[index].remaining <= 0 { state.scripted.remove(at: index) }
            return (action(for: fault, endpoint: endpoint), delay)
        }
        let action: FakeAction
        switch endpoint {
        case .unknown:
            action = FakeReplies.html(404, "Not Found")
        case .apiXML:
            action = FakeReplies.apiXML(prefix: state.options.apiXMLPrefix)
        case .fogbugzXML:
            if command == "logon" {
                action = FakeLogon.xml(
                    FakeLogon.decide(email: request.parameter("email"), password: request.parameter("password"), state: &state))
            } else if command != "logoff" {
                action = FakeReplies.fogbugzError("27", "No such command")
            } else if let token, state.live.remove(token) != nil {
                action = FakeReplies.fogbugzOK()
            } else {
                action = FakeReplies.fogbugzError("3", "Not logged on")
            }
        case .fogbugzJSON:
            if head.method != .POST {
                action = FakeReplies.html(405, "Method Not Allowed")
            } else if command == "logon" {
                action = FakeLogon.json(
                    FakeLogon.decide(
                        email: FakeWire.jsonString(request.body, key: "email"),
                        password: FakeWire.jsonString(request.body, key: "password"), state: &state))
            } else if command != "logoff" {
                action = FakeReplies.jsonError("27", "Error 27: No such command")
            } else if let token, state.live.remove(token) != nil {
                action = FakeReplies.jsonOK()
            } else {
                action = FakeReplies.jsonError("3", "Error 3: Not logged in")
            }
        case .boxREST, .boxXML, .boxSOAP:
            let soap = endpoint == .boxSOAP
            func reply(_ status: String) -> FakeAction {
                soap ? FakeReplies.soapStatus(status) : FakeReplies.boxStatus(status)
            }
            if endpoint != .boxREST, head.method != .POST {
                action = FakeReplies.html(405, "Method Not Allowed")
            } else if soap, request.soapAction != soapAction {
                action = FakeReplies.soapFault(code: "Client", message: "Invalid SOAPAction", status: 500)
            } else if command != "logout" {
                action = reply("wrong_input")
            } else if apiKey != state.options.apiKey {
                action = reply("application_restricted")
            } else if let token, state.live.remove(token) != nil {
                action = reply("logout_ok")
            } else {
                action = reply("not_logged_in")
            }
        case .oauth2Revoke:
            if head.method != .POST {
                action = FakeReplies.html(405, "Method Not Allowed")
            } else if apiKey != state.options.clientID || request.secret != state.options.clientSecret {
                action = FakeReplies.oauthError("invalid_client")
            } else if let token, !token.isEmpty {
                state.live.remove(token)
                action = .respond(status: 200, headers: [], body: [])
            } else {
                action = FakeReplies.oauthError("invalid_request")
            }
        }
        return (action, delay)
    }

    static func action(for fault: FakeFault, endpoint: FakeEndpoint) -> FakeAction {
        switch fault {
        case .status(let status, let retryAfter, let body, let contentType):
            let extra = retryAfter.map { [FakeHeader(name: "Retry-After", value: $0)] } ?? []
            if let body { return .text(status, contentType, body, extra: extra) }
            return .text(status, contentType, "<html><body><h1>HTTP \(status)</h1></body></html>", extra: extra)
        case .errorCode(let code):
            switch endpoint {
            case .fogbugzXML, .apiXML: return FakeReplies.fogbugzError(code, "Scripted error \(code)")
            case .fogbugzJSON: return FakeReplies.jsonError(code, "Error \(code): scripted")
            case .boxREST, .boxXML: return FakeReplies.boxStatus(code)
            case .boxSOAP: return FakeReplies.soapStatus(code)
            case .oauth2Revoke: return FakeReplies.oauthError(code)
            case .unknown: return FakeReplies.html(404, "Not Found")
            }
        case .soapFault(let code, let message, let status):
            return FakeReplies.soapFault(code: code, message: message, status: status)
        case .redirect(let location, let status):
            return .respond(
                status: status,
                headers: [FakeHeader(name: "Location", value: location), FakeHeader(name: "Content-Type", value: "text/html")],
                body: Array("<html><body>Moved</body></html>".utf8)
            )
        case .hang: return .hang
        case .stallMidBody: return .stallMidBody
        case .resetMidBody: return .resetMidBody
        }
    }
}
