import Foundation
import TokendCore

/// The result of an operator or client verb on one token.
public struct TransitionResult: Sendable {
    public var record: TokenRecord
    /// False when the verb was an idempotent no-op (e.g. revoking a token already revoked).
    public var changed: Bool
    /// The change took the token from under a claim of the scheduler (its lease was set): the claim may still
    /// wait in memory for its provider call, and the engine must be told to drop it.
    public var interruptedClaim = false

    public init(record: TokenRecord, changed: Bool, interruptedClaim: Bool = false) {
        self.record = record
        self.changed = changed
        self.interruptedClaim = interruptedClaim
    }
}
