import Foundation
import TokendCore

/// A bulk revocation job and its progress.
public struct BulkJob: Sendable, Hashable {
    public var id: String
    public var createdAt: Date
    public var matched: Int
    public var revoked: Int
    public var alreadyRevoked: Int
    public var failed: Int
    public var forgotten: Int
    public var pending: Int
    public var reason: String?
    /// `running` while any of its tokens is still `revoking`, then `done`.
    public var state: String { pending > 0 ? "running" : "done" }

    public init(id: String, createdAt: Date, matched: Int, revoked: Int, alreadyRevoked: Int, failed: Int, forgotten: Int, pending: Int, reason: String? = nil) {
        self.id = id
        self.createdAt = createdAt
        self.matched = matched
        self.revoked = revoked
        self.alreadyRevoked = alreadyRevoked
        self.failed = failed
        self.forgotten = forgotten
        self.pending = pending
        self.reason = reason
    }
}
