import Foundation
import TokendCore

/// A validated registration: what the control API hands the store.
public struct NewToken: Sendable {
    public var provider: ProviderKind
    public var account: String
    public var owner: String
    public var labels: [String: String]
    /// The raw token. Sealed before it touches the database; never logged.
    public var token: String
    public var expiresAt: Date
    public var registeredByUID: UInt32

    public init(
        provider: ProviderKind, account: String, owner: String, labels: [String: String], token: String,
        expiresAt: Date, registeredByUID: UInt32
    ) {
        self.provider = provider
        self.account = account
        self.owner = owner
        self.labels = labels
        self.token = token
        self.expiresAt = expiresAt
        self.registeredByUID = registeredByUID
    }
}
