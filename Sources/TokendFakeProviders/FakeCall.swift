/// Which fake endpoint a call reached.
public enum FakeEndpoint: String, Sendable, Hashable, CaseIterable {
    /// `GET /api.xml` (FogBugz discovery).
    case apiXML
    /// `/api.asp` (FogBugz XML API; also `/api.php`).
    case fogbugzXML
    /// `POST /f/api/0/jsonapi`.
    case fogbugzJSON
    /// `GET /api/1.0/rest`.
    case boxREST
    /// `POST /api/1.0/xml`.
    case boxXML
    /// `POST /api/1.0/soap`.
    case boxSOAP
    /// `POST /oauth2/revoke`.
    case oauth2Revoke
    /// Anything else (answered 404).
    case unknown

    /// True for the endpoints that log a token off.
    public var isLogoff: Bool { self != .apiXML && self != .unknown }
}

/// One HTTP header received by the fake server.
public struct FakeHeader: Sendable, Hashable {
    /// The header name as received.
    public var name: String
    /// The header value.
    public var value: String
}

/// One request received by ``FakeProviderServer``, as logged.
public struct FakeCall: Sendable, Hashable {
    /// HTTP method.
    public var method: String
    /// Path without query.
    public var path: String
    /// The raw query string (no `?`), empty if none.
    public var query: String
    /// Request headers in order.
    public var headers: [FakeHeader]
    /// Raw request body.
    public var body: [UInt8]
    /// The endpoint it was routed to.
    public var endpoint: FakeEndpoint
    /// The token extracted from query, form, JSON or XML (decoded), if any.
    public var token: String?
    /// The Box `api_key` or OAuth2 `client_id` extracted, if any.
    public var apiKey: String?
    /// Decoded query and form parameters (query first).
    public var parameters: [FakeHeader]
    /// When the request was complete.
    public var receivedAt: ContinuousClock.Instant

    /// The body as UTF-8 text.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// First value of header `name` (ASCII case-insensitive).
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    /// First decoded query/form parameter called `name`.
    public func parameter(_ name: String) -> String? {
        parameters.first { $0.name == name }?.value
    }
}
