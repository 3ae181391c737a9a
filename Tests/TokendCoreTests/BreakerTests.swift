import Testing
import TokendCore

/// (i) The mass-revocation breaker.
@Suite struct BreakerTests {
    let breaker = Breaker(dueThreshold: 100, clockJump: .seconds(600))

    @Test func dueSpike() {
        #expect(breaker.check(dueCount: 0) == nil)
        #expect(breaker.check(dueCount: 100) == nil)
        #expect(breaker.check(dueCount: 101) == .dueSpike(count: 101, threshold: 100))
        #expect(
            breaker.check(dueCount: 101)?.description
                == "breaker: 101 tokens due at once (threshold 100); resume to proceed")
    }

    @Test func clockJumpForward() {
        #expect(breaker.check(wallElapsed: .seconds(660), monotonicElapsed: .seconds(60)) == nil)
        #expect(
            breaker.check(wallElapsed: .seconds(661), monotonicElapsed: .seconds(60)) == .clockJump(by: .seconds(601)))
    }

    @Test func clockJumpBackward() {
        #expect(breaker.check(wallElapsed: .seconds(-540), monotonicElapsed: .seconds(60)) == nil)
        #expect(
            breaker.check(wallElapsed: .seconds(-3600), monotonicElapsed: .seconds(60))
                == .clockJump(by: .seconds(3660)))
        #expect(
            breaker.check(wallElapsed: .seconds(-3600), monotonicElapsed: .seconds(60))?.description
                == "breaker: wall clock moved 61m against the monotonic clock; resume to proceed")
    }

    @Test func steadyClocks() {
        #expect(breaker.check(wallElapsed: .seconds(1), monotonicElapsed: .seconds(1)) == nil)
        #expect(breaker.check(wallElapsed: .zero, monotonicElapsed: .seconds(600)) == nil)
    }
}
