import Foundation
import GRDB
import Testing
import TokendCore

@testable import TokendSQLite
@testable import TokendStore

/// The queries that must stay fast at a million tokens use an index that yields rows in the page order:
/// no full scan and no temporary sort of every matching row (both were found and fixed by migration 2).
@Suite struct QueryPlanTests {
    private func plan(_ sql: String, _ arguments: StatementArguments = StatementArguments()) throws -> String {
        let h = try StoreHarness()
        defer { h.cleanup() }
        return try h.rawQueue().readSync { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments)
                .map { $0["detail"] as String }.joined(separator: "\n")
        }
    }

    private func listPlan(_ filter: TokenFilter) throws -> String {
        let (sql, arguments) = SQLiteTokenStore.listQuery(filter, limit: 100, after: TokenCursor(expiresAtMillis: 1, id: "tok_x"))
        return try plan(sql, arguments)
    }

    @Test(arguments: [
        ("account", TokenFilter(account: "fb"), "tokens_account"),
        ("account and provider", TokenFilter(provider: .box, account: "bx"), "tokens_account"),
        ("account and state", TokenFilter(account: "fb", states: [.active]), "tokens_account"),
        ("owner", TokenFilter(owner: "alice"), "tokens_owner"),
        ("owner and account", TokenFilter(account: "fb", owner: "alice"), "tokens_owner"),
        ("client's own", TokenFilter(registeredByUID: 1000), "tokens_uid"),
        ("everything", TokenFilter(), "tokens_expiry"),
    ])
    func listingWalksAnIndexInPageOrder(_ name: String, _ filter: TokenFilter, _ index: String) throws {
        let plan = try listPlan(filter)
        #expect(plan.contains("INDEX \(index)"), "\(name): \(plan)")
        #expect(!plan.contains("TEMP B-TREE"), "\(name): \(plan)")
    }

    @Test func lookupByRawTokenUsesTheUniqueIndex() throws {
        let plan = try plan(SQLiteTokenStore.lookupSQL, ["hmac-sha256:00"])
        #expect(plan.contains("account=? AND fingerprint=?"), "\(plan)")
        #expect(!plan.contains("SCAN tokens"), "\(plan)")
    }

    @Test func lookupFindsTokensOfEveryAccount() async throws {
        let h = try StoreHarness()
        defer { h.cleanup() }
        let a = try await h.register("shared-raw", account: "fb")
        let b = try await h.register("shared-raw", provider: .box, account: "bx")
        #expect(Set(try await h.store.lookup(rawToken: "shared-raw").map(\.id)) == [a.id, b.id])
        #expect(try await h.store.lookup(rawToken: "other-raw").isEmpty)
    }
}

/// The backlog (status, metrics and the breaker, which may count a million due rows after a clock jump) reads
/// the due indexes, and the quarantined rows only through their partial index.
@Suite struct BacklogQueryPlanTests {
    private func plan(_ sql: String, _ arguments: StatementArguments = ["acme", 1, "acme", 1]) throws -> String {
        let h = try StoreHarness()
        defer { h.cleanup() }
        return try h.rawQueue().readSync { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments)
                .map { $0["detail"] as String }.joined(separator: "\n")
        }
    }

    @Test func dueCountsAreIndexRangeSearches() throws {
        let plan = try plan(SQLiteTokenStore.dueCountSQL)
        #expect(plan.contains("SEARCH tokens USING INDEX tokens_due_expiry (account=? AND expires_at<?)"), "\(plan)")
        #expect(plan.contains("SEARCH tokens USING COVERING INDEX tokens_due_attempt (state=? AND account=? AND next_attempt_at<?)"), "\(plan)")
    }

    @Test func quarantinedRowsAreCountedThroughTheirPartialIndex() throws {
        let plan = try plan(SQLiteTokenStore.quarantinedDueCountSQL)
        #expect(plan.contains("tokens_quarantine"), "\(plan)")
    }

    @Test func oldestOverdueSearchesTheDueIndexes() throws {
        let expired = try plan(SQLiteTokenStore.oldestExpiredSQL, ["acme", 1])
        #expect(expired.contains("SEARCH tokens USING INDEX tokens_due_expiry"), "\(expired)")
        let retry = try plan(SQLiteTokenStore.oldestRetrySQL, ["acme", 1])
        #expect(retry.contains("SEARCH tokens USING INDEX tokens_due_attempt"), "\(retry)")
    }
}
