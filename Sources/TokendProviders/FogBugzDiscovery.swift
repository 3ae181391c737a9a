import TokendCore

/// FogBugz `api.xml` discovery (providers.md §1): finds the call prefix (`api.asp?`, `api.php?`,
/// `api.asp?id=xxxx&`) relative to the account's base URL.
public enum FogBugzDiscovery {
    /// The newest FogBugz XML API version this client was written for; a larger `minversion` is refused.
    public static let supportedVersion = 8

    /// What discovery found.
    public enum Result: Sendable, Hashable {
        /// The call prefix to use.
        case prefix(String)
        /// Discovery failed; the logoff takes this outcome.
        case failed(ProviderOutcome)
    }

    /// `GET {base}/api.xml`.
    public static func makeRequest(account: Configuration.Account) -> ProviderRequest {
        ProviderRequest(method: "GET", url: EndpointURL.join(account.baseURL, "api.xml"))
    }

    /// Network errors, 408/429/5xx → transient; 3xx, 4xx, a non-XML body or one without `<url>` → permanent.
    public static func classify(_ response: ProviderResponse) -> Result {
        if let decided = StatusPolicy.preclassify(response) {
            if case .permanent(let detail) = decided { return .failed(.permanent(detail: "api.xml: " + detail)) }
            if case .transient(let detail, let after) = decided {
                return .failed(.transient(detail: "api.xml: " + detail, retryAfter: after))
            }
            return .failed(decided)
        }
        guard StatusPolicy.isSuccess(response) else {
            return .failed(.permanent(detail: "api.xml: HTTP \(response.status), no FogBugz API at this base URL"))
        }
        guard let root = TolerantXML.parse(response.body), root.name.lowercased() == "response",
            let url = root.child("url")?.trimmedText, !url.isEmpty
        else {
            return .failed(.permanent(detail: "api.xml: not a FogBugz API description"))
        }
        if let minText = root.child("minversion")?.trimmedText, let minimum = Int(minText), minimum > supportedVersion {
            return .failed(.permanent(detail: "api.xml: minversion \(minimum) exceeds supported \(supportedVersion)"))
        }
        guard !url.contains("://"), !url.hasPrefix("//"), !url.contains("#"),
            url.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F })
        else {
            return .failed(.permanent(detail: "api.xml: url is not a relative call prefix"))
        }
        return .prefix(url)
    }
}
