import Foundation
import TokendCore

/// How long the long-fault tests run.
///
/// `TOKEND_LONG_FAULTS=1` selects the long variant (a three-minute provider outage, with a retry schedule scaled
/// to match) for nightly or manual runs; without it (CI) the outage lasts a few seconds. Both variants run the
/// same test code and assertions; only these durations change.
struct FaultScale: Sendable {
    /// How long the provider answers 503.
    var outage: Duration
    /// `schedule.retry_base` during the test.
    var retryBase: Duration
    /// `schedule.retry_max_delay` during the test.
    var retryMaxDelay: Duration

    static let environmentVariable = "TOKEND_LONG_FAULTS"

    static var current: FaultScale {
        if ProcessInfo.processInfo.environment[environmentVariable] == "1" {
            FaultScale(outage: .seconds(180), retryBase: .milliseconds(200), retryMaxDelay: .seconds(10))
        } else {
            FaultScale(outage: .seconds(3), retryBase: .milliseconds(50), retryMaxDelay: .milliseconds(400))
        }
    }

    /// The shortest gap the retry policy allows between attempt `attempt` (1-based) and the next one: the
    /// nominal `retry_base · 2^(attempt−1)`, capped at `retry_max_delay`, less the −50 % jitter.
    func minimumGap(afterAttempt attempt: Int) -> Duration {
        let nominal = min(retryBase.seconds * pow(2, Double(attempt - 1)), retryMaxDelay.seconds)
        return .milliseconds(Int64(nominal * 0.5 * 1_000))
    }

    /// The most attempts one token can make within `span` if every gap is the shortest allowed.
    func maximumAttempts(within span: Duration) -> Int {
        var attempts = 1
        var elapsed = Duration.zero
        while elapsed + minimumGap(afterAttempt: attempts) <= span {
            elapsed += minimumGap(afterAttempt: attempts)
            attempts += 1
        }
        return attempts
    }
}
