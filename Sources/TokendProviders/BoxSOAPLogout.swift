import TokendCore

/// Box 1.0 SOAP logout: `POST {base}/soap`, SOAP 1.1 RPC/encoded, `urn:boxnet` (providers.md §3c).
/// Sends `auth_token` as the WSDL says (not the seed example's `sid`).
public struct BoxSOAPLogout: LogoffVariant {
    /// The `SOAPAction` header value, quotes included.
    public static let soapAction = "\"urn:boxnet#Box_SoapApi#logout\""

    /// Creates the variant.
    public init() {}

    public var api: ProviderAPI { .boxSOAP }

    public func makeRequest(account: Configuration.Account, token: String) -> ProviderRequest {
        let body =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
            + "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\""
            + " xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\""
            + " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
            + " xmlns:SOAP-ENC=\"http://schemas.xmlsoap.org/soap/encoding/\""
            + " xmlns:ns4=\"urn:boxnet\""
            + " SOAP-ENV:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\">"
            + "<SOAP-ENV:Body><ns4:logout>"
            + "<api_key xsi:type=\"xsd:string\">" + WireEncoding.xmlEscape(account.apiKey?.value ?? "") + "</api_key>"
            + "<auth_token xsi:type=\"xsd:string\">" + WireEncoding.xmlEscape(token) + "</auth_token>"
            + "</ns4:logout></SOAP-ENV:Body></SOAP-ENV:Envelope>"
        return ProviderRequest(
            method: "POST", url: EndpointURL.join(account.baseURL, "soap"),
            headers: [
                HeaderField("Content-Type", "text/xml; charset=utf-8"),
                HeaderField("SOAPAction", Self.soapAction),
            ],
            body: Array(body.utf8)
        )
    }

    /// 3xx → permanent; a `Client` fault → permanent (even on 500); any other fault → transient;
    /// then the §0 status rules; then `status` (matched by local name) as in REST.
    public func classify(_ response: ProviderResponse) -> ProviderOutcome {
        if (300..<400).contains(response.status) { return StatusPolicy.redirect(response) }
        let root = TolerantXML.parse(response.body)
        if let root, root.name.lowercased() == "envelope", let fault = root.descendant("Fault") {
            let code = fault.child("faultcode")?.trimmedText ?? ""
            let localCode = code.split(separator: ":").last.map(String.init) ?? ""
            let message = DetailText.clean(fault.child("faultstring")?.trimmedText ?? "")
            let detail = "SOAP fault \(DetailText.clean(localCode.isEmpty ? "(no code)" : localCode))"
                + (message.isEmpty ? "" : ": \(message)")
            if localCode.lowercased().hasPrefix("client") { return .permanent(detail: detail) }
            return StatusPolicy.transient(response, detail: detail)
        }
        if let decided = StatusPolicy.preclassify(response) { return decided }
        guard let root, root.name.lowercased() == "envelope" || root.name.lowercased() == "response" else {
            return StatusPolicy.withoutEnvelope(response)
        }
        guard let status = root.descendant("status") else {
            return StatusPolicy.withoutEnvelope(response, what: "SOAP reply without status")
        }
        return BoxStatus.classify(status.text, response: response)
    }
}
