import Foundation

/// How long a token stays in custody before its scheduled logoff: the default, the ceiling, and the clamp.
public struct TTLPolicy: Sendable, Hashable {
    public var defaultTTL: Duration
    public var maxTTL: Duration

    public init(defaultTTL: Duration, maxTTL: Duration) {
        self.defaultTTL = defaultTTL
        self.maxTTL = maxTTL
    }

    /// What the caller asked for.
    public enum Request: Sendable, Hashable {
        case ttl(Duration)
        case expiresAt(Date)
        case accountDefault
    }

    /// The expiry to record and whether the request was clamped to `maxTTL`.
    public struct Decision: Sendable, Hashable {
        public var expiresAt: Date
        public var clamped: Bool
    }

    /// Computes the expiry for a request made at `now`. An `expiresAt` in the past is kept (due at once).
    public func decide(_ request: Request, now: Date) -> Decision {
        let ceiling = now.adding(maxTTL)
        let wanted: Date
        switch request {
        case .ttl(let ttl): wanted = now.adding(ttl)
        case .expiresAt(let date): wanted = date
        case .accountDefault: wanted = now.adding(min(defaultTTL, maxTTL))
        }
        if wanted > ceiling { return Decision(expiresAt: ceiling, clamped: true) }
        return Decision(expiresAt: wanted, clamped: false)
    }
}
