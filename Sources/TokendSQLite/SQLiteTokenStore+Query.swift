import Foundation
import GRDB
import TokendCore
import TokendStore

extension SQLiteTokenStore {
    /// One token by id.
    public func token(id: String) async throws -> TokenRecord? {
        try await read { db in try Self.fetchRecord(db, id: id) }
    }

    /// Tokens whose fingerprint matches `rawToken` (one per account at most). The account list (from the
    /// small `state_counts` table) lets the `(account, fingerprint)` unique index answer instead of a scan.
    public func lookup(rawToken: String) async throws -> [TokenRecord] {
        let fingerprint = Data(sealer.fingerprintMAC(rawToken))
        return try await read { db in
            let statement = try db.cachedStatement(sql: Self.lookupSQL)
            let rows = try Row.fetchCursor(statement, arguments: [fingerprint])
            var records: [TokenRecord] = []
            while try rows.next() != nil {
                if let record = self.decoded(statement.sqliteStatement) { records.append(record) }
            }
            return records
        }
    }

    static let lookupSQL =
        "SELECT \(recordColumns) FROM tokens WHERE account IN (SELECT DISTINCT account FROM state_counts) AND fingerprint = ? ORDER BY id"

    /// The page query of ``list(_:limit:after:)`` and its arguments (the page size is the last one).
    static func listQuery(_ filter: TokenFilter, limit: Int, after cursor: TokenCursor?) -> (String, StatementArguments) {
        var (conditions, arguments) = sqlConditions(filter)
        if let cursor {
            conditions.append("(expires_at > ? OR (expires_at = ? AND id > ?))")
            _ = arguments.append(contentsOf: [cursor.expiresAtMillis, cursor.expiresAtMillis, cursor.id])
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        _ = arguments.append(contentsOf: [limit + 1])
        // Without ANALYZE statistics SQLite may prefer the account index; an owner is almost always the more
        // selective filter (a handful of tokens against a whole account).
        let index = filter.owner != nil ? "INDEXED BY tokens_owner" : ""
        return ("SELECT \(recordColumns) FROM tokens \(index) \(whereClause) ORDER BY expires_at, id LIMIT ?", arguments)
    }

    /// A page of tokens matching `filter`, ordered by `(expires_at, id)`.
    public func list(_ filter: TokenFilter, limit: Int, after cursor: TokenCursor?) async throws -> TokenPage {
        try await read { db in
            let (sql, arguments) = Self.listQuery(filter, limit: limit, after: cursor)
            // A cursor decodes each row in place (fetchAll would copy every row first), from the C API.
            let statement = try db.cachedStatement(sql: sql)
            let rows = try Row.fetchCursor(statement, arguments: arguments)
            var tokens: [TokenRecord] = []
            tokens.reserveCapacity(min(limit, 1_000))
            var more = false
            while try rows.next() != nil {
                if tokens.count == limit {
                    more = true
                    break
                }
                if let record = self.decoded(statement.sqliteStatement) { tokens.append(record) }
            }
            var next: TokenCursor?
            if more, let last = tokens.last {
                next = TokenCursor(expiresAtMillis: last.expiresAt.unixMillis, id: last.id)
            }
            return TokenPage(tokens: tokens, nextCursor: next)
        }
    }

    /// A listed row as a record, or nil (logged) for one that cannot be placed in any listing; see ``record(_:)``.
    private func decoded(_ statement: OpaquePointer) -> TokenRecord? {
        do {
            return try Self.record(statement: statement)
        } catch {
            logger.error("token row skipped", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Number of tokens matching `filter` (bulk dry runs).
    public func count(_ filter: TokenFilter) async throws -> Int {
        try await read { db in
            let (conditions, arguments) = Self.sqlConditions(filter)
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            return try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM tokens \(whereClause)"), arguments: arguments) ?? 0
        }
    }

    static func sqlConditions(_ filter: TokenFilter) -> ([String], StatementArguments) {
        var conditions: [String] = []
        var arguments = StatementArguments()
        if let provider = filter.provider {
            conditions.append("provider = ?")
            _ = arguments.append(contentsOf: [provider.rawValue])
        }
        if let account = filter.account {
            conditions.append("account = ?")
            _ = arguments.append(contentsOf: [account])
        }
        if let owner = filter.owner {
            conditions.append("owner = ?")
            _ = arguments.append(contentsOf: [owner])
        }
        if !filter.states.isEmpty {
            conditions.append("state IN (" + filter.states.map { _ in "?" }.joined(separator: ",") + ")")
            _ = arguments.append(contentsOf: StatementArguments(filter.states.map(\.rawValue)))
        }
        for (key, value) in filter.labels.sorted(by: { $0.key < $1.key }) {
            conditions.append(
                "EXISTS (SELECT 1 FROM token_labels l WHERE l.token_id = tokens.id AND l.key = ? AND l.value = ?)")
            _ = arguments.append(contentsOf: [key, value])
        }
        if let date = filter.expiresBefore {
            conditions.append("expires_at < ?")
            _ = arguments.append(contentsOf: [date.unixMillis])
        }
        if let date = filter.expiresAfter {
            conditions.append("expires_at > ?")
            _ = arguments.append(contentsOf: [date.unixMillis])
        }
        if let date = filter.issuedBefore {
            conditions.append("issued_at < ?")
            _ = arguments.append(contentsOf: [date.unixMillis])
        }
        if let uid = filter.registeredByUID {
            conditions.append("registered_by_uid = ?")
            _ = arguments.append(contentsOf: [Int64(uid)])
        }
        return (conditions, arguments)
    }

    /// Audit events, newest first; returns one page and the cursor for the next.
    public func audit(_ query: AuditQuery) async throws -> (events: [AuditEvent], nextBeforeID: Int64?) {
        try await read { db in
            var conditions: [String] = []
            var arguments = StatementArguments()
            if let tokenID = query.tokenID {
                conditions.append("token_id = ?")
                _ = arguments.append(contentsOf: [tokenID])
            }
            if let action = query.action {
                conditions.append("action = ?")
                _ = arguments.append(contentsOf: [action.rawValue])
            }
            if let since = query.since {
                conditions.append("at >= ?")
                _ = arguments.append(contentsOf: [since.unixMillis])
            }
            if let until = query.until {
                conditions.append("at < ?")
                _ = arguments.append(contentsOf: [until.unixMillis])
            }
            if let uid = query.actorUID {
                conditions.append("actor_uid = ?")
                _ = arguments.append(contentsOf: [Int64(uid)])
            }
            if let before = query.beforeID {
                conditions.append("id < ?")
                _ = arguments.append(contentsOf: [before])
            }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            _ = arguments.append(contentsOf: [query.limit + 1])
            let rows = try Row.fetchAll(
                db.cachedStatement(sql: "SELECT \(Self.auditColumns) FROM audit \(whereClause) ORDER BY id DESC LIMIT ?"),
                arguments: arguments)
            let events = rows.prefix(query.limit).map { row in
                let (event, problems) = Self.auditEvent(row)
                if !problems.isEmpty {
                    self.logger.error(
                        "audit event with undecodable values",
                        metadata: ["audit_id": "\(event.id)", "problems": "\(problems.joined(separator: "; "))"])
                }
                return event
            }
            let next = rows.count > query.limit ? events.last?.id : nil
            return (Array(events), next)
        }
    }
}
