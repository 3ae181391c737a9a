import TokendAudit

/// Where `tokend verify-audit` and the export read the chain from: a store, or a read-only view of one's
/// database (the daemon may be stopped).
public protocol AuditChainSource: Sendable {
    /// Up to `limit` audit rows with an id above `after`, in id order, exactly as stored.
    func auditChain(after id: Int64, limit: Int) async throws -> [ChainRow]
    /// Every checkpoint, in id order.
    func auditCheckpoints() async throws -> [Checkpoint]
}
