import Foundation
import TokendCore

/// One finished provider call and what to do about it, for ``TokenStore/recordAttempts(_:)``.
public struct AttemptRecord: Sendable {
    public var claim: Claim
    public var result: AttemptResult
    public var decision: RetryPolicy.Decision
    public init(claim: Claim, result: AttemptResult, decision: RetryPolicy.Decision) {
        self.claim = claim
        self.result = result
        self.decision = decision
    }
}
