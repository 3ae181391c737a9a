import Foundation
import Testing
import TokendCore
import TokendFakeProviders
import TokendSQLite
import TokendStore

@Suite("Engine through real HTTP to the fake providers", .serialized)
struct EngineOverHTTPTests {
    /// Expiry-driven revocation within 1 s of expiry, through the real store and HTTP: the scheduler's sweep
    /// interval is longer than the test, so only its next-due wake-ups can make the deadline.
    @Test func expiredTokensAreLoggedOffWithinOneSecondOfExpiry() async throws {
        let fb = try await FakeProviderServer.start(), bx = try await FakeProviderServer.start()
        let engine = try InProcessEngine(fogbugz: fb, box: bx)
        var registered: [(record: TokenRecord, token: String, fake: FakeProviderServer)] = []
        for index in 0..<40 {
            let (account, fake) = index % 2 == 0 ? ("fb", fb) : ("bx", bx)
            let token = "expiring-\(index)"
            fake.issue(token)
            // Spread over 1-2 s ahead, so wake-ups for later expiries happen while earlier ones are in flight.
            let record = try await engine.register(token, account: account, expiresIn: .milliseconds(1_000 + 25 * index))
            registered.append((record, token, fake))
        }
        var schedule = InProcessEngine.schedule()
        schedule.sweepInterval = .seconds(30)
        let done = try await running(engine.scheduler(schedule: schedule)) {
            try await eventually(timeout: .seconds(6)) {
                try await engine.store.stateCounts().byState[.revoked] == registered.count
            }
        }
        #expect(done)
        for (record, token, fake) in registered {
            let final = try #require(try await engine.store.token(id: record.id))
            #expect(final.state == .revoked, "\(token)")
            #expect(!fake.isLive(token), "\(token) still live at the provider")
            #expect(fake.calls.filter { $0.endpoint.isLogoff && $0.token == token }.count == 1, "\(token)")
            let revokedAt = try #require(final.revokedAt)
            let lateness = revokedAt.timeIntervalSince(final.expiresAt)
            #expect(lateness >= 0, "\(token) revoked \(-lateness) s before its expiry")
            #expect(lateness < 1, "\(token) revoked \(lateness) s after its expiry")
        }
        await engine.shutdown()
        try await fb.shutdown(); try await bx.shutdown()
    }

    @Test func serviceUnavailableTwiceThenRevokedWithThreeAttempts() async throws {
        let fb = try await FakeProviderServer.start(), bx = try await FakeProviderServer.start()
        let engine = try InProcessEngine(fogbugz: fb, box: bx)
        fb.issue("flaky-1")
        fb.failNext(2, status: 503, retryAfter: "0")
        let record = try await engine.register("flaky-1", account: "fb")
        try await running(engine.scheduler()) {
            _ = try await eventually { try await engine.store.token(id: record.id)?.state == .revoked }
        }
        let final = try #require(try await engine.store.token(id: record.id))
        #expect(final.state == .revoked)
        #expect(final.attempts == 3)
        let attempts = try await engine.store.audit(AuditQuery(tokenID: record.id, action: .attempt)).events
        #expect(attempts.count == 3)
        #expect(attempts.compactMap(\.providerStatus).sorted() == [200, 503, 503])
        #expect(fb.logoffCount(of: "flaky-1") == 3)
        await engine.shutdown()
        try await fb.shutdown(); try await bx.shutdown()
    }

    @Test func permanentEndsFailedWithNoFurtherCalls() async throws {
        let fb = try await FakeProviderServer.start(), bx = try await FakeProviderServer.start()
        let engine = try InProcessEngine(fogbugz: fb, box: bx)
        bx.issue("restricted-1")
        bx.script(.errorCode("application_restricted"), times: 1)
        let record = try await engine.register("restricted-1", account: "bx")
        try await running(engine.scheduler()) {
            _ = try await eventually { try await engine.store.token(id: record.id)?.state == .failed }
            try await Task.sleep(for: .milliseconds(500))
        }
        let final = try #require(try await engine.store.token(id: record.id))
        #expect(final.state == .failed)
        #expect(final.lastError?.contains("application_restricted") == true)
        #expect(bx.logoffCount(of: "restricted-1") == 1)
        await engine.shutdown()
        try await fb.shutdown(); try await bx.shutdown()
    }

    @Test func hangingAccountDoesNotSlowTheOther() async throws {
        let fb = try await FakeProviderServer.start(), bx = try await FakeProviderServer.start()
        let engine = try InProcessEngine(fogbugz: fb, box: bx, timeout: .seconds(30))
        fb.script(.hang, times: 10_000)
        for index in 0..<20 { try await engine.register("hang-\(index)", account: "fb") }
        let tokens = (0..<300).map { "free-\($0)" }
        bx.issue(contentsOf: tokens)
        for token in tokens { try await engine.register(token, account: "bx") }
        let started = ContinuousClock.now
        let done = try await running(engine.scheduler()) {
            try await eventually(timeout: .seconds(10)) {
                try await engine.store.stateCounts().byState(provider: .box)[.revoked] == 300
            }
        }
        let elapsed = ContinuousClock.now - started
        #expect(done)
        #expect(elapsed < .seconds(5), "box revocations took \(elapsed) while fogbugz hung")
        #expect(tokens.allSatisfy { !bx.isLive($0) })
        await engine.shutdown()
        try await fb.shutdown(); try await bx.shutdown()
    }

    @Test func holdMakesZeroProviderCalls() async throws {
        let fb = try await FakeProviderServer.start(), bx = try await FakeProviderServer.start()
        let engine = try InProcessEngine(fogbugz: fb, box: bx)
        for index in 0..<10 { try await engine.register("held-\(index)", account: index % 2 == 0 ? "fb" : "bx") }
        let scheduler = engine.scheduler(startHeld: true)
        try await running(scheduler) {
            try await Task.sleep(for: .milliseconds(600))
        }
        #expect(fb.callCount == 0)
        #expect(bx.callCount == 0)
        #expect(try await engine.store.stateCounts().byState[.active] == 10)
        await engine.shutdown()
        try await fb.shutdown(); try await bx.shutdown()
    }
}
