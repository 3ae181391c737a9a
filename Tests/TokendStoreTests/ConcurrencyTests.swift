import Foundation
import Testing
import TokendCore

@testable import TokendSQLite
@testable import TokendStore

/// (b) Concurrent compare-and-set transitions: one winner, the rest see a conflict or a no-op.
@Suite struct ConcurrencyTests {
    enum Outcome: Sendable, Equatable {
        case changed, unchanged, conflict
    }

    @Test(arguments: StoreBackend.all) func concurrentRevokeAndForgetHaveOneTerminal(backend: StoreBackend) async throws {
        let h = try await StoreHarness.make(backend)
        defer { h.cleanup() }
        for round in 0..<5 {
            let token = try await h.register("race-\(round)")
            let store = h.store
            let outcomes = await withTaskGroup(of: (String, Outcome).self) { group in
                for index in 0..<16 {
                    group.addTask {
                        do {
                            if index.isMultiple(of: 2) {
                                let result = try await store.requestRevoke(
                                    id: token.id, reason: .requested, note: nil, actor: StoreHarness.client)
                                return ("revoke", result.changed ? .changed : .unchanged)
                            } else {
                                let result = try await store.forget(id: token.id, note: nil, actor: StoreHarness.client)
                                return ("forget", result.changed ? .changed : .unchanged)
                            }
                        } catch StoreError.conflict {
                            return (index.isMultiple(of: 2) ? "revoke" : "forget", .conflict)
                        } catch {
                            Issue.record("unexpected \(error)")
                            return ("error", .conflict)
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let forgetWins = outcomes.filter { $0 == ("forget", .changed) }.count
            let revokeWins = outcomes.filter { $0 == ("revoke", .changed) }.count
            #expect(forgetWins == 1)
            #expect(revokeWins <= 1)
            #expect(outcomes.filter { $0.0 == "forget" && $0.1 == .conflict }.isEmpty)
            #expect(try await h.store.token(id: token.id)?.state == .forgotten)
            let actions = try await h.auditActions(token.id)
            #expect(actions.filter { $0 == "forgotten" }.count == 1)
            #expect(actions.filter { $0 == "revoke_requested" }.count == revokeWins)
            #expect(actions.filter { AuditAction(rawValue: $0)?.isTerminal == true }.count == 1)
        }
    }

    @Test(arguments: StoreBackend.all) func concurrentRetryOfOneFailedTokenHasOneWinner(backend: StoreBackend) async throws {
        let h = try await StoreHarness.make(backend)
        defer { h.cleanup() }
        let token = try await h.register("retry-race")
        try await h.fail(token.id)
        let store = h.store
        let outcomes = await withTaskGroup(of: Outcome.self) { group in
            for _ in 0..<12 {
                group.addTask {
                    do {
                        _ = try await store.retry(id: token.id, actor: StoreHarness.operatorActor)
                        return .changed
                    } catch StoreError.conflict(_, let state, _) {
                        #expect(state == .revoking)
                        return .conflict
                    } catch {
                        Issue.record("unexpected \(error)")
                        return .unchanged
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == .changed }.count == 1)
        #expect(outcomes.filter { $0 == .conflict }.count == 11)
        let record = try #require(try await h.store.token(id: token.id))
        #expect(record.episode == 2)
        #expect(record.state == .revoking)
        #expect(try await h.auditActions(token.id).filter { $0 == "retry" }.count == 1)
    }

    @Test(arguments: StoreBackend.all) func concurrentClaimsNeverShareAToken(backend: StoreBackend) async throws {
        let h = try await StoreHarness.make(backend)
        defer { h.cleanup() }
        for index in 0..<40 { try await h.register("claim-race-\(index)", ttl: .seconds(60)) }
        h.clock.advance(by: .seconds(120))
        let store = h.store
        let claimed = await withTaskGroup(of: [String].self) { group in
            for _ in 0..<8 {
                group.addTask { (try? await store.claimDue(account: "acme", limit: 7))?.map(\.id) ?? [] }
            }
            return await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(claimed.count == 40)
        #expect(Set(claimed).count == 40)
    }
}
