import Foundation

/// The client-held lease of a bound token: custody lasts while its owner keeps sending heartbeats.
///
/// Registration counts as the first heartbeat. Each heartbeat moves ``deadline`` to `now + heartbeatSeconds`;
/// once it passes, the scheduler (of any instance: the deadline lives in the database) starts revocation with
/// reason `unbound`. The token's TTL and the account's max TTL still apply: whichever comes first ends custody.
public struct BoundLease: Sendable, Hashable {
    /// How long the token survives without a heartbeat.
    public var heartbeatSeconds: Int
    /// The last heartbeat (the registration, before the first one).
    public var lastHeartbeatAt: Date
    /// `lastHeartbeatAt + heartbeatSeconds`.
    public var deadline: Date

    public init(heartbeatSeconds: Int, lastHeartbeatAt: Date, deadline: Date) {
        self.heartbeatSeconds = heartbeatSeconds
        self.lastHeartbeatAt = lastHeartbeatAt
        self.deadline = deadline
    }

    /// The audit reason of the `heartbeat_missed` event, the same on every backend.
    public var missedReason: String { Self.missedReason(heartbeatSeconds: heartbeatSeconds) }

    public static func missedReason(heartbeatSeconds: Int) -> String {
        "unbound: no heartbeat within \(heartbeatSeconds)s"
    }
}
