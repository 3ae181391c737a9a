/// Why a token left (or is leaving) custody; the record's `revocation_reason`.
public enum RevocationReason: String, Sendable, Codable, CaseIterable, Hashable {
    case expired
    case requested
    case bulk
    case forgotten
    case failed
    /// A bound token released by its owner.
    case released
    /// A bound token whose owner stopped sending heartbeats.
    case unbound
}
