import Foundation

/// Backoff for transient failures: attempt *n* waits `base · 2^(n−1)`, jittered ±50 %, capped at `maxDelay`,
/// never earlier than the provider's `Retry-After` (itself capped at `maxDelay`).
public struct RetryPolicy: Sendable, Hashable {
    public var base: Duration
    public var maxDelay: Duration
    public var maxAttempts: Int
    public var failedRetryInterval: Duration

    public init(base: Duration, maxDelay: Duration, maxAttempts: Int, failedRetryInterval: Duration) {
        self.base = base
        self.maxDelay = maxDelay
        self.maxAttempts = maxAttempts
        self.failedRetryInterval = failedRetryInterval
    }

    /// The delay before the next attempt after attempt number `attempt` (1-based) failed transiently.
    /// - Parameter jitter: a number in `0..<1`; `0.5` means no jitter, `0` is −50 %, towards `1` is +50 %.
    public func delay(afterAttempt attempt: Int, jitter: Double, retryAfter: Duration? = nil) -> Duration {
        let exponent = max(0, min(attempt - 1, 40))
        let nominalMillis = min(Double(base.milliseconds) * pow(2, Double(exponent)), Double(maxDelay.milliseconds))
        let factor = 0.5 + max(0, min(jitter, 1))  // 0.5 … 1.5
        var millis = min(nominalMillis * factor, Double(maxDelay.milliseconds))
        if let retryAfter {
            millis = max(millis, min(Double(retryAfter.milliseconds), Double(maxDelay.milliseconds)))
        }
        return .milliseconds(Int64(millis.rounded()))
    }

    /// What to do after an attempt's outcome.
    public enum Decision: Sendable, Hashable {
        /// Terminal success: the token is dead at the provider.
        case done(TokenState)
        /// Try again at the given instant.
        case retry(at: Date)
        /// Terminal failure (`permanent`, or attempts exhausted); tried again after `failedRetryInterval`.
        case fail(nextAttemptAt: Date, error: String)
    }

    /// Applies an outcome of attempt number `attempt` made at `now`.
    public func decide(outcome: ProviderOutcome, attempt: Int, now: Date, jitter: Double) -> Decision {
        switch outcome {
        case .revoked:
            return .done(.revoked)
        case .alreadyRevoked:
            return .done(.alreadyRevoked)
        case .permanent(let detail):
            return .fail(nextAttemptAt: now.adding(failedRetryInterval), error: "permanent: \(detail)")
        case .transient(let detail, let retryAfter):
            if attempt >= maxAttempts {
                return .fail(
                    nextAttemptAt: now.adding(failedRetryInterval),
                    error: "gave up after \(attempt) attempts: \(detail)"
                )
            }
            return .retry(at: now.adding(delay(afterAttempt: attempt, jitter: jitter, retryAfter: retryAfter)))
        }
    }
}
