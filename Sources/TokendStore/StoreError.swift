import TokendCore

/// Typed failures of store operations; the control API maps each to one status code.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No such token (or not visible to the caller).
    case notFound(String)
    /// A compare-and-set lost: the row is not in a state the operation accepts.
    case conflict(id: String, state: TokenState, message: String)
    /// A live-token cap would be exceeded.
    case tooMany(scope: String, key: String, limit: Int)
    /// The database cannot be written (full disk, read-only file, I/O error, lock timeout).
    case unavailable(String)
    /// Anything else the database said; never caused by input.
    case internalError(String)

    public var description: String {
        switch self {
        case .notFound(let id): "token \(id) not found"
        case .conflict(_, _, let message): message
        case .tooMany(let scope, let key, let limit): "\(scope) '\(key)' already has \(limit) live tokens"
        case .unavailable(let why): "database unavailable: \(why)"
        case .internalError(let why): "internal store error: \(why)"
        }
    }
}
