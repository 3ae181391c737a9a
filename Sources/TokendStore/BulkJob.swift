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
    /// Matched tokens the job did not take because something else already held them when their chunk was
    /// marked (another job, an on-demand revoke, the expiry scheduler) or that left `active` before it:
    /// `matched = revoked + already_revoked + failed + forgotten + skipped + pending`.
    public var skipped: Int = 0
    /// True while matched tokens are still being marked, chunk by chunk.
    public var marking: Bool = false
    public var reason: String?
    /// `running` while any of its tokens is still to be marked or `revoking`, then `done`.
    public var state: String { pending > 0 || marking ? "running" : "done" }

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

extension BulkJob {
    /// Tokens marked per transaction: small enough that a chunk's statement journal stays in memory and its
    /// write lock is held for milliseconds, large enough that a million tokens take a thousand chunks.
    public static let markChunk = 1_000

    /// Derives `skipped` and `pending` from the terminal counts and how many tokens the job marked (`nil` for a
    /// job from before chunked marking: everything it took is then counted by state). While marking, every
    /// matched token not yet terminal is pending; once marked, the matched tokens it never took are skipped.
    public mutating func settle(marked: Int?, taggedLive: Int = 0) {
        let terminal = revoked + alreadyRevoked + failed + forgotten
        if marking {
            skipped = 0
            pending = max(matched - terminal, 0)
        } else if let marked {
            skipped = max(matched - marked, 0)
            pending = max(matched - skipped - terminal, 0)
        } else {
            pending = taggedLive
            skipped = max(matched - terminal - taggedLive, 0)
        }
    }
}
