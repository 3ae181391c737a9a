/// What a provider answered: the input of every classifier.
public struct ProviderResponse: Sendable, Hashable {
    /// The HTTP status code.
    public var status: Int
    /// Response headers, in order.
    public var headers: [HeaderField]
    /// The body bytes (possibly truncated to ``ProviderClients/maxBodyBytes``).
    public var body: [UInt8]
    /// Unix time (seconds) at which the response arrived; used to turn an HTTP-date `Retry-After` into a delay.
    public var receivedAt: Int64

    /// Creates a response.
    public init(status: Int, headers: [HeaderField] = [], body: [UInt8] = [], receivedAt: Int64 = 0) {
        self.status = status
        self.headers = headers
        self.body = body
        self.receivedAt = receivedAt
    }

    /// Convenience for tests: a response whose body is `text` in UTF-8.
    public init(status: Int, headers: [HeaderField] = [], text: String, receivedAt: Int64 = 0) {
        self.init(status: status, headers: headers, body: Array(text.utf8), receivedAt: receivedAt)
    }
}
