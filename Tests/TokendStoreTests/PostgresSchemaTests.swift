import Crypto
import Foundation
import Testing
import TokendStore

@testable import TokendPostgres

/// PostgreSQL-only schema rules: migrations once for N instances starting together, a newer schema refused,
/// the audit append-only in the database itself.
@Suite("PostgreSQL schema", .enabled(if: StoreBackend.all.contains(.postgres)))
struct PostgresSchemaTests {
    @Test func migrationSplitsStatementsOutsideFunctionBodies() {
        let statements = PostgresSchema.statements(of: PostgresSchema.v1)
        #expect(statements.contains { $0.hasPrefix("CREATE FUNCTION audit_append_only()") && $0.hasSuffix("END $$") })
        #expect(statements.allSatisfy { !$0.hasPrefix("--") && !$0.isEmpty })
    }

    @Test func instancesStartingTogetherMigrateOnce() async throws {
        let database = try await PostgresTestDatabase.create()
        let sealer = Sealer(masterKey: SymmetricKey(size: .bits256))
        let stores = try await withThrowingTaskGroup(of: PostgresTokenStore.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    try await PostgresTokenStore(
                        configuration: PostgresTestDatabase.configuration(database: database), description: database,
                        sealer: sealer)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(try await stores[0].appliedMigrations() == PostgresSchema.migrations.keys.sorted().map { "pg-v\($0)" })
        #expect(try await stores[0].instances().count == 4)
        for store in stores { await store.close() }
    }

    @Test func newerSchemaRefusesToOpen() async throws {
        let h = try await StoreHarness.make(.postgres)
        defer { h.cleanup() }
        await h.store.close()
        try await PostgresTestDatabase.admin(
            "INSERT INTO schema_migrations (version) VALUES (\(PostgresSchema.version + 1))", database: h.database!)
        await #expect {
            _ = try await h.reopen()
        } throws: { error in
            "\(error)".contains("newer than this tokend supports")
        }
    }

    @Test func auditRefusesUpdateDeleteAndTruncate() async throws {
        let h = try await StoreHarness.make(.postgres)
        defer { h.cleanup() }
        _ = try await h.register("append-only", ttl: .seconds(60))
        for sql in ["UPDATE audit SET reason = 'x'", "DELETE FROM audit", "TRUNCATE audit"] {
            await #expect(throws: (any Error).self, "\(sql)") {
                try await PostgresTestDatabase.admin(sql, database: h.database!)
            }
        }
    }

    @Test func wrongMasterKeyIsRefused() async throws {
        let h = try await StoreHarness.make(.postgres)
        defer { h.cleanup() }
        await #expect(throws: MasterKey.LoadError.self) {
            _ = try await PostgresTokenStore(
                configuration: PostgresTestDatabase.configuration(database: h.database!), description: "x",
                sealer: Sealer(masterKey: SymmetricKey(size: .bits256)))
        }
    }
}
