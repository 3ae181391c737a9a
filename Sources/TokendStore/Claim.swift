import Foundation
import TokendCore

/// Work the scheduler claimed: the token is `revoking` and leased (`in_flight`) until its outcome is recorded.
public struct Claim: Sendable {
    public var id: String
    public var provider: ProviderKind
    public var account: String
    public var episode: Int
    /// Attempts made so far in this episode; the next call is number `attempts + 1`.
    public var attempts: Int
    /// The raw token, unsealed for the logoff call. Held only in memory; never logged.
    public var token: String
    /// Fencing token of this claim: incremented on every claim of the row, and matched by every outcome, so a
    /// late outcome from an instance whose lease was taken over changes nothing (0 on SQLite: one writer).
    public var leaseSeq: Int64

    public init(
        id: String, provider: ProviderKind, account: String, episode: Int, attempts: Int, token: String,
        leaseSeq: Int64 = 0
    ) {
        self.leaseSeq = leaseSeq
        self.id = id
        self.provider = provider
        self.account = account
        self.episode = episode
        self.attempts = attempts
        self.token = token
    }
}
