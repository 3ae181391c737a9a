/// The `action` of an audit event (control-api.md, "Audit events").
public enum AuditAction: String, Sendable, Codable, CaseIterable, Hashable {
    case registered
    case renewed
    case revokeRequested = "revoke_requested"
    case attempt
    case revoked
    case alreadyRevoked = "already_revoked"
    case failed
    case forgotten
    case retry
    case hold
    case resume
    case bulkStarted = "bulk_started"
    case auditPruned = "audit_pruned"
    case quarantined
    /// The owner of a bound token released it (`POST /v1/tokens/{id}/release`): revocation starts.
    case released
    /// A bound token's heartbeat deadline passed: revocation starts (reason `unbound`).
    case heartbeatMissed = "heartbeat_missed"
    /// tokend obtained the token itself (`POST /v1/logons`): opens the custody episode like `registered`.
    case loggedOn = "logged_on"

    /// Actions that close a custody episode; at most one per token and episode.
    public static let terminal: Set<AuditAction> = [.revoked, .alreadyRevoked, .failed, .forgotten]

    public var isTerminal: Bool { Self.terminal.contains(self) }

    /// The terminal audit action that records arrival in `state`, if `state` is terminal.
    public init?(terminal state: TokenState) {
        switch state {
        case .revoked: self = .revoked
        case .alreadyRevoked: self = .alreadyRevoked
        case .failed: self = .failed
        case .forgotten: self = .forgotten
        case .active, .revoking: return nil
        }
    }
}
