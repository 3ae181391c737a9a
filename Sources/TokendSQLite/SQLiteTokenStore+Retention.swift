import Foundation
import GRDB
import TokendCore
import TokendStore

extension SQLiteTokenStore {
    /// Deletes up to `batch` audit events older than `cutoff`, never the terminal event of a token still in the
    /// table, and records the pruning itself as an `audit_pruned` event. Returns how many were removed.
    public func pruneAudit(olderThan cutoff: Date, batch: Int) async throws -> Int {
        let now = clock.now()
        return try await write { db in
            try db.cachedStatement(sql: "INSERT INTO audit_prune_permit (one) VALUES (1)").execute()
            try db.cachedStatement(sql: """
                    DELETE FROM audit WHERE id IN (
                        SELECT a.id FROM audit a WHERE a.at < ? AND a.action <> 'audit_pruned'
                          AND NOT (a.action IN \(Schema.terminalActions)
                                   AND EXISTS (SELECT 1 FROM tokens t WHERE t.id = a.token_id))
                        ORDER BY a.id LIMIT ?)
                    """).execute(arguments: [cutoff.unixMillis, batch])
            let removed = db.changesCount
            try db.cachedStatement(sql: "DELETE FROM audit_prune_permit").execute()
            if removed > 0 {
                try Self.insertAudit(
                    db, action: .auditPruned, actor: .system("retention"), at: now,
                    AuditFields(reason: "removed \(removed) events older than \(cutoff.unixMillis)"))
            }
            return removed
        }
    }
}
