import Foundation

/// One tokend instance of a cluster, as `/v1/status` lists it (one entry on SQLite).
public struct InstanceInfo: Sendable, Hashable {
    public var id: String
    public var host: String
    public var pid: Int32
    public var startedAt: Date
    public var lastHeartbeatAt: Date
    /// Provider calls this instance has claimed and not yet recorded.
    public var inFlight: Int

    public init(id: String, host: String, pid: Int32, startedAt: Date, lastHeartbeatAt: Date, inFlight: Int) {
        self.id = id
        self.host = host
        self.pid = pid
        self.startedAt = startedAt
        self.lastHeartbeatAt = lastHeartbeatAt
        self.inFlight = inFlight
    }
}
