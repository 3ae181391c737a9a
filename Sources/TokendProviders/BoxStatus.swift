import TokendCore

/// The Box 1.0 `status` table shared by REST, XML and SOAP (providers.md §3).
public enum BoxStatus {
    /// Classifies a trimmed, case-insensitive `status`: `logout_ok` → revoked; `not_logged_in`,
    /// `wrong auth token` → already revoked; anything else → permanent (the status is the detail).
    /// A success status on a non-2xx reply is permanent.
    public static func classify(_ status: String, response: ProviderResponse) -> ProviderOutcome {
        let trimmed = TolerantXML.trim(status)
        let detail = DetailText.clean(trimmed)
        switch trimmed.lowercased() {
        case "logout_ok":
            return StatusPolicy.isSuccess(response)
                ? .revoked : .permanent(detail: "HTTP \(response.status) with status logout_ok")
        case "not_logged_in", "wrong auth token":
            return .alreadyRevoked(detail: detail)
        case "":
            return StatusPolicy.withoutEnvelope(response, what: "empty status")
        default:
            return .permanent(detail: detail)
        }
    }

    /// Reads `<response>…<status>` and classifies it (REST and XML).
    static func classifyResponseDocument(_ response: ProviderResponse) -> ProviderOutcome {
        if let decided = StatusPolicy.preclassify(response) { return decided }
        guard let root = TolerantXML.parse(response.body), root.name.lowercased() == "response" else {
            return StatusPolicy.withoutEnvelope(response)
        }
        guard let status = root.child("status") ?? root.descendant("status") else {
            return StatusPolicy.withoutEnvelope(response, what: "response without status")
        }
        return classify(status.text, response: response)
    }
}
