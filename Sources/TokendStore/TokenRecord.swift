import Foundation
import TokendCore

/// A token in custody, as every endpoint returns it. Never carries the raw or sealed token.
public struct TokenRecord: Sendable, Hashable {
    public var id: String
    public var provider: ProviderKind
    public var account: String
    public var owner: String
    public var labels: [String: String]
    public var state: TokenState
    public var fingerprint: String
    public var issuedAt: Date
    public var expiresAt: Date
    public var lastRenewedAt: Date?
    public var registeredByUID: UInt32
    public var attempts: Int
    public var nextAttemptAt: Date?
    public var lastError: String?
    public var revokedAt: Date?
    public var revocationReason: RevocationReason?
    public var revocationNote: String?
    /// Custody episode; a `retry` opens a new one.
    public var episode: Int
    /// Set when the row could not be decoded or unsealed; the scheduler skips it.
    public var quarantine: String?
    /// The bulk job that requested the revocation, if any.
    public var jobID: String?
    /// The client-held lease of a bound token; `nil` for ordinary tokens.
    public var bound: BoundLease?

    public init(id: String, provider: ProviderKind, account: String, owner: String, labels: [String: String], state: TokenState, fingerprint: String, issuedAt: Date, expiresAt: Date, lastRenewedAt: Date? = nil, registeredByUID: UInt32, attempts: Int, nextAttemptAt: Date? = nil, lastError: String? = nil, revokedAt: Date? = nil, revocationReason: RevocationReason? = nil, revocationNote: String? = nil, episode: Int, quarantine: String? = nil, jobID: String? = nil, bound: BoundLease? = nil) {
        self.id = id
        self.provider = provider
        self.account = account
        self.owner = owner
        self.labels = labels
        self.state = state
        self.fingerprint = fingerprint
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.lastRenewedAt = lastRenewedAt
        self.registeredByUID = registeredByUID
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.revokedAt = revokedAt
        self.revocationReason = revocationReason
        self.revocationNote = revocationNote
        self.episode = episode
        self.quarantine = quarantine
        self.jobID = jobID
        self.bound = bound
    }
}

/// One audit event (control-api.md, "Audit events").
public struct AuditEvent: Sendable, Hashable {
    public var id: Int64
    public var at: Date
    public var tokenID: String?
    public var episode: Int?
    public var action: AuditAction
    public var actor: Actor
    public var reason: String?
    public var providerStatus: Int?
    public var providerDetail: String?
    public var durationMillis: Int64?
    public var attempt: Int?
    public var jobID: String?
    /// SHA-256 of the row before it (docs/audit.md); nil for rows from before the chain.
    public var prevHash: [UInt8]?
    public var hash: [UInt8]?

    public init(id: Int64, at: Date, tokenID: String? = nil, episode: Int? = nil, action: AuditAction, actor: Actor, reason: String? = nil, providerStatus: Int? = nil, providerDetail: String? = nil, durationMillis: Int64? = nil, attempt: Int? = nil, jobID: String? = nil, prevHash: [UInt8]? = nil, hash: [UInt8]? = nil) {
        self.prevHash = prevHash
        self.hash = hash
        self.id = id
        self.at = at
        self.tokenID = tokenID
        self.episode = episode
        self.action = action
        self.actor = actor
        self.reason = reason
        self.providerStatus = providerStatus
        self.providerDetail = providerDetail
        self.durationMillis = durationMillis
        self.attempt = attempt
        self.jobID = jobID
    }
}
