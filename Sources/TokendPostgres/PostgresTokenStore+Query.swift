import Foundation
import PostgresNIO
import TokendCore
import TokendStore

extension PostgresTokenStore {
    public func token(id: String) async throws -> TokenRecord? {
        try await read { connection in try await self.fetchRecord(connection, id: id) }
    }

    public func lookup(rawToken: String) async throws -> [TokenRecord] {
        let fingerprint = sealer.fingerprint(rawToken)
        return try await read { connection in
            // The (account, fingerprint) unique index, one probe per account (a loose index scan for accounts).
            try await Self.records(
                connection.query(
                    """
                    WITH RECURSIVE accounts AS (
                        SELECT min(account) AS account FROM tokens
                        UNION ALL
                        SELECT (SELECT min(account) FROM tokens WHERE account > accounts.account)
                        FROM accounts WHERE accounts.account IS NOT NULL)
                    SELECT \(unescaped: Self.recordColumns) FROM tokens
                    WHERE fingerprint = \(fingerprint)
                      AND account IN (SELECT account FROM accounts WHERE account IS NOT NULL)
                    ORDER BY id
                    """, logger: self.logger))
        }
    }

    /// Appends the filter's conditions to `query` (with binds) and returns them.
    static func conditions(_ filter: TokenFilter, _ query: inout SQLBuilder) -> [String] {
        var conditions: [String] = []
        if let provider = filter.provider { conditions.append("provider = \(query.bind(provider.rawValue))") }
        if let account = filter.account { conditions.append("account = \(query.bind(account))") }
        if let owner = filter.owner { conditions.append("owner = \(query.bind(owner))") }
        if !filter.states.isEmpty {
            conditions.append("state = ANY(\(query.bind(filter.states.map(\.rawValue))))")
        }
        if !filter.labels.isEmpty {
            conditions.append("labels @> \(query.bind(encodeLabels(filter.labels)))::jsonb")
        }
        if let date = filter.expiresBefore { conditions.append("expires_at < \(query.bind(date.unixMillis))") }
        if let date = filter.expiresAfter { conditions.append("expires_at > \(query.bind(date.unixMillis))") }
        if let date = filter.issuedBefore { conditions.append("issued_at < \(query.bind(date.unixMillis))") }
        if let uid = filter.registeredByUID { conditions.append("registered_by_uid = \(query.bind(Int64(uid)))") }
        return conditions
    }

    public func list(_ filter: TokenFilter, limit: Int, after cursor: TokenCursor?) async throws -> TokenPage {
        var query = SQLBuilder()
        var conditions = Self.conditions(filter, &query)
        if let cursor {
            conditions.append("(expires_at, id) > (\(query.bind(cursor.expiresAtMillis)), \(query.bind(cursor.id)))")
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        query.sql = "SELECT \(Self.recordColumns) FROM tokens \(whereClause) ORDER BY expires_at, id LIMIT \(query.bind(Int64(limit + 1)))"
        let statement = query.query
        return try await read { connection in
            var tokens = try await Self.records(connection.query(statement, logger: self.logger))
            var next: TokenCursor?
            if tokens.count > limit {
                tokens.removeLast(tokens.count - limit)
                if let last = tokens.last { next = TokenCursor(expiresAtMillis: last.expiresAt.unixMillis, id: last.id) }
            }
            return TokenPage(tokens: tokens, nextCursor: next)
        }
    }

    public func count(_ filter: TokenFilter) async throws -> Int {
        var query = SQLBuilder()
        let conditions = Self.conditions(filter, &query)
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        query.sql = "SELECT count(*) FROM tokens \(whereClause)"
        let statement = query.query
        return try await read { connection in
            Int(try await Self.one(connection.query(statement, logger: self.logger), Int64.self) ?? 0)
        }
    }

    public func audit(_ query: AuditQuery) async throws -> (events: [AuditEvent], nextBeforeID: Int64?) {
        var sql = SQLBuilder()
        var conditions: [String] = []
        if let tokenID = query.tokenID { conditions.append("token_id = \(sql.bind(tokenID))") }
        if let action = query.action { conditions.append("action = \(sql.bind(action.rawValue))") }
        if let since = query.since { conditions.append("at >= \(sql.bind(since.unixMillis))") }
        if let until = query.until { conditions.append("at < \(sql.bind(until.unixMillis))") }
        if let uid = query.actorUID { conditions.append("actor_uid = \(sql.bind(Int64(uid)))") }
        if let before = query.beforeID { conditions.append("id < \(sql.bind(before))") }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        sql.sql = "SELECT \(Self.auditColumns) FROM audit \(whereClause) ORDER BY id DESC LIMIT \(sql.bind(Int64(query.limit + 1)))"
        let statement = sql.query
        let limit = query.limit
        return try await read { connection in
            var events: [AuditEvent] = []
            for try await row in try await connection.query(statement, logger: self.logger) {
                events.append(try Self.auditEvent(row))
            }
            let more = events.count > limit
            if more { events.removeLast(events.count - limit) }
            return (events, more ? events.last?.id : nil)
        }
    }
}
