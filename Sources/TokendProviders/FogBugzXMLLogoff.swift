import TokendCore

/// FogBugz XML API `cmd=logoff` (providers.md §1).
///
/// By default the call is a POST form to `{base}/{prefix}` so the token stays out of URLs and server logs;
/// `.get` builds `{base}/{prefix}cmd=logoff&token=…` exactly as providers.md §1 shows it.
public struct FogBugzXMLLogoff: LogoffVariant {
    /// How the parameters travel.
    public enum Form: Sendable, Hashable {
        /// `application/x-www-form-urlencoded` body (default).
        case post
        /// Appended to the call prefix's query string.
        case get
    }

    /// The call prefix from `api.xml` or `api_path`, e.g. `api.asp?` or `api.asp?id=abc&`.
    public var callPrefix: String
    /// GET or POST form.
    public var form: Form

    /// Creates the variant for a known call prefix.
    public init(callPrefix: String = "api.asp?", form: Form = .post) {
        self.callPrefix = callPrefix
        self.form = form
    }

    public var api: ProviderAPI { .fogbugzXML }

    public func makeRequest(account: Configuration.Account, token: String) -> ProviderRequest {
        let params = "cmd=logoff&token=" + WireEncoding.percentEncode(token)
        let prefixURL = EndpointURL.join(account.baseURL, callPrefix)
        switch form {
        case .get:
            let separator: String
            if prefixURL.hasSuffix("?") || prefixURL.hasSuffix("&") {
                separator = ""
            } else {
                separator = prefixURL.contains("?") ? "&" : "?"
            }
            return ProviderRequest(method: "GET", url: prefixURL + separator + params)
        case .post:
            var url = Substring(prefixURL)
            while url.hasSuffix("?") || url.hasSuffix("&") { url = url.dropLast() }
            return ProviderRequest(
                method: "POST", url: String(url),
                headers: [HeaderField("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
                body: Array(params.utf8)
            )
        }
    }

    public func classify(_ response: ProviderResponse) -> ProviderOutcome {
        if let decided = StatusPolicy.preclassify(response) { return decided }
        guard let root = TolerantXML.parse(response.body), root.name.lowercased() == "response" else {
            return StatusPolicy.withoutEnvelope(response)
        }
        guard let error = root.child("error") else {
            return StatusPolicy.isSuccess(response)
                ? .revoked : .permanent(detail: "HTTP \(response.status) with an empty response")
        }
        let message = DetailText.clean(error.trimmedText)
        guard let codeText = error.attribute("code"), let code = Int(TolerantXML.trim(codeText)) else {
            return StatusPolicy.transient(
                response, detail: "error without code" + (message.isEmpty ? "" : ": \(message)")
            )
        }
        let detail = "error code \(code)" + (message.isEmpty ? "" : ": \(message)")
        return Self.classify(code: code, detail: detail, response: response)
    }

    /// FogBugz error-code table shared by the XML and JSON variants: 3 → already revoked;
    /// 0, 26, 28 → transient; anything else → permanent.
    static func classify(code: Int, detail: String, response: ProviderResponse) -> ProviderOutcome {
        switch code {
        case 3: .alreadyRevoked(detail: detail)
        case 0, 26, 28: StatusPolicy.transient(response, detail: detail)
        default: .permanent(detail: detail)
        }
    }
}
