/// Where a token is in its custody life.
///
/// ```
/// active ──► revoking ──► revoked | already_revoked | failed
///   │            │                                     │
///   └────────────┴──────────► forgotten ◄──────────────┘
///                 failed ──retry──► revoking
/// ```
public enum TokenState: String, Sendable, Codable, CaseIterable, Hashable {
    case active
    case revoking
    case revoked
    case alreadyRevoked = "already_revoked"
    case failed
    case forgotten

    /// A terminal state ends a custody episode (`failed` only until a `retry`).
    public var isTerminal: Bool {
        switch self {
        case .active, .revoking: false
        case .revoked, .alreadyRevoked, .failed, .forgotten: true
        }
    }

    /// Live tokens count against the `[limits]` caps and are still held by the provider as far as we know.
    public var isLive: Bool { self == .active || self == .revoking }

    /// The terminal successes: the provider no longer honours the token.
    public var isRevokedAtProvider: Bool { self == .revoked || self == .alreadyRevoked }

    /// The states this one may move to. Everything else is a programming error or a lost race.
    public var legalSuccessors: Set<TokenState> {
        switch self {
        case .active: [.revoking, .forgotten]
        case .revoking: [.revoked, .alreadyRevoked, .failed, .forgotten]
        case .failed: [.revoking, .forgotten]
        case .revoked, .alreadyRevoked, .forgotten: []
        }
    }

    /// Whether `self → next` is a legal transition.
    public func canTransition(to next: TokenState) -> Bool { legalSuccessors.contains(next) }
}
