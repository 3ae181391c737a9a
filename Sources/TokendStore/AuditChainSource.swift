import TokendAudit

/// Where `tokend verify-audit` and the export read the chain from: a store, or a read-only view of one's
/// database (the daemon may be stopped).
public protocol AuditChainSource: Sendable {
    /// Up to `limit` audit rows with an id above `after`, in id order, exactly as stored.
    func auditChain(after id: Int64, limit: Int) async throws -> [ChainRow]
    /// Every checkpoint, in id order.
    func auditCheckpoints() async throws -> [Checkpoint]
}

extension AuditChainSource {
    /// Feeds every row with an id above `after` to `verifier`, in batches of `batch`, and returns how many it
    /// read. The next batch is read while the current one is checked, so a walk takes about as long as the
    /// slower of reading and hashing rather than their sum (two cores: ~2× on SQLite). Memory holds two batches.
    public func walk(
        after: Int64, into verifier: inout ChainVerifier, batch: Int = 20_000, progress: (Int) -> Void = { _ in }
    ) async throws -> Int {
        var pending = try await auditChain(after: after, limit: batch)
        var walked = 0
        while let last = pending.last {
            async let next = auditChain(after: last.id, limit: batch)
            for row in pending { verifier.consume(row) }
            walked += pending.count
            progress(walked)
            pending = try await next
        }
        return walked
    }
}
