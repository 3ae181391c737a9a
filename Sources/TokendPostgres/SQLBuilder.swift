import Logging
import PostgresNIO

/// A statement assembled from pieces with numbered placeholders, for queries whose shape depends on a filter.
struct SQLBuilder {
    var sql = ""
    var binds = PostgresBindings()

    /// Binds `value` and returns its placeholder (`$n`).
    mutating func bind<Value: PostgresThrowingDynamicTypeEncodable>(_ value: Value) -> String {
        try? binds.append(value)
        return "$\(binds.count)"
    }

    /// Binds `value` or NULL.
    mutating func bind<Value: PostgresThrowingDynamicTypeEncodable>(_ value: Value?) -> String {
        if let value { return bind(value) }
        binds.appendNull()
        return "$\(binds.count)"
    }

    mutating func bindAny(_ value: any PostgresThrowingDynamicTypeEncodable) -> String {
        func open<V: PostgresThrowingDynamicTypeEncodable>(_ v: V) -> String { bind(v) }
        return open(value)
    }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: binds) }

    /// Runs the statement and returns the number of rows it changed (from the command tag).
    func execute(_ connection: PostgresConnection, logger: Logger) async throws -> Int {
        try await connection.changes(query, logger: logger)
    }
}

extension PostgresConnection {
    /// Runs a statement and returns the number of rows it changed (from the command tag).
    func changes(_ query: PostgresQuery, logger: Logger) async throws -> Int {
        try await self.query(query, logger: logger) { _ in }.get().rows ?? 0
    }
}
