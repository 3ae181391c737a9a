import Foundation
import TokendCore

/// Filter for the audit query (newest first).
public struct AuditQuery: Sendable, Hashable {
    public var tokenID: String?
    public var action: AuditAction?
    public var since: Date?
    public var until: Date?
    public var actorUID: UInt32?
    /// Only events with an id below this (the paging cursor).
    public var beforeID: Int64?
    public var limit: Int

    public init(
        tokenID: String? = nil, action: AuditAction? = nil, since: Date? = nil, until: Date? = nil,
        actorUID: UInt32? = nil, beforeID: Int64? = nil, limit: Int = 100
    ) {
        self.tokenID = tokenID
        self.action = action
        self.since = since
        self.until = until
        self.actorUID = actorUID
        self.beforeID = beforeID
        self.limit = limit
    }
}
