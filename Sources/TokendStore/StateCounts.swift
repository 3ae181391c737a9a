import Foundation
import TokendCore

/// Counts kept by triggers: O(accounts × states) to read, whatever the number of tokens.
public struct StateCounts: Sendable, Hashable {
    /// `provider → account → state → count`.
    public var byAccount: [ProviderKind: [String: [TokenState: Int]]]
    public var quarantined: Int

    /// Totals per state over all accounts.
    public var byState: [TokenState: Int] {
        var totals: [TokenState: Int] = [:]
        for accounts in byAccount.values {
            for states in accounts.values { for (state, n) in states { totals[state, default: 0] += n } }
        }
        return totals
    }

    /// Totals per state for one provider.
    public func byState(provider: ProviderKind) -> [TokenState: Int] {
        var totals: [TokenState: Int] = [:]
        for states in (byAccount[provider] ?? [:]).values { for (state, n) in states { totals[state, default: 0] += n } }
        return totals
    }

    public init(byAccount: [ProviderKind: [String: [TokenState: Int]]], quarantined: Int) {
        self.byAccount = byAccount
        self.quarantined = quarantined
    }
}
