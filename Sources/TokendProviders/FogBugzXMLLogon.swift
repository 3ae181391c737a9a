import TokendCore

/// FogBugz XML API `cmd=logon` (docs/providers-logon.md): a POST form `cmd=logon&email=…&password=…` to
/// `{base}/{prefix}` (the prefix from `api.xml` or `api_path`), so that the password is in no URL.
///
/// Answers: `<response><token>T</token></response>` → logged on; `<error code="1">` → refused (wrong email
/// or password); `<error code="2">Ambiguous Logon</error><people><person>…</person>…</people>` → refused, with
/// the people's full names (log on again with one of them as `email`).
public struct FogBugzXMLLogon: LogonVariant {
    /// The call prefix, e.g. `api.asp?` or `api.asp?id=abc&`.
    public var callPrefix: String

    /// Creates the variant for a known call prefix.
    public init(callPrefix: String = "api.asp?") {
        self.callPrefix = callPrefix
    }

    public var api: ProviderAPI { .fogbugzXML }

    public func makeRequest(account: Configuration.Account, email: String, password: String) -> ProviderRequest {
        let params = "cmd=logon&email=" + WireEncoding.percentEncode(email) + "&password="
            + WireEncoding.percentEncode(password)
        // The prefix's own query (a multi-homed `id=…&`) stays in the URL; it is no secret.
        var url = Substring(EndpointURL.join(account.baseURL, callPrefix))
        while url.hasSuffix("?") || url.hasSuffix("&") { url = url.dropLast() }
        return ProviderRequest(
            method: "POST", url: String(url),
            headers: [HeaderField("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
            body: Array(params.utf8))
    }

    public func classify(_ response: ProviderResponse) -> LogonOutcome {
        if let decided = FogBugzLogonRules.preclassify(response) { return decided }
        guard let root = TolerantXML.parse(response.body), root.name.lowercased() == "response" else {
            return FogBugzLogonRules.withoutEnvelope(response)
        }
        if let error = root.child("error") {
            let message = DetailText.clean(error.trimmedText)
            guard let codeText = error.attribute("code"), let code = Int(TolerantXML.trim(codeText)) else {
                return .unavailable(detail: "error without code" + (message.isEmpty ? "" : ": \(message)"))
            }
            let people = root.child("people")?.children.filter { $0.name.lowercased() == "person" }.map(\.trimmedText) ?? []
            return FogBugzLogonRules.classify(
                code: code, detail: FogBugzLogonRules.detail(code: code, message: message),
                people: FogBugzLogonRules.people(people))
        }
        guard StatusPolicy.isSuccess(response) else {
            return .failed(detail: "HTTP \(response.status) without an error or a token")
        }
        return FogBugzLogonRules.token(root.child("token")?.text)
    }
}
