import TokendCore

/// FogBugz JSON API logon: `POST {base}/f/api/0/jsonapi` with `{"cmd":"logon","email":…,"password":…}`
/// (docs/providers-logon.md). The token comes back as `data.token`; errors in the envelope's `errors`, the
/// people of an ambiguous logon in `people` (top level, or under `data`).
public struct FogBugzJSONLogon: LogonVariant {
    /// Creates the variant.
    public init() {}

    public var api: ProviderAPI { .fogbugzJSON }

    public func makeRequest(account: Configuration.Account, email: String, password: String) -> ProviderRequest {
        let body = "{\"cmd\":\"logon\",\"email\":" + WireEncoding.jsonString(email) + ",\"password\":"
            + WireEncoding.jsonString(password) + "}"
        return ProviderRequest(
            method: "POST", url: EndpointURL.join(account.baseURL, "f/api/0/jsonapi"),
            headers: [HeaderField("Content-Type", "application/json")], body: Array(body.utf8))
    }

    /// On 2xx or 4xx the envelope is read first (as for logoff); the first error's code decides.
    public func classify(_ response: ProviderResponse) -> LogonOutcome {
        if let decided = FogBugzLogonRules.preclassify(response) { return decided }
        guard let json = TolerantJSON.parse(response.body), case .object(let members) = json,
            StatusPolicy.isSuccess(response)
                || members.contains(where: { FogBugzJSONLogoff.envelopeKeys.contains($0.key) })
        else {
            return FogBugzLogonRules.withoutEnvelope(response, what: "not a FogBugz JSON envelope")
        }
        let errors: [JSONValue]
        switch json["errors"] {
        case nil, .null?: errors = []
        case .array(let list)?: errors = list
        default: return FogBugzLogonRules.withoutEnvelope(response, what: "malformed errors member")
        }
        if let first = errors.first {
            let message = DetailText.clean(first["message"]?.stringValue ?? "")
            let code: Int?
            switch first["code"] {
            case .string(let text)?: code = Int(TolerantXML.trim(text))
            case .number(let text)?: code = Int(text)
            default: code = nil
            }
            guard let code else {
                return .unavailable(detail: "error without code" + (message.isEmpty ? "" : ": \(message)"))
            }
            return FogBugzLogonRules.classify(
                code: code, detail: FogBugzLogonRules.detail(code: code, message: message),
                people: FogBugzLogonRules.people(Self.people(json)))
        }
        guard StatusPolicy.isSuccess(response) else {
            return .failed(detail: "HTTP \(response.status) without errors or a token")
        }
        guard case .string(let token)? = json["data"]?["token"] else {
            return .failed(detail: "the logon answer carries no token")
        }
        return FogBugzLogonRules.token(token)
    }

    /// Names from `people` (strings, or objects with `sFullName`/`name`), top level first, then `data.people`.
    static func people(_ json: JSONValue) -> [String] {
        let list: [JSONValue]
        if case .array(let top)? = json["people"] {
            list = top
        } else if case .array(let nested)? = json["data"]?["people"] {
            list = nested
        } else {
            return []
        }
        return list.compactMap { item in
            item.stringValue ?? item["sFullName"]?.stringValue ?? item["name"]?.stringValue
        }
    }
}
