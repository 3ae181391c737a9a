import Foundation
import Testing
import TokendCore

/// (i) Backoff arithmetic and the decision after each outcome.
@Suite struct RetryPolicyTests {
    let policy = RetryPolicy(base: .seconds(10), maxDelay: .seconds(900), maxAttempts: 8, failedRetryInterval: .seconds(86_400))
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func exactBackoffWithoutJitter() {
        let delays = (1...8).map { policy.delay(afterAttempt: $0, jitter: 0.5) }
        #expect(delays == [10, 20, 40, 80, 160, 320, 640, 900].map { Duration.seconds($0) })
        #expect(policy.delay(afterAttempt: 0, jitter: 0.5) == .seconds(10))
        #expect(policy.delay(afterAttempt: 1_000, jitter: 0.5) == .seconds(900))
    }

    @Test func jitterBounds() {
        #expect(policy.delay(afterAttempt: 1, jitter: 0) == .seconds(5))
        #expect(policy.delay(afterAttempt: 3, jitter: 0) == .seconds(20))
        #expect(policy.delay(afterAttempt: 1, jitter: 0.999_999) == .milliseconds(15_000))
        #expect(policy.delay(afterAttempt: 3, jitter: 0.75) == .seconds(50))
        #expect(policy.delay(afterAttempt: 1, jitter: -3) == .seconds(5))
        #expect(policy.delay(afterAttempt: 1, jitter: 7) == .seconds(15))
        for attempt in 1...10 {
            for jitter in stride(from: 0.0, to: 1.0, by: 0.05) {
                let delay = policy.delay(afterAttempt: attempt, jitter: jitter)
                let nominal = min(10 * pow(2, Double(attempt - 1)), 900)
                #expect(delay >= .milliseconds(Int64(nominal * 500)))
                #expect(delay <= .milliseconds(Int64(min(nominal * 1500, 900_000))))
            }
        }
    }

    @Test func capAtMaxDelay() {
        #expect(policy.delay(afterAttempt: 7, jitter: 0.99) == .seconds(900))  // 640 × 1.49 capped
        #expect(policy.delay(afterAttempt: 7, jitter: 0) == .seconds(320))
    }

    @Test func retryAfterIsAFloorAndIsCapped() {
        #expect(policy.delay(afterAttempt: 1, jitter: 0.5, retryAfter: .seconds(120)) == .seconds(120))
        #expect(policy.delay(afterAttempt: 5, jitter: 0.5, retryAfter: .seconds(30)) == .seconds(160))
        #expect(policy.delay(afterAttempt: 1, jitter: 0.5, retryAfter: .seconds(86_400)) == .seconds(900))
    }

    @Test func decisions() {
        #expect(policy.decide(outcome: .revoked, attempt: 1, now: now, jitter: 0.5) == .done(.revoked))
        #expect(
            policy.decide(outcome: .alreadyRevoked(detail: "gone"), attempt: 3, now: now, jitter: 0.5)
                == .done(.alreadyRevoked))
        #expect(
            policy.decide(outcome: .permanent(detail: "401"), attempt: 1, now: now, jitter: 0.5)
                == .fail(nextAttemptAt: now.adding(.seconds(86_400)), error: "permanent: 401"))
        #expect(
            policy.decide(outcome: .transient(detail: "503", retryAfter: nil), attempt: 2, now: now, jitter: 0.5)
                == .retry(at: now.adding(.seconds(20))))
        #expect(
            policy.decide(outcome: .transient(detail: "429", retryAfter: .seconds(60)), attempt: 1, now: now, jitter: 0.5)
                == .retry(at: now.adding(.seconds(60))))
        #expect(
            policy.decide(outcome: .transient(detail: "503", retryAfter: nil), attempt: 8, now: now, jitter: 0.5)
                == .fail(nextAttemptAt: now.adding(.seconds(86_400)), error: "gave up after 8 attempts: 503"))
        #expect(
            policy.decide(outcome: .transient(detail: "503", retryAfter: nil), attempt: 7, now: now, jitter: 0.5)
                == .retry(at: now.adding(.seconds(640))))
    }

    @Test func outcomeNames() {
        #expect(ProviderOutcome.revoked.name == "revoked")
        #expect(ProviderOutcome.alreadyRevoked(detail: "d").name == "already_revoked")
        #expect(ProviderOutcome.permanent(detail: "d").detail == "d")
        #expect(ProviderOutcome.transient(detail: "t", retryAfter: nil).name == "transient")
        #expect(ProviderOutcome.revoked.detail == nil)
    }
}
