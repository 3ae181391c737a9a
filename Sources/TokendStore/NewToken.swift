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
    /// Set for a bound token: custody ends when no heartbeat arrives for this many seconds (see ``BoundLease``).
    public var heartbeatSeconds: Int?
    /// True when tokend obtained the token itself (`POST /v1/logons`): the episode opens with `logged_on`
    /// instead of `registered`.
    public var loggedOn: Bool

    public init(
        provider: ProviderKind, account: String, owner: String, labels: [String: String], token: String,
        expiresAt: Date, registeredByUID: UInt32, heartbeatSeconds: Int? = nil, loggedOn: Bool = false
    ) {
        self.provider = provider
        self.account = account
        self.owner = owner
        self.labels = labels
        self.token = token
        self.expiresAt = expiresAt
        self.registeredByUID = registeredByUID
        self.heartbeatSeconds = heartbeatSeconds
        self.loggedOn = loggedOn
    }

    /// The audit action that opens the token's first episode.
    public var openingAction: AuditAction { loggedOn ? .loggedOn : .registered }
}
