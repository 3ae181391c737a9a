import Foundation
import GRDB
import Testing
import TokendCore

@testable import TokendSQLite
@testable import TokendStore

/// (f) A database created by migration 1 opens under the current code with its data intact.
@Suite struct MigrationTests {
    @Test func v1DatabaseOpensUnderCurrentStore() async throws {
        let h = try StoreHarness()  // only for a directory, a key and a clock
        defer { h.cleanup() }
        let path = h.directory.appendingPathComponent("v1.sqlite3").path
        let id = Identifier.make(prefix: "tok_", now: h.clock.now())
        let raw = "v1-raw-token-value"
        let sealed = try h.sealer.seal(raw, tokenID: id)
        let fingerprint = h.sealer.fingerprint(raw)
        let now = h.clock.now().unixMillis
        do {
            let queue = try DatabaseQueue(path: path)
            try V1Schema.migrator.migrate(queue)
            try queue.writeSync { db in
                try db.execute(
                    sql: """
                        INSERT INTO tokens (id, provider, account, owner, labels, state, fingerprint, sealed, issued_at,
                                            expires_at, registered_by_uid)
                        VALUES (?, 'box', 'main', 'carol', '{"env":"prod"}', 'active', ?, ?, ?, ?, 1000)
                        """,
                    arguments: [id, fingerprint, sealed, now, now + 60_000])
                try db.execute(
                    sql: "INSERT INTO token_labels (token_id, key, value) VALUES (?, 'env', 'prod')", arguments: [id])
                try db.execute(
                    sql: "INSERT INTO audit (at, token_id, episode, action, actor_uid, actor_pid, actor_role) VALUES (?, ?, 1, 'registered', 1000, 1, 'client')",
                    arguments: [now, id])
            }
            #expect(try queue.readSync { db in try V1Schema.migrator.appliedIdentifiers(db) } == [V1Schema.identifier])
        }

        let store = try SQLiteTokenStore(path: path, sealer: h.sealer, clock: h.clock)
        #expect(try store.appliedMigrations() == Schema.migrator.migrations)
        #expect(try store.appliedMigrations().first == V1Schema.identifier)
        #expect(try store.integrityCheck().isEmpty)
        let record = try #require(try await store.token(id: id))
        #expect(record.provider == .box)
        #expect(record.account == "main")
        #expect(record.owner == "carol")
        #expect(record.labels == ["env": "prod"])
        #expect(record.state == .active)
        #expect(record.expiresAt.unixMillis == now + 60_000)
        #expect(try await store.lookup(rawToken: raw).map(\.id) == [id])
        // v9 turned the text fingerprint into its 32-byte MAC; the record still shows the text.
        #expect(record.fingerprint == fingerprint)
        let stored = try DatabaseQueue(path: path).readSync { db in
            try Row.fetchOne(db, sql: "SELECT typeof(fingerprint), length(fingerprint) FROM tokens WHERE id = ?", arguments: [id])
        }
        #expect(stored?[0] as String? == "blob")
        #expect(stored?[1] as Int? == 32)
        // The unique index still finds the migrated row: the same raw token registers as the existing record.
        let again = try await store.register(
            NewToken(
                provider: .box, account: "main", owner: "carol", labels: [:], token: raw,
                expiresAt: h.clock.now().addingTimeInterval(60), registeredByUID: 1000),
            actor: .caller(uid: 1000, pid: 1, role: .client))
        #expect(!again.created)
        #expect(again.record.id == id)
        #expect(try await store.stateCounts().byState[.active] == 1)
        #expect(try await store.list(TokenFilter(labels: ["env": "prod"]), limit: 10).tokens.map(\.id) == [id])
        // And it works as a live store: the v1 row is claimed, unsealed and revoked.
        h.clock.advance(by: .seconds(120))
        let claim = try #require(try await store.claimDue(account: "main", limit: 10).first)
        #expect(claim.token == raw)
        try await store.recordAttempt(
            claim, result: AttemptResult(outcome: .revoked, httpStatus: 200, duration: .zero), decision: .done(.revoked))
        #expect(try await store.token(id: id)?.state == .revoked)
        let actions = try await store.audit(AuditQuery(tokenID: id)).events.map(\.action)
        #expect(actions == [.revoked, .attempt, .revokeRequested, .registered])
    }

    @Test func migrationOneIsExactlyTheFrozenV1() async throws {
        // Migration 1 as the code has it today must still create what shipped, statement for statement.
        let schemaSQL = "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'grdb_%' ORDER BY name"
        let frozen = try DatabaseQueue()
        try V1Schema.migrator.migrate(frozen)
        let expected = try frozen.readSync { db in try Row.fetchAll(db, sql: schemaSQL) }
        let current = try DatabaseQueue()
        try Schema.migrator.migrate(current, upTo: V1Schema.identifier)
        let actual = try current.readSync { db in try Row.fetchAll(db, sql: schemaSQL) }
        #expect(actual == expected)
        #expect(!expected.isEmpty)
    }

    @Test func migrationTwoReplacesTheListIndexes() async throws {
        let h = try StoreHarness()
        defer { h.cleanup() }
        let indexes = try h.rawQueue().readSync { db in
            try String.fetchSet(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index'")
        }
        #expect(indexes.contains("tokens_account"))
        #expect(!indexes.contains("tokens_provider_account"))
        #expect(!indexes.contains("audit_at"))
        #expect(indexes.contains("tokens_heartbeat_due"))
        #expect(try h.sqlite.appliedMigrations() == ["v1-tokens-audit", "v2-list-indexes", "v3-count-triggers", "v5-bound", "v6-chunked-bulk", "v7-audit-chain", "v8-bulk-cursor", "v9-fingerprint-mac"])
    }
}
