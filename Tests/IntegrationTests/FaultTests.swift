import Crypto
import Foundation
import GRDB
import Testing
import TokendCore
import TokendFakeProviders
import TokendStore

@Suite("Fault survival (issue 8)", .serialized)
struct FaultTests {
    /// A provider answers 503 for a long stretch, then recovers: every token ends revoked, the other provider is
    /// unaffected meanwhile, and no token is retried faster than its backoff allows.
    @Test func longOutageThenRecovery() async throws {
        let fb = try await FakeProviderServer.start(), bx = try await FakeProviderServer.start()
        let engine = try InProcessEngine(fogbugz: fb, box: bx)
        let outage = (0..<20).map { "outage-\($0)" }
        fb.issue(contentsOf: outage)
        fb.failNext(70, status: 503, retryAfter: "0")
        for token in outage { try await engine.register(token, account: "fb") }
        var schedule = InProcessEngine.schedule()
        schedule.maxAttempts = 50
        let scheduler = engine.scheduler(schedule: schedule)
        try await running(scheduler) {
            // Meanwhile the other provider keeps revoking.
            let others = (0..<100).map { "healthy-\($0)" }
            bx.issue(contentsOf: others)
            for token in others { try await engine.register(token, account: "bx") }
            let boxDone = try await eventually(timeout: .seconds(5)) {
                try await engine.store.stateCounts().byState(provider: .box)[.revoked] == 100
            }
            #expect(boxDone)
            let recovered = try await eventually(timeout: .seconds(30)) {
                try await engine.store.stateCounts().byState(provider: .fogbugz)[.revoked] == 20
            }
            #expect(recovered)
        }
        #expect(outage.allSatisfy { !fb.isLive($0) })
        // Backoff: consecutive attempts of one token are never closer than half the nominal delay.
        for token in try await engine.store.list(TokenFilter(account: "fb"), limit: 100).tokens {
            let attempts = try await engine.store.audit(AuditQuery(tokenID: token.id, action: .attempt, limit: 100)).events
                .map(\.at).sorted()
            for (index, pair) in zip(attempts, attempts.dropFirst()).enumerated() {
                let nominal = min(0.05 * pow(2, Double(index)), 0.4)
                #expect(pair.1.timeIntervalSince(pair.0) >= nominal * 0.5 - 0.005)
            }
        }
        await engine.shutdown()
        try await fb.shutdown(); try await bx.shutdown()
    }

    /// A row whose sealed bytes are corrupted, and one sealed under another key, are quarantined with their
    /// state unchanged; every other token is revoked.
    @Test func undecodableRowsAreQuarantined() async throws {
        let fb = try await FakeProviderServer.start(), bx = try await FakeProviderServer.start()
        let engine = try InProcessEngine(fogbugz: fb, box: bx)
        let tokens = (0..<10).map { "q-\($0)" }
        fb.issue(contentsOf: tokens)
        var ids: [String] = []
        for token in tokens { ids.append(try await engine.register(token, account: "fb").id) }
        // Another database's blob (another key) and flipped bytes.
        let foreign = try Sealer(masterKey: SymmetricKey(size: .bits256)).seal("q-1", tokenID: ids[1])
        let path = engine.directory.appendingPathComponent("t.sqlite3").path
        let raw = try DatabaseQueue(path: path)
        let (foreignID, corruptID) = (ids[1], ids[2])
        try await raw.write { db in
            try db.execute(sql: "UPDATE tokens SET sealed = ? WHERE id = ?", arguments: [foreign, foreignID])
            try db.execute(sql: "UPDATE tokens SET sealed = X'DEADBEEF' WHERE id = ?", arguments: [corruptID])
        }
        try raw.close()
        try await running(engine.scheduler()) {
            _ = try await eventually { try await engine.store.stateCounts().byState[.revoked] == 8 }
            try await Task.sleep(for: .milliseconds(200))
        }
        let counts = try await engine.store.stateCounts()
        #expect(counts.byState[.revoked] == 8)
        #expect(counts.quarantined == 2)
        for id in [ids[1], ids[2]] {
            let record = try #require(try await engine.store.token(id: id))
            #expect(record.state == .active)
            #expect(record.quarantine != nil)
        }
        #expect(fb.logoffCount(of: "q-1") == 0)
        await engine.shutdown()
        try await fb.shutdown(); try await bx.shutdown()
    }

    /// The database cannot grow (SQLITE_FULL): writes fail as `unavailable`, the health probe fails, every
    /// provider call made has its outcome recorded, and everything resumes by itself when space returns.
    @Test func fullDiskFailsClosedAndRecovers() async throws {
        let fb = try await FakeProviderServer.start(), bx = try await FakeProviderServer.start()
        let engine = try InProcessEngine(fogbugz: fb, box: bx)
        // Fill the file up to a cap.
        try engine.store.setMaxPageCount(try engine.store.pageCount() + 2)
        var registered: [String] = []
        var full = false
        for index in 0..<5_000 {
            do {
                let raw = "full-\(index)-" + String(repeating: "x", count: 200)
                fb.issue(raw)
                registered.append(try await engine.register(raw, account: "fb", expiresIn: .seconds(1)).id)
            } catch StoreError.unavailable {
                full = true
                break
            }
        }
        #expect(full)
        #expect(await engine.store.probeWritable() == false)
        let scheduler = engine.scheduler()
        try await running(scheduler) {
            try await Task.sleep(for: .milliseconds(1_500))
            // While full the health probe fails (registrations failed above).
            #expect(await engine.store.probeWritable() == false)
            try engine.store.setMaxPageCount(1_000_000)
            let recovered = try await eventually(timeout: .seconds(10)) {
                try await engine.store.stateCounts().byState[.revoked] == registered.count
            }
            #expect(recovered)
            #expect(scheduler.storeAvailable)
        }
        #expect(await engine.store.probeWritable())
        // No provider call without its recorded outcome: one attempt event per logoff the provider saw.
        let attempts = try await engine.store.audit(AuditQuery(action: .attempt, limit: 10_000)).events
        #expect(attempts.count == fb.calls.filter { $0.endpoint.isLogoff }.count)
        await engine.shutdown()
        try await fb.shutdown(); try await bx.shutdown()
    }
}
