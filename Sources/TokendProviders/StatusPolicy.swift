import TokendCore

/// The rules of providers.md §0 that apply to every variant before (and after) its body is read.
public enum StatusPolicy {
    /// The outcome the status alone decides, or `nil` when the body must be read.
    ///
    /// 3xx → permanent (never followed; `Location` reported without its query); 408, 429 and 5xx →
    /// transient (with `Retry-After` on 429 and 503); status codes outside 200…599 → transient.
    public static func preclassify(_ response: ProviderResponse) -> ProviderOutcome? {
        switch response.status {
        case 300..<400: return redirect(response)
        case 408, 429, 500..<600: return transient(response, detail: "HTTP \(response.status)")
        case 200..<300, 400..<500: return nil
        default: return transient(response, detail: "unexpected HTTP status \(response.status)")
        }
    }

    /// The outcome of a response whose body is not the provider's document: 2xx → transient
    /// (proxy or portal page, empty body), 4xx → permanent, anything else → transient.
    public static func withoutEnvelope(_ response: ProviderResponse, what: String = "unparseable body") -> ProviderOutcome {
        if (400..<500).contains(response.status), response.status != 408, response.status != 429 {
            return .permanent(detail: "HTTP \(response.status) without provider envelope")
        }
        return transient(response, detail: "\(what) (HTTP \(response.status))")
    }

    /// A permanent outcome naming the redirect target without its query.
    public static func redirect(_ response: ProviderResponse) -> ProviderOutcome {
        let location = response.headers.first(named: "Location").map { DetailText.clean(EndpointURL.stripQuery($0)) }
        return .permanent(
            detail: "redirect HTTP \(response.status) not followed" + (location.map { " (Location: \($0))" } ?? "")
        )
    }

    /// A transient outcome carrying `Retry-After` when the status is 429 or 503.
    public static func transient(_ response: ProviderResponse, detail: String) -> ProviderOutcome {
        .transient(detail: detail, retryAfter: retryAfter(response))
    }

    /// The `Retry-After` delay of a 429 or 503 response, clamped; `nil` otherwise.
    public static func retryAfter(_ response: ProviderResponse) -> Duration? {
        guard response.status == 429 || response.status == 503,
            let value = response.headers.first(named: "Retry-After")
        else { return nil }
        return RetryAfter.parse(value, now: response.receivedAt)
    }

    static func isSuccess(_ response: ProviderResponse) -> Bool { (200..<300).contains(response.status) }
}
