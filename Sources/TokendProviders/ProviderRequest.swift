/// A fully built logoff request: what goes on the wire, before any I/O.
///
/// Builders produce it purely from an account and a token, so tests can assert the exact bytes.
/// Its `description` never contains the query string or the body, which may hold the token.
public struct ProviderRequest: Sendable, Hashable, CustomStringConvertible {
    /// `GET` or `POST`.
    public var method: String
    /// The absolute URL, query included (the query may contain the token: never log it).
    public var url: String
    /// Headers to send besides `Host`, `Content-Length` and `User-Agent`.
    public var headers: [HeaderField]
    /// The request body (empty for GET).
    public var body: [UInt8]

    /// Creates a request.
    public init(method: String, url: String, headers: [HeaderField] = [], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// The body decoded as UTF-8 (for tests and fuzzing; may contain secrets).
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The URL without its query and fragment: the only form that may be logged.
    public var redactedURL: String { EndpointURL.stripQuery(url) }

    /// `METHOD url-without-query`.
    public var description: String { "\(method) \(redactedURL)" }
}
