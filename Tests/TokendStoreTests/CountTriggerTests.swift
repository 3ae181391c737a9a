import Foundation
import GRDB
import Testing
import TokendCore

@testable import TokendSQLite
@testable import TokendStore

/// The triggers that keep `state_counts` and `live_counts` do a fixed, small amount of work per change
/// (migration 3). Migration 1's state trigger guarded its `live_counts` statements with an `OR` of two keys,
/// which SQLite runs as a MULTI-INDEX OR with a temporary table on every claim and every outcome.
@Suite struct CountTriggerTests {
    /// Every statement in the bodies of the triggers on `tokens`, with `OLD.x`/`NEW.x` as parameters.
    private func triggerStatements(_ db: Database) throws -> [String] {
        let bodies = try String.fetchAll(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'tokens'")
        let reference = try NSRegularExpression(pattern: "\\b(OLD|NEW)\\.[a-z_]+")
        return bodies.flatMap { body -> [String] in
            guard let begin = body.range(of: "BEGIN"), let end = body.range(of: "END", options: .backwards) else { return [] }
            let inner = String(body[begin.upperBound..<end.lowerBound])
            let range = NSRange(inner.startIndex..., in: inner)
            let parameterised = reference.stringByReplacingMatches(in: inner, range: range, withTemplate: "?")
            return parameterised.split(separator: ";").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                .filter { !$0.isEmpty }
        }
    }

    @Test func everyCountTriggerStatementIsAPointUpdate() throws {
        let h = try StoreHarness()
        defer { h.cleanup() }
        try h.rawQueue().readSync { db in
            let statements = try triggerStatements(db)
            #expect(statements.count >= 8)
            for sql in statements {
                let parameters = sql.filter { $0 == "?" }.count
                let plan = try Row.fetchAll(
                    db, sql: "EXPLAIN QUERY PLAN " + sql,
                    arguments: StatementArguments(Array(repeating: "x", count: parameters)))
                    .map { $0["detail"] as String }
                for line in plan {
                    let point = line.hasPrefix("SEARCH") && line.contains("PRIMARY KEY")
                    #expect(point || line == "SCAN CONSTANT ROW", "\(line) in: \(sql)")
                }
            }
        }
    }

    @Test func countsStayExactAcrossEveryTransitionWithManyOwners() async throws {
        let h = try StoreHarness()
        defer { h.cleanup() }
        var ids: [String] = []
        for index in 0..<40 {
            ids.append(try await h.register("many-owners-\(index)", owner: "owner-\(index % 7)").id)
        }
        for (index, id) in ids.enumerated() {
            switch index % 5 {
            case 0: _ = try await h.store.forget(id: id, note: nil, actor: StoreHarness.operatorActor)
            case 1: try await h.finish(id, as: .done(.revoked))
            case 2:
                try await h.fail(id)
                if index % 2 == 0 { _ = try await h.store.retry(id: id, actor: StoreHarness.operatorActor) }
            case 3: _ = try await h.store.requestRevoke(id: id, reason: .requested, note: nil, actor: StoreHarness.operatorActor)
            default: break
            }
        }
        let mismatches = try h.rawQueue().readSync { db in
            try Int.fetchOne(db, sql: """
                SELECT (SELECT count(*) FROM (SELECT provider, account, state, count(*) AS c FROM tokens GROUP BY 1, 2, 3) t
                        LEFT JOIN state_counts s USING (provider, account, state) WHERE s.n IS NOT t.c)
                     + (SELECT count(*) FROM state_counts s WHERE s.n <> 0 AND NOT EXISTS (SELECT 1 FROM tokens t
                        WHERE t.provider = s.provider AND t.account = s.account AND t.state = s.state))
                     + (SELECT count(*) FROM (SELECT owner, count(*) AS c FROM tokens WHERE state IN ('active','revoking') GROUP BY 1) t
                        LEFT JOIN live_counts l ON l.scope = 'owner' AND l.key = t.owner WHERE l.n IS NOT t.c)
                     + (SELECT count(*) FROM live_counts l WHERE l.scope = 'owner' AND l.n <> (SELECT count(*) FROM tokens t
                        WHERE t.owner = l.key AND t.state IN ('active','revoking')))
                     + (SELECT count(*) FROM live_counts l WHERE l.scope = 'account' AND l.n <> (SELECT count(*) FROM tokens t
                        WHERE t.account = l.key AND t.state IN ('active','revoking')))
                """)
        }
        #expect(mismatches == 0)
    }
}
