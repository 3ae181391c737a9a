import Foundation
import TokendCore
import TokendStore

#if canImport(Glibc)
import Glibc
#endif

/// The cluster view of an embedded store: one writer process, so this instance is the whole cluster. Leases
/// need no renewal (nothing else can claim) and the in-memory token buckets already hold the rate.
extension SQLiteTokenStore {
    public var kind: String { "sqlite" }
    public var locationDescription: String { path }
    public var leaseDuration: Duration { Self.leaseDuration }

    public var isShared: Bool { false }

    public func listenForWork(_ wake: @escaping @Sendable () -> Void) async {}

    public func renewLeases(_ claims: [Claim]) async throws {}

    public func takeRatePermits(account: String, wanted: Int, ratePerSecond: Double, burst: Double) async throws
        -> Int
    {
        wanted
    }

    public func instances() async throws -> [InstanceInfo] {
        let beat = instance.withLock { $0 }
        return [
            InstanceInfo(
                id: Self.instanceID, host: Self.hostName, pid: getpid(), startedAt: startedAt,
                lastHeartbeatAt: beat.at ?? startedAt, inFlight: beat.inFlight)
        ]
    }

    public func heartbeat(inFlight: Int) async throws {
        let now = clock.now()
        instance.withLock { $0 = (now, inFlight) }
    }

    public func flush() async throws { try checkpoint() }

    public func close() async {}

    static let hostName: String = ProcessInfo.processInfo.hostName
    static let instanceID: String = "\(ProcessInfo.processInfo.hostName):\(getpid())"
}
