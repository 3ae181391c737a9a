/// Why a token left (or is leaving) custody; the record's `revocation_reason`.
public enum RevocationReason: String, Sendable, Codable, CaseIterable, Hashable {
    case expired
    case requested
    case bulk
    case forgotten
    case failed
}
