import Testing
import TokendCore

/// (i) Token-bucket arithmetic.
@Suite struct TokenBucketTests {
    @Test func burstThenWait() {
        var bucket = TokenBucket(ratePerSecond: 50, now: 0)
        #expect(bucket.burst == 5)
        for _ in 0..<5 { #expect(bucket.take(now: 0) == nil) }
        let wait = bucket.take(now: 0)
        #expect(wait != nil)
        #expect(abs((wait ?? 0) - 0.02) < 1e-9)
        #expect(bucket.take(now: 0.0078125) != nil)  // 0.39 of a permit (binary-exact times)
        #expect(bucket.take(now: 0.03125) == nil)
    }

    @Test func refillIsCappedAtBurst() {
        var bucket = TokenBucket(ratePerSecond: 10, burst: 3, now: 0)
        for _ in 0..<3 { #expect(bucket.take(now: 0) == nil) }
        #expect(bucket.take(now: 100) == nil)
        #expect(bucket.take(now: 100) == nil)
        #expect(bucket.take(now: 100) == nil)
        #expect(bucket.take(now: 100) != nil)
    }

    @Test func slowRatesHaveBurstOne() {
        var bucket = TokenBucket(ratePerSecond: 0.5, now: 0)
        #expect(bucket.burst == 1)
        #expect(bucket.take(now: 0) == nil)
        #expect(abs((bucket.take(now: 0) ?? 0) - 2) < 1e-9)
        #expect(abs((bucket.take(now: 1) ?? 0) - 1) < 1e-9)
        #expect(bucket.take(now: 2) == nil)
    }

    @Test func clockGoingBackwardsAddsNothing() {
        var bucket = TokenBucket(ratePerSecond: 1, burst: 1, now: 10)
        #expect(bucket.take(now: 10) == nil)
        #expect(bucket.take(now: 5) != nil)
        #expect(bucket.take(now: 11) == nil)
    }
}
