import Foundation
import Logging
import PostgresNIO
import Testing

/// The backends the contract suite runs against: SQLite always; PostgreSQL when `scripts/test` started a
/// throwaway cluster (`TOKEND_TEST_POSTGRES_SOCKET_DIR`). With `TOKEND_REQUIRE_POSTGRES=1` (CI) a missing
/// cluster makes the PostgreSQL cases fail instead of disappearing.
enum StoreBackend: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case sqlite, postgres

    static var all: [StoreBackend] {
        let env = ProcessInfo.processInfo.environment
        if env["TOKEND_TEST_POSTGRES_SOCKET_DIR"] != nil || env["TOKEND_REQUIRE_POSTGRES"] == "1" {
            return [.sqlite, .postgres]
        }
        return [.sqlite]
    }

    var testDescription: String { rawValue }
}

/// Fresh databases on the test cluster, one per test.
enum PostgresTestDatabase {
    struct Missing: Error, CustomStringConvertible {
        var description: String {
            "TOKEND_TEST_POSTGRES_SOCKET_DIR is not set: run the tests through scripts/test, which starts PostgreSQL"
        }
    }

    static var socketDirectory: String {
        get throws {
            guard let dir = ProcessInfo.processInfo.environment["TOKEND_TEST_POSTGRES_SOCKET_DIR"] else { throw Missing() }
            return dir
        }
    }

    static var user: String { ProcessInfo.processInfo.environment["TOKEND_TEST_POSTGRES_USER"] ?? "tokend" }

    static func configuration(database: String) throws -> PostgresClient.Configuration {
        PostgresClient.Configuration(
            unixSocketPath: try socketDirectory + "/.s.PGSQL.5432", username: user, password: nil, database: database)
    }

    /// Creates an empty database and returns its name.
    static func create() async throws -> String {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
        try await admin("CREATE DATABASE \(name)")
        return String(name)
    }

    /// Runs one statement on the `postgres` database.
    static func admin(_ sql: String, database: String = "postgres") async throws {
        let client = PostgresClient(configuration: try configuration(database: database), backgroundLogger: Logger(label: "test.pg"))
        struct Timeout: Error, CustomStringConvertible {
            let sql: String
            var description: String { "PostgreSQL test cluster did not answer within 30 s: \(sql)" }
        }
        // PostgresClient waits for a connection without end when it cannot connect: bound it, so a broken
        // cluster fails the tests instead of hanging the run.
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { await client.run(); return false }
            group.addTask { try await client.query(PostgresQuery(unsafeSQL: sql)); return true }
            group.addTask { try await Task.sleep(for: .seconds(30)); throw Timeout(sql: sql) }
            defer { group.cancelAll() }
            while let done = try await group.next() { if done { return } }
        }
    }
}
