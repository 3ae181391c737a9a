import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TokendAudit
import TokendCore
import TokendStore

extension ControlAPI {
    /// `GET /v1/audit/checkpoints` (operator): every signed checkpoint, oldest first.
    @Sendable func listCheckpoints(_ request: Request, context: ControlContext) async throws -> Response {
        try require(.operator, try context.requireCaller())
        let query = QueryParameters(request)
        try query.finish()
        let checkpoints = try await store.auditCheckpoints()
        return JSONResponse.make(.ok, .object(["checkpoints": .array(checkpoints.map(\.json))]))
    }

    /// `POST /v1/audit/checkpoints` (operator): signs the chain head now → 201 checkpoint.
    @Sendable func createCheckpoint(_ request: Request, context: ControlContext) async throws -> Response {
        try require(.operator, try context.requireCaller())
        guard let signer = auditSigner else {
            throw APIError(.serviceUnavailable, code: "unavailable", "this daemon has no audit signing key")
        }
        guard let checkpoint = try await store.appendCheckpoint(kind: .manual, minimumAge: .zero, signer: signer) else {
            throw APIError(.conflict, code: "conflict", "the audit holds no chained event to checkpoint yet")
        }
        logger.notice(
            "audit checkpoint",
            metadata: [
                "checkpoint_id": "\(checkpoint.id)", "audit_id": "\(checkpoint.auditID)",
                "hash": "\(Hex.encode(checkpoint.hash))", "count": "\(checkpoint.count)", "kind": "manual",
                "signature": "\(Hex.encode(checkpoint.signature))",
            ])
        return JSONResponse.make(.created, checkpoint.json)
    }

    /// `GET /v1/audit/export?since=&until=` (operator): JSON Lines, one contiguous id range of events with their
    /// hashes (from the first event at or after `since` up to the last one before the first event after
    /// `until`), then the checkpoints that vouch for them, then an `end` line (docs/audit.md, "Export").
    @Sendable func exportAudit(_ request: Request, context: ControlContext) async throws -> Response {
        try require(.operator, try context.requireCaller())
        var query = QueryParameters(request)
        let since = try query.timestamp("since")
        let until = try query.timestamp("until")
        try query.finish()
        if let since, let until, until < since {
            throw APIError.badRequest("'until' is before 'since'", field: "until")
        }
        var start: Int64 = 0
        if let since {
            // No event that late: an empty export (still with its end line).
            start = (try await store.firstAuditID(atOrAfter: since)).map { $0 - 1 } ?? Int64.max - 1
        }
        let untilMillis = until?.unixMillis
        let startID = start
        let store = self.store
        let body = ResponseBody { writer in
            var after = startID
            var first: Int64?
            var last: Int64?
            var events = 0
            paging: while after < Int64.max - 1 {
                let rows = try await store.auditChain(after: after, limit: 2_000)
                if rows.isEmpty { break }
                var buffer = ByteBuffer()
                for row in rows {
                    if let untilMillis, row.at > untilMillis { break }
                    buffer.writeString(ExportFormat.encode(.event(row)))
                    if first == nil { first = row.id }
                    last = row.id
                    events += 1
                }
                if buffer.readableBytes > 0 { try await writer.write(buffer) }
                if last != rows.last?.id { break paging }
                after = rows[rows.count - 1].id
            }
            var covering: [Checkpoint] = []
            for checkpoint in try await store.auditCheckpoints() {
                let within = first.map { checkpoint.auditID >= $0 && checkpoint.auditID <= (last ?? $0) } ?? false
                let anchors = first.map { checkpoint.kind == .prune && checkpoint.prunedThrough == $0 - 1 } ?? false
                if checkpoint.kind == .genesis || within || anchors { covering.append(checkpoint) }
            }
            var tail = ByteBuffer()
            for checkpoint in covering { tail.writeString(ExportFormat.encode(.checkpoint(checkpoint))) }
            tail.writeString(ExportFormat.encode(.end(events: events, checkpoints: covering.count)))
            try await writer.write(tail)
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: body)
    }
}

extension Checkpoint {
    /// The contract's checkpoint object (control-api.md, "Audit chain").
    var json: JSON {
        .object([
            "id": .int(id),
            "audit_id": .int(auditID),
            "hash": .string(Hex.encode(hash)),
            "at": .date(Date(unixMillis: at)),
            "count": .int(count),
            "kind": .string(kind.rawValue),
            "pruned_through": prunedThrough.map { .int($0) } ?? .null,
            "pruned_hash": .optional(prunedHash.map(Hex.encode)),
            "signature": .string(Hex.encode(signature)),
        ])
    }
}
