import TokendCore

/// Box 1.0 REST logout: `GET {base}/rest?action=logout&api_key=…&auth_token=…` (providers.md §3a).
/// The URL carries the token: it is never logged with its query.
public struct BoxRESTLogout: LogoffVariant {
    /// Creates the variant.
    public init() {}

    public var api: ProviderAPI { .boxREST }

    public func makeRequest(account: Configuration.Account, token: String) -> ProviderRequest {
        let query = WireEncoding.formEncode([
            ("action", "logout"), ("api_key", account.apiKey?.value ?? ""), ("auth_token", token),
        ])
        return ProviderRequest(method: "GET", url: EndpointURL.join(account.baseURL, "rest") + "?" + query)
    }

    public func classify(_ response: ProviderResponse) -> ProviderOutcome {
        BoxStatus.classifyResponseDocument(response)
    }
}
