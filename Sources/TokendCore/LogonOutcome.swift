/// The classification of one provider logon call (FogBugz `cmd=logon`; docs/providers-logon.md).
///
/// Unlike a logoff there is nothing to retry later: the person waiting at `tokenctl login` decides, so the
/// classes are what they need to know — it worked, the provider said no (and why), or it could not be asked.
public enum LogonOutcome: Sendable, Hashable, CustomStringConvertible {
    /// The provider issued `token`. Never log or print it (`description` does not).
    case loggedOn(token: String)
    /// The provider refused: error 1 (wrong email or password), 2 (ambiguous: several people match, their full
    /// names in `people`), 29 (two-factor authentication on). `detail` is the provider's own reason.
    case refused(code: Int, detail: String, people: [String])
    /// The provider could not be asked or did not answer usefully right now: network failure, timeout,
    /// 408/429/5xx, an unparseable 2xx, or a FogBugz "try later" code (0, 26, 28).
    case unavailable(detail: String)
    /// A configuration or protocol fault that trying again will not fix: a redirect, a bare 4xx, an answer
    /// without a token, an unexpected error code.
    case failed(detail: String)

    /// The outcome's stable name, as used in logs and metrics.
    public var name: String {
        switch self {
        case .loggedOn: "logged_on"
        case .refused: "refused"
        case .unavailable: "unavailable"
        case .failed: "failed"
        }
    }

    /// The provider's explanation (never the token).
    public var detail: String? {
        switch self {
        case .loggedOn: nil
        case .refused(_, let detail, _), .unavailable(let detail), .failed(let detail): detail
        }
    }

    public var description: String {
        if let detail { return "\(name): \(detail)" }
        return name
    }
}
