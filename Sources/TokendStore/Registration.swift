import Foundation
import TokendCore

/// The result of registering one token.
public struct Registration: Sendable {
    public var record: TokenRecord
    /// False when the same raw token was already registered for the account (idempotent re-register).
    public var created: Bool

    public init(record: TokenRecord, created: Bool) {
        self.record = record
        self.created = created
    }
}
