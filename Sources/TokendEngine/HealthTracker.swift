import Foundation
import TokendCore

/// Recent outcomes of one account's provider calls: last success, last error, error rate over the last 100.
struct HealthTracker: Sendable {
    let provider: ProviderKind
    private var recent: [Bool] = []
    private var next = 0
    var lastSuccessAt: Date?
    var lastErrorAt: Date?
    var lastError: String?

    init(provider: ProviderKind) { self.provider = provider }

    mutating func record(_ outcome: ProviderOutcome, at now: Date) {
        let ok: Bool
        switch outcome {
        case .revoked, .alreadyRevoked:
            ok = true
            lastSuccessAt = now
        case .permanent(let detail), .transient(let detail, _):
            ok = false
            lastErrorAt = now
            lastError = detail
        }
        if recent.count < 100 {
            recent.append(ok)
        } else {
            recent[next] = ok
            next = (next + 1) % 100
        }
    }

    func snapshot(account: String, inFlight: Int) -> AccountHealth {
        let failures = recent.filter { !$0 }.count
        return AccountHealth(
            provider: provider, account: account, lastSuccessAt: lastSuccessAt, lastErrorAt: lastErrorAt,
            lastError: lastError, recentErrorRate: recent.isEmpty ? 0 : Double(failures) / Double(recent.count),
            inFlight: inFlight)
    }
}
