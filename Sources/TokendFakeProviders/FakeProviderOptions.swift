/// Credentials and behaviour of a ``FakeProviderServer``.
public struct FakeProviderOptions: Sendable, Hashable {
    /// The Box 1.0 `api_key` the fake accepts (anything else → `application_restricted`).
    public var apiKey: String
    /// The OAuth2 `client_id` the fake accepts.
    public var clientID: String
    /// The OAuth2 `client_secret` the fake accepts (mismatch → 400 `invalid_client`).
    public var clientSecret: String
    /// The `<url>` served by `/api.xml`, e.g. `api.asp?` or `api.asp?id=abc&`.
    public var apiXMLPrefix: String
    /// Keep a ``FakeCall`` for every request (turn off for benchmarks; counters are always kept).
    public var recordCalls: Bool
    /// The people FogBugz `cmd=logon` accepts (XML and JSON); none by default (every logon gets error 1).
    public var logonUsers: [FakeLogonUser]

    /// Creates options; the defaults match the tests' accounts.
    public init(
        apiKey: String = "test-api-key", clientID: String = "test-client-id", clientSecret: String = "test-client-secret",
        apiXMLPrefix: String = "api.asp?", recordCalls: Bool = true, logonUsers: [FakeLogonUser] = []
    ) {
        self.apiKey = apiKey
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.apiXMLPrefix = apiXMLPrefix
        self.recordCalls = recordCalls
        self.logonUsers = logonUsers
    }
}
