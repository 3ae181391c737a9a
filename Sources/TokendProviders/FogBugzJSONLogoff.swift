import TokendCore

/// FogBugz JSON API logoff: `POST {base}/f/api/0/jsonapi` with `{"cmd":"logoff","token":…}` (providers.md §2).
public struct FogBugzJSONLogoff: LogoffVariant {
    /// Top-level keys of the FogBugz JSON envelope. On a 4xx an object must carry one to count as an envelope
    /// (else it is a proxy's or framework's error: §0 "bare 4xx"); on a 2xx any object is read as one.
    static let envelopeKeys: Set<String> = ["data", "errors", "warnings", "meta", "errorCode", "maxCacheAge"]

    /// Creates the variant.
    public init() {}

    public var api: ProviderAPI { .fogbugzJSON }

    public func makeRequest(account: Configuration.Account, token: String) -> ProviderRequest {
        let body = "{\"cmd\":\"logoff\",\"token\":" + WireEncoding.jsonString(token) + "}"
        return ProviderRequest(
            method: "POST", url: EndpointURL.join(account.baseURL, "f/api/0/jsonapi"),
            headers: [HeaderField("Content-Type", "application/json")],
            body: Array(body.utf8)
        )
    }

    /// On 2xx or 4xx the envelope is read first; only without one do the §0 status rules apply.
    /// The `errors[0].code` decides (string or integer); `errorCode` is never used.
    ///
    /// providers.md §2: "`errors` empty or absent: revoked", so a 2xx JSON object without `errors` (even `{}`)
    /// is revoked; a 2xx that is not a JSON object (HTML, truncated, an array) stays transient.
    public func classify(_ response: ProviderResponse) -> ProviderOutcome {
        if let decided = StatusPolicy.preclassify(response) { return decided }
        guard let json = TolerantJSON.parse(response.body), case .object(let members) = json,
            StatusPolicy.isSuccess(response) || members.contains(where: { Self.envelopeKeys.contains($0.key) })
        else {
            return StatusPolicy.withoutEnvelope(response, what: "not a FogBugz JSON envelope")
        }
        let errors: [JSONValue]
        switch json["errors"] {
        case nil, .null?: errors = []
        case .array(let list)?: errors = list
        default: return StatusPolicy.withoutEnvelope(response, what: "malformed errors member")
        }
        guard let first = errors.first else {
            return StatusPolicy.isSuccess(response)
                ? .revoked : .permanent(detail: "HTTP \(response.status) without errors")
        }
        let message = DetailText.clean(first["message"]?.stringValue ?? "")
        let code: Int?
        switch first["code"] {
        case .string(let text)?: code = Int(TolerantXML.trim(text))
        case .number(let text)?: code = Int(text)
        default: code = nil
        }
        guard let code else {
            return StatusPolicy.transient(response, detail: "error without code" + (message.isEmpty ? "" : ": \(message)"))
        }
        let detail = "error code \(code)" + (message.isEmpty ? "" : ": \(message)")
        return FogBugzXMLLogoff.classify(code: code, detail: detail, response: response)
    }
}
