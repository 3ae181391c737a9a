import Crypto
import Foundation
import GRDB
import Testing
import TokendCore
import TokendFakeProviders
import TokendSQLite
import TokendStore

@Suite("Fault survival (issue 8)", .serialized)
struct FaultTests {
    /// A provider answers 503 for a long stretch (``FaultScale``: seconds in CI, minutes with
    /// `TOKEND_LONG_FAULTS=1`), then recovers: the other provider's tokens keep being revoked within 1 s of expiry
    /// meanwhile, every token ends revoked with exactly one terminal event, and the failing provider sees each
    /// token's attempts no closer than the backoff allows.
    @Test func longOutageThenRecovery() async throws {
        let scale = FaultScale.current
        let fb = try await FakeProviderServer.start(), bx = try await FakeProviderServer.start()
        let engine = try InProcessEngine(fogbugz: fb, box: bx)
        var schedule = InProcessEngine.schedule()
        schedule.retryBase = scale.retryBase
        schedule.retryMaxDelay = scale.retryMaxDelay
        // This is about backoff, not giving up: no token may run out of attempts during the outage.
        schedule.maxAttempts = 100_000
        // The outage is a span of time, not a number of answers: cleared when it ends.
        fb.script(.status(503, retryAfter: "0"), times: Int.max)
        var fbTokens: [(id: String, token: String)] = []
        for index in 0..<20 {
            fb.issue("outage-\(index)")
            fbTokens.append((try await engine.register("outage-\(index)", account: "fb").id, "outage-\(index)"))
        }
        // More fall due halfway through.
        for index in 0..<10 {
            fb.issue("outage-late-\(index)")
            let record = try await engine.register("outage-late-\(index)", account: "fb", expiresIn: scale.outage / 2)
            fbTokens.append((record.id, "outage-late-\(index)"))
        }
        var bxTokens: [(id: String, token: String)] = []
        let outageStarted = ContinuousClock.now
        var outageEnded = outageStarted
        try await running(engine.scheduler(schedule: schedule)) {
            // Meanwhile the other provider gets new work every half second (or sixth of the outage).
            var batch = 0
            while ContinuousClock.now - outageStarted < scale.outage {
                for index in 0..<10 {
                    let token = "healthy-\(batch)-\(index)"
                    bx.issue(token)
                    let record = try await engine.register(token, account: "bx", expiresIn: .milliseconds(100))
                    bxTokens.append((record.id, token))
                }
                batch += 1
                try await Task.sleep(for: min(.milliseconds(500), scale.outage / 6))
            }
            outageEnded = ContinuousClock.now
            fb.clearFaults()
            let recovered = try await eventually(timeout: scale.retryMaxDelay * 2 + .seconds(5)) {
                let counts = try await engine.store.stateCounts()
                return counts.byState(provider: .fogbugz)[.revoked] == fbTokens.count
                    && counts.byState(provider: .box)[.revoked] == bxTokens.count
            }
            #expect(recovered)
        }
        let terminal: Set<AuditAction> = [.revoked, .alreadyRevoked, .failed, .forgotten]
        for (id, token) in fbTokens + bxTokens {
            let record = try #require(try await engine.store.token(id: id))
            #expect(record.state == .revoked, "\(token)")
            let events = try await engine.store.audit(AuditQuery(tokenID: id, limit: 100_000)).events
            #expect(events.filter { terminal.contains($0.action) }.count == 1, "\(token)")
            #expect(!fb.isLive(token) && !bx.isLive(token), "\(token) still live at the provider")
        }
        // The other provider kept its pace: each of its tokens revoked within 1 s of expiry, outage or not.
        for (id, token) in bxTokens {
            let record = try #require(try await engine.store.token(id: id))
            let lateness = try #require(record.revokedAt).timeIntervalSince(record.expiresAt)
            #expect(lateness < 1, "\(token) revoked \(lateness) s after expiry during the other provider's outage")
        }
        // No hammering, read from the failing provider's own call log.
        let calls = fb.calls.filter(\.endpoint.isLogoff)
        var callsDuringOutage = 0
        for (_, token) in fbTokens {
            let times = calls.filter { $0.token == token }.map(\.receivedAt).sorted()
            guard let first = times.first else {
                Issue.record("\(token) was never attempted")
                continue
            }
            // Consecutive attempts never closer than half the nominal backoff (2 ms for millisecond rounding).
            for (index, pair) in zip(times, times.dropFirst()).enumerated() {
                let gap = pair.1 - pair.0
                let minimum = scale.minimumGap(afterAttempt: index + 1)
                #expect(
                    gap >= minimum - .milliseconds(2),
                    "\(token): attempt \(index + 2) came \(gap) after the previous one (minimum \(minimum))")
            }
            // So the attempts within the outage are bounded by what the backoff allows (and retrying went on).
            let inOutage = times.filter { $0 <= outageEnded }.count
            callsDuringOutage += inOutage
            #expect(
                inOutage <= scale.maximumAttempts(within: outageEnded - first),
                "\(token): \(inOutage) calls during the outage")
            #expect(inOutage >= 2, "\(token): retrying stopped during the outage")
        }
        let bound = fbTokens.count * scale.maximumAttempts(within: outageEnded - outageStarted)
        #expect(
            callsDuringOutage <= bound, "\(callsDuringOutage) calls to the failing provider during the outage (bound \(bound))")
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

    /// The database stops growing (SQLITE_FULL from `max_page_count` on the store's writer connection) while the
    /// real router, scheduler and provider clients run: registrations answer 503 `unavailable`, `/healthz` 503,
    /// tokens falling due meanwhile cause no provider call (their outcome could not be recorded), and when space
    /// returns the scheduler notices by itself and revokes each of them once.
    @Test func fullDatabaseUnderTheAPIMakesNoProviderCallsAndRecovers() async throws {
        let fb = try await FakeProviderServer.start(), bx = try await FakeProviderServer.start()
        let engine = try InProcessEngine(fogbugz: fb, box: bx)
        let schedule = InProcessEngine.schedule()
        let scheduler = engine.scheduler(schedule: schedule)
        let control = InProcessControl(engine: engine, scheduler: scheduler, schedule: schedule)
        // Due in 3 s: the fault below is in place well before (checked), so they fall due during it.
        var pending: [(id: String, token: String, fake: FakeProviderServer)] = []
        for index in 0..<10 {
            let token = "due-\(index)"
            let (account, fake) = index % 2 == 0 ? ("fb", fb) : ("bx", bx)
            fake.issue(token)
            let record = try await engine.register(token, account: account, expiresIn: .seconds(3))
            pending.append((record.id, token, fake))
        }
        let due = pending
        let earliestDue = try #require(try await engine.store.token(id: due[0].id)).expiresAt
        let filler = String(repeating: "x", count: 400)
        try await running(scheduler) {
            try await control.test { api in
                #expect(try await api.healthz() == 200)
                // Fill the file up to a cap: the last registration fails as the disk would.
                try engine.store.setMaxPageCount(try engine.store.pageCount() + 2)
                var full = false
                for index in 0..<5_000 {
                    do {
                        try await engine.register("fill-\(index)-\(filler)", account: "fb", expiresIn: .seconds(3_600))
                    } catch StoreError.unavailable {
                        full = true
                        break
                    }
                }
                #expect(full)
                try #require(Date() < earliestDue, "filling took too long: the due tokens fell due before the fault")

                let refused = try await api.register("during-fault-\(filler)", account: "bx")
                #expect(refused.status == 503)
                #expect(InProcessControl.Caller.errorCode(refused.object) == "unavailable")
                #expect(try await api.healthz() == 503)

                // Past every due time (plus several sweeps), not one provider call.
                let latestDue = try #require(try await engine.store.token(id: due[due.count - 1].id)).expiresAt
                let called = await eventually(timeout: .seconds(max(0.5, latestDue.timeIntervalSinceNow + 0.5))) {
                    fb.callCount + bx.callCount > 0
                }
                #expect(
                    !called, "provider calls during the fault: \(fb.calls.compactMap(\.token) + bx.calls.compactMap(\.token))")
                for item in due { #expect(try await engine.store.token(id: item.id)?.state == .active, "\(item.token)") }
                #expect(!scheduler.storeAvailable)
                #expect(try await api.healthz() == 503)

                // Space returns: no request needed, the scheduler's own probe sees it.
                try engine.store.setMaxPageCount(1_000_000)
                let revoked = try await eventually(timeout: .seconds(5)) {
                    var done = 0
                    for item in due where try await engine.store.token(id: item.id)?.state == .revoked { done += 1 }
                    return done == due.count
                }
                #expect(revoked)
                #expect(scheduler.storeAvailable)
                #expect(try await api.healthz() == 200)
                bx.issue("after-fault")
                let accepted = try await api.register("after-fault", account: "bx")
                #expect(accepted.status == 201)
            }
        }
        let terminal: Set<AuditAction> = [.revoked, .alreadyRevoked, .failed, .forgotten]
        for (id, token, fake) in due {
            let events = try await engine.store.audit(AuditQuery(tokenID: id, limit: 100)).events
            #expect(events.filter { terminal.contains($0.action) }.count == 1, "\(token)")
            #expect(fake.calls.filter { $0.endpoint.isLogoff && $0.token == token }.count == 1, "\(token)")
            #expect(!fake.isLive(token))
        }
        await engine.shutdown()
        try await fb.shutdown(); try await bx.shutdown()
    }
}
