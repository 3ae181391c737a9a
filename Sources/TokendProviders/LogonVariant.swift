import TokendCore

/// One wire variant of a provider's logon call: a pure request builder and a pure response classifier, like
/// ``LogoffVariant``. Neither performs I/O, throws or traps, so both are unit-tested and fuzzed directly;
/// ``ProviderClients/logon(account:email:password:)`` does the HTTP.
///
/// The request always carries the password in its body, never in the URL: URLs end up in access logs and
/// proxies' logs, bodies do not.
public protocol LogonVariant: Sendable {
    /// The variant's configuration name.
    var api: ProviderAPI { get }
    /// Builds the logon request for `email` (or a full name, as FogBugz accepts) and `password`.
    func makeRequest(account: Configuration.Account, email: String, password: String) -> ProviderRequest
    /// Classifies the provider's answer (docs/providers-logon.md).
    func classify(_ response: ProviderResponse) -> LogonOutcome
}

extension LogonVariant {
    /// Classifies `(status, headers, body)`.
    public func classify(status: Int, headers: [HeaderField] = [], body: [UInt8], receivedAt: Int64 = 0) -> LogonOutcome {
        classify(ProviderResponse(status: status, headers: headers, body: body, receivedAt: receivedAt))
    }
}

/// What both FogBugz logon variants share: the status rules of providers.md §0 and the error-code table.
enum FogBugzLogonRules {
    /// Longest token accepted from a provider (the control API's limit for registered tokens).
    static let maxTokenBytes = 8_192

    /// The logoff rules' verdict on the status alone, as a logon outcome: 3xx, 408/429/5xx decided here.
    static func preclassify(_ response: ProviderResponse) -> LogonOutcome? {
        StatusPolicy.preclassify(response).map(outcome)
    }

    /// A body that is not the provider's document: 2xx → unavailable (a portal page), 4xx → failed.
    static func withoutEnvelope(_ response: ProviderResponse, what: String = "unparseable body") -> LogonOutcome {
        outcome(StatusPolicy.withoutEnvelope(response, what: what))
    }

    static func outcome(_ logoff: ProviderOutcome) -> LogonOutcome {
        switch logoff {
        case .transient(let detail, _): .unavailable(detail: detail)
        case .permanent(let detail), .alreadyRevoked(let detail): .failed(detail: detail)
        case .revoked: .failed(detail: "unexpected answer")
        }
    }

    /// FogBugz error codes on logon: 1 (wrong email or password), 2 (ambiguous), 29 (two-factor on) are the
    /// provider saying no; 0, 26, 28 (not initialized, commit error, maintenance) mean "try later"; anything
    /// else is a fault of the request or the site.
    static func classify(code: Int, detail: String, people: [String]) -> LogonOutcome {
        switch code {
        case 1, 2, 29: .refused(code: code, detail: detail, people: people)
        case 0, 26, 28: .unavailable(detail: detail)
        default: .failed(detail: detail)
        }
    }

    /// The token of a successful answer, or the failure to report when it is unusable.
    static func token(_ text: String?) -> LogonOutcome {
        let token = TolerantXML.trim(text ?? "")
        guard !token.isEmpty else { return .failed(detail: "the logon answer carries no token") }
        guard token.utf8.count <= maxTokenBytes,
            !token.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else { return .failed(detail: "the logon answer's token is not usable (too long or control characters)") }
        return .loggedOn(token: token)
    }

    /// `error code N: message`, the detail shown to the person logging on.
    static func detail(code: Int, message: String) -> String {
        "error code \(code)" + (message.isEmpty ? "" : ": \(message)")
    }

    /// Person names from an ambiguous logon, cleaned and capped (they are shown, and they come from outside).
    static func people(_ names: [String]) -> [String] {
        names.prefix(20).map { DetailText.clean($0) }.filter { !$0.isEmpty }
    }
}
