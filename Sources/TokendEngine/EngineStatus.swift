import Foundation
import TokendCore

/// A snapshot of the engine for `GET /v1/status`, metrics and `STATUS=` notifications.
public struct EngineStatus: Sendable {
    public var hold: Bool
    public var holdReason: String?
    /// Per account: health of recent provider calls.
    public var accounts: [AccountHealth]
    /// When the scheduler loop last completed a pass (watchdog and `/healthz`).
    public var lastLoopAt: Date?

    public init(hold: Bool, holdReason: String?, accounts: [AccountHealth], lastLoopAt: Date?) {
        self.hold = hold
        self.holdReason = holdReason
        self.accounts = accounts
        self.lastLoopAt = lastLoopAt
    }
}

/// Recent provider health of one account.
public struct AccountHealth: Sendable {
    public var provider: ProviderKind
    public var account: String
    public var lastSuccessAt: Date?
    public var lastErrorAt: Date?
    public var lastError: String?
    /// Share of the last (up to 100) attempts that were not revoked/already_revoked.
    public var recentErrorRate: Double
    public var inFlight: Int

    public init(
        provider: ProviderKind, account: String, lastSuccessAt: Date? = nil, lastErrorAt: Date? = nil,
        lastError: String? = nil, recentErrorRate: Double = 0, inFlight: Int = 0
    ) {
        self.provider = provider
        self.account = account
        self.lastSuccessAt = lastSuccessAt
        self.lastErrorAt = lastErrorAt
        self.lastError = lastError
        self.recentErrorRate = recentErrorRate
        self.inFlight = inFlight
    }
}
