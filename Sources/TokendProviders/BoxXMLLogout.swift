import TokendCore

/// Box 1.0 XML logout: `POST {base}/xml` with a `<request>` document (providers.md §3b).
public struct BoxXMLLogout: LogoffVariant {
    /// Creates the variant.
    public init() {}

    public var api: ProviderAPI { .boxXML }

    public func makeRequest(account: Configuration.Account, token: String) -> ProviderRequest {
        let body =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><request><action>logout</action><api_key>"
            + WireEncoding.xmlEscape(account.apiKey?.value ?? "") + "</api_key><auth_token>"
            + WireEncoding.xmlEscape(token) + "</auth_token></request>"
        return ProviderRequest(
            method: "POST", url: EndpointURL.join(account.baseURL, "xml"),
            headers: [HeaderField("Content-Type", "text/xml; charset=utf-8")],
            body: Array(body.utf8)
        )
    }

    public func classify(_ response: ProviderResponse) -> ProviderOutcome {
        BoxStatus.classifyResponseDocument(response)
    }
}
