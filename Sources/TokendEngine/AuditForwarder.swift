import Logging
import ServiceLifecycle
import TokendAudit
import TokendStore

/// `audit.syslog = true`: tails the audit log after commit and hands each new row to `send` (the journal), so
/// that an event reaches syslog only once it is durable. Starts at the log's head when the daemon starts (the
/// database, not the journal, is the record; `tokenctl audit export` covers any gap), reads in id order with a
/// keyset cursor, and keeps no per-event state: memory is flat. In a cluster each instance forwards every
/// event to its own host's journal; `TOKEND_AUDIT_ID`/`TOKEND_AUDIT_HASH` identify duplicates.
public struct AuditForwarder: Service {
    let source: any TokenStore
    let send: @Sendable (ChainRow) -> Bool
    let interval: Duration
    let batch: Int
    let logger: Logger

    public init(
        store: any TokenStore, interval: Duration = .milliseconds(500), batch: Int = 1_000, logger: Logger,
        send: @escaping @Sendable (ChainRow) -> Bool
    ) {
        self.source = store
        self.send = send
        self.interval = interval
        self.batch = batch
        self.logger = logger
    }

    public func run() async throws {
        var after: Int64?
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await forward(after: &after)
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
        // Listed before the services that write, so it stops after them: forward what they wrote last.
        if !Task.isCancelled { try? await forward(after: &after) }
    }

    /// Forwards every row after `after` (the head, the first time), advancing it.
    private func forward(after: inout Int64?) async throws {
        do {
            if after == nil { after = try await source.audit(AuditQuery(limit: 1)).events.first?.id ?? 0 }
            while true {
                let rows = try await source.auditChain(after: after ?? 0, limit: batch)
                let refused = rows.reduce(0) { $0 + (send($1) ? 0 : 1) }
                if refused > 0 {
                    logger.warning("audit events not accepted by the journal", metadata: ["count": "\(refused)"])
                }
                guard let last = rows.last else { return }
                after = last.id
                if rows.count < batch || Task.isCancelled { return }
            }
        } catch {
            logger.warning("audit forwarding paused", metadata: ["error": "\(error)"])
            throw error
        }
    }
}
