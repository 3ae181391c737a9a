/// The classification of one logoff call (providers.md §0, §5).
public enum ProviderOutcome: Sendable, Hashable {
    /// The provider confirmed the logoff.
    case revoked
    /// The token was already dead. A success, never retried.
    case alreadyRevoked(detail: String)
    /// A configuration or request fault; retrying cannot help.
    case permanent(detail: String)
    /// Network trouble, timeouts, 408/429/5xx, unparseable 2xx: retry with backoff, not before `retryAfter`.
    case transient(detail: String, retryAfter: Duration?)

    /// The outcome's stable name, as used in audit rows and metrics labels.
    public var name: String {
        switch self {
        case .revoked: "revoked"
        case .alreadyRevoked: "already_revoked"
        case .permanent: "permanent"
        case .transient: "transient"
        }
    }

    /// The provider's short explanation, if any.
    public var detail: String? {
        switch self {
        case .revoked: nil
        case .alreadyRevoked(let detail), .permanent(let detail), .transient(let detail, _): detail
        }
    }
}

/// One provider call: its outcome plus what the audit row needs.
public struct AttemptResult: Sendable, Hashable {
    public var outcome: ProviderOutcome
    /// HTTP status, when a response arrived.
    public var httpStatus: Int?
    /// Wall time the call took.
    public var duration: Duration

    public init(outcome: ProviderOutcome, httpStatus: Int?, duration: Duration) {
        self.outcome = outcome
        self.httpStatus = httpStatus
        self.duration = duration
    }
}
