import Foundation
import Testing
@testable import TokendCore

/// (i) TTL defaults and clamping to the maximum.
@Suite struct TTLPolicyTests {
    let policy = TTLPolicy(defaultTTL: .seconds(8 * 3600), maxTTL: .seconds(30 * 86_400))
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func ttlWithinMaxIsKept() {
        let decision = policy.decide(.ttl(.seconds(3600)), now: now)
        #expect(decision.expiresAt == now.adding(.seconds(3600)))
        #expect(!decision.clamped)
    }

    @Test func ttlAboveMaxIsClamped() {
        let decision = policy.decide(.ttl(.seconds(31 * 86_400)), now: now)
        #expect(decision.expiresAt == now.adding(.seconds(30 * 86_400)))
        #expect(decision.clamped)
        #expect(!policy.decide(.ttl(.seconds(30 * 86_400)), now: now).clamped)
    }

    @Test func expiresAtClampedAndPastKept() {
        let far = policy.decide(.expiresAt(now.adding(.seconds(40 * 86_400))), now: now)
        #expect(far.clamped)
        #expect(far.expiresAt == now.adding(.seconds(30 * 86_400)))
        let past = policy.decide(.expiresAt(now.addingTimeInterval(-60)), now: now)
        #expect(!past.clamped)
        #expect(past.expiresAt == now.addingTimeInterval(-60))
    }

    @Test func accountDefault() {
        #expect(policy.decide(.accountDefault, now: now) == .init(expiresAt: now.adding(.seconds(28_800)), clamped: false))
        let tight = TTLPolicy(defaultTTL: .seconds(7200), maxTTL: .seconds(3600))
        #expect(tight.decide(.accountDefault, now: now).expiresAt == now.adding(.seconds(3600)))
        #expect(!tight.decide(.accountDefault, now: now).clamped)
    }
}
