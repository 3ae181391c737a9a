/// What a caller may do, decided from its kernel-reported uid and groups.
public enum Role: String, Sendable, Codable, Comparable, CaseIterable {
    case client
    case `operator`
    case admin

    private var rank: Int {
        switch self {
        case .client: 0
        case .operator: 1
        case .admin: 2
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }
}

/// Who caused an audited change.
public enum Actor: Sendable, Hashable {
    /// A control-API caller, identified by `SO_PEERCRED`.
    case caller(uid: UInt32, pid: Int32, role: Role)
    /// The daemon itself (`"scheduler"`, `"retention"`, `"breaker"`, …).
    case system(String)
}
