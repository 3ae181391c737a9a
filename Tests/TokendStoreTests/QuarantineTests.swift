import Foundation
import GRDB
import Testing
import TokendCore

@testable import TokendSQLite
@testable import TokendStore

/// Rows the store cannot trust (SQLite does not enforce column types): no crash, everything else keeps working,
/// and the scheduler's claim quarantines what it cannot use.
@Suite struct QuarantineTests {
    @Test func textInIntegerColumnsIsQuarantinedOrSkippedNeverACrash() async throws {
        let h = try StoreHarness()
        defer { h.cleanup() }
        let good = try await h.register("good", ttl: .zero)
        let badAttempts = try await h.register("bad-attempts", ttl: .zero)
        let badIssued = try await h.register("bad-issued", ttl: .zero)
        let badExpiry = try await h.register("bad-expiry", ttl: .zero)
        let raw = try h.rawQueue()
        try await raw.write { db in
            let damage = [("attempts", badAttempts.id), ("issued_at", badIssued.id), ("expires_at", badExpiry.id)]
            for (column, id) in damage {
                try db.execute(sql: "UPDATE tokens SET \(column) = 'garbage' WHERE id = ?", arguments: [id])
                #expect(try String.fetchOne(db, sql: "SELECT typeof(\(column)) FROM tokens WHERE id = ?", arguments: [id]) == "text")
            }
        }
        try raw.close()

        // Listing: the other tokens as they are, a row with a bad column with that column named in `quarantine`;
        // the row whose `expires_at` (the page order) is unreadable cannot be placed and is left out.
        let listed = try await h.store.list(TokenFilter(), limit: 100).tokens
        #expect(Set(listed.map(\.id)) == [good.id, badAttempts.id, badIssued.id])
        #expect(listed.first { $0.id == good.id }?.quarantine == nil)
        #expect(listed.first { $0.id == badAttempts.id }?.quarantine == "attempts is not an integer")
        #expect(listed.first { $0.id == badIssued.id }?.quarantine == "issued_at is not an integer")
        // Paging one at a time visits the same rows and ends.
        var paged: [String] = []
        var cursor: TokenCursor?
        repeat {
            let page = try await h.store.list(TokenFilter(), limit: 1, after: cursor)
            paged += page.tokens.map(\.id)
            cursor = page.nextCursor
        } while cursor != nil && paged.count < 10
        #expect(Set(paged) == Set(listed.map(\.id)))
        #expect(paged.count == 3)
        #expect(try await h.store.lookup(rawToken: "good").map(\.id) == [good.id])
        await #expect(throws: StoreError.self) { try await h.store.token(id: badExpiry.id) }

        // The claim: the row whose `attempts` it needs is quarantined with its state unchanged; the others go on
        // (`issued_at` plays no part in a revocation; a TEXT `expires_at` is never due).
        let claims = try await h.store.claimDue(account: "acme", limit: 10)
        #expect(Set(claims.map(\.id)) == [good.id, badIssued.id])
        let relisted = try await h.store.list(TokenFilter(), limit: 100).tokens
        let quarantined = try #require(relisted.first { $0.id == badAttempts.id })
        #expect(quarantined.state == .active)
        #expect(quarantined.quarantine?.contains("attempts is not an integer") == true)
        #expect(quarantined.lastError?.hasPrefix("quarantined: ") == true)
        #expect(try await h.store.stateCounts().quarantined == 1)
        #expect(try await h.actions(badAttempts.id).last == "quarantined")
        // Skipped by later passes.
        #expect(try await h.store.claimDue(account: "acme", limit: 10).isEmpty)
    }

    @Test func damagedAuditRowsAreReadNeverACrash() async throws {
        let h = try StoreHarness()
        defer { h.cleanup() }
        let token = try await h.register("audited", ttl: .seconds(60))
        let raw = try h.rawQueue()
        try await raw.write { db in
            // Append-only forbids UPDATE, so the damage arrives as inserted rows of the wrong storage classes.
            try db.execute(
                sql: """
                    INSERT INTO audit (at, token_id, episode, action, actor_uid, actor_pid, actor_role, attempt)
                    VALUES ('yesterday', ?, 'one', 'renewed', 'root', 1, 'client', 'x'), (12, ?, 1, 'bogus', 1, 1, 'client', 1)
                    """, arguments: [token.id, token.id])
        }
        try raw.close()
        let events = try await h.store.audit(AuditQuery(tokenID: token.id)).events
        #expect(events.count == 3)
        let textual = try #require(events.first { $0.at == Date(unixMillis: 0) })
        #expect(textual.action == .renewed)
        #expect(textual.episode == nil && textual.attempt == nil)
        #expect(textual.actor == .caller(uid: 0, pid: 1, role: .client))
        #expect(events.contains { $0.at == Date(unixMillis: 12) && $0.action == .attempt })
        #expect(events.last?.action == .registered)
    }

    @Test func backlogLeavesQuarantinedRowsOut() async throws {
        let h = try StoreHarness()
        defer { h.cleanup() }
        let oldest = try await h.register("oldest", ttl: .seconds(-60))
        let stuck = try await h.register("stuck", ttl: .seconds(-30))
        try await h.register("due", ttl: .seconds(-10))
        try await h.register("later", ttl: .seconds(3600))
        _ = try await h.store.requestRevoke(id: stuck.id, reason: .requested, note: nil, actor: StoreHarness.operatorActor)
        let raw = try h.rawQueue()
        try await raw.write { db in
            try db.execute(
                sql: "UPDATE tokens SET quarantine = 'test' WHERE id IN (?, ?)", arguments: [oldest.id, stuck.id])
        }
        try raw.close()
        let backlog = try await h.store.backlog(accounts: ["acme"])
        #expect(backlog.due == 1)
        #expect(backlog.oldest == h.clock.now().adding(.seconds(-10)))
    }
}
