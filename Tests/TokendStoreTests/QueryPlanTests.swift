import Foundation
import GRDB
import Testing
import TokendCore

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
        let (sql, arguments) = TokenStore.listQuery(filter, limit: 100, after: TokenCursor(expiresAtMillis: 1, id: "tok_x"))
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
        let plan = try plan(TokenStore.lookupSQL, ["hmac-sha256:00"])
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
