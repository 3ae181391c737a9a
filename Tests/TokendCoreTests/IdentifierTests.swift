import Foundation
import Testing
import TokendCore

/// (i) Opaque sortable identifiers.
@Suite struct IdentifierTests {
    struct FixedRNG: RandomNumberGenerator {
        var value: UInt64
        mutating func next() -> UInt64 { value }
    }

    @Test func format() {
        let id = Identifier.make(prefix: "tok_", now: Date(timeIntervalSince1970: 1_800_000_000))
        #expect(id.hasPrefix("tok_"))
        #expect(id.count == 30)
        #expect(Identifier.isValid(id, prefix: "tok_"))
        #expect(!Identifier.isValid(id, prefix: "job_"))
        var rng = FixedRNG(value: 0)
        #expect(Identifier.make(prefix: "job_", now: Date(timeIntervalSince1970: 0), using: &rng) == "job_" + String(repeating: "0", count: 26))
        // The random part takes 5 bits per character from two 64-bit draws (12 + 4 characters).
        var ones = FixedRNG(value: .max)
        let deterministic = Identifier.make(prefix: "x_", now: Date(unixMillis: 1), using: &ones)
        #expect(deterministic == "x_0000000001" + String(repeating: "Z", count: 16))
        var low = FixedRNG(value: 31)
        #expect(Identifier.make(prefix: "x_", now: Date(unixMillis: 1), using: &low) == "x_0000000001Z00000000000Z000")
    }

    @Test func validity() {
        let body = String(repeating: "A", count: 26)
        #expect(Identifier.isValid("tok_" + body, prefix: "tok_"))
        #expect(!Identifier.isValid("tok_" + body.dropLast(), prefix: "tok_"))
        #expect(!Identifier.isValid("tok_" + body + "A", prefix: "tok_"))
        #expect(!Identifier.isValid("tok_" + body.dropLast() + "U", prefix: "tok_"))  // no U in Crockford
        #expect(!Identifier.isValid("tok_" + body.dropLast() + "a", prefix: "tok_"))
        #expect(!Identifier.isValid("tok_' OR 1=1 --aaaaaaaaaaaa", prefix: "tok_"))
        #expect(!Identifier.isValid("", prefix: "tok_"))
    }

    @Test func uniqueAndTimeSortable() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let ids = (0..<10_000).map { _ in Identifier.make(prefix: "tok_", now: now) }
        #expect(Set(ids).count == ids.count)
        let earlier = Identifier.make(prefix: "tok_", now: now)
        let later = Identifier.make(prefix: "tok_", now: now.addingTimeInterval(0.002))
        #expect(earlier < later)
    }

    @Test func manualClock() {
        let clock = ManualClock(Date(timeIntervalSince1970: 100))
        clock.advance(by: .seconds(5))
        #expect(clock.now() == Date(timeIntervalSince1970: 105))
        clock.advance(by: .seconds(-10))
        #expect(clock.now() == Date(timeIntervalSince1970: 95))
        clock.set(Date(unixMillis: 1_234))
        #expect(clock.now().unixMillis == 1_234)
    }
}

/// Regression: `Date(unixMillis:).unixMillis` must give back the same number (it truncated to n − 1 for many n,
/// which shifts stored instants and list cursors by a millisecond).
@Suite struct UnixMillisTests {
    @Test func roundTripsExactly() {
        for millis: Int64 in [0, 1, 1_234, 999_999, 1_800_000_000_123, 1_800_000_000_999, 4_102_444_800_001] {
            #expect(Date(unixMillis: millis).unixMillis == millis)
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<10_000 {
            let millis = Int64.random(in: 0..<4_102_444_800_000, using: &generator)
            #expect(Date(unixMillis: millis).unixMillis == millis)
        }
    }
}
