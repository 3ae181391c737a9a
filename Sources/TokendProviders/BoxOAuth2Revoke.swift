import TokendCore

/// Box 2.0 OAuth2 revocation: `POST {oauth_url}/oauth2/revoke` with `client_id`, `client_secret`, `token`
/// form-encoded (providers.md §4, RFC 7009). No `grant_type`.
public struct BoxOAuth2Revoke: LogoffVariant {
    /// Creates the variant.
    public init() {}

    public var api: ProviderAPI { .boxOAuth2 }

    public func makeRequest(account: Configuration.Account, token: String) -> ProviderRequest {
        let body = WireEncoding.formEncode([
            ("client_id", account.clientID ?? ""), ("client_secret", account.clientSecret?.value ?? ""),
            ("token", token),
        ])
        return ProviderRequest(
            method: "POST", url: EndpointURL.join(account.oauthURL ?? account.baseURL, "oauth2/revoke"),
            headers: [
                HeaderField("Content-Type", "application/x-www-form-urlencoded"),
                HeaderField("Accept", "application/json"),
            ],
            body: Array(body.utf8)
        )
    }

    /// 2xx → revoked (body ignored); 4xx `invalid_grant`/`invalid_token` → already revoked; other 4xx →
    /// permanent; 3xx → permanent; 408/429/5xx → transient with `Retry-After`.
    public func classify(_ response: ProviderResponse) -> ProviderOutcome {
        if let decided = StatusPolicy.preclassify(response) { return decided }
        if StatusPolicy.isSuccess(response) { return .revoked }
        let error = TolerantJSON.parse(response.body)?["error"]?.stringValue.map(DetailText.clean)
        guard let error, !error.isEmpty else {
            return .permanent(detail: "HTTP \(response.status)")
        }
        switch error {
        case "invalid_grant", "invalid_token": return .alreadyRevoked(detail: error)
        default: return .permanent(detail: error)
        }
    }
}
