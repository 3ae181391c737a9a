import Synchronization
import TokendCore

/// The reloadable part of the configuration (SIGHUP): the role table and the limits, read per request.
public final class ControlSettings: Sendable {
    /// One consistent view of the settings.
    public struct Snapshot: Sendable {
        public var configuration: Configuration
        public var roles: RoleTable
    }

    private let current: Mutex<Snapshot>

    /// Resolves the roles of `configuration`.
    public init(_ configuration: Configuration) {
        current = Mutex(Snapshot(configuration: configuration, roles: RoleTable(configuration.control)))
    }

    /// The settings now.
    public var snapshot: Snapshot { current.withLock { $0 } }

    /// Replaces roles, limits, accounts, TTLs and bulk settings (the socket path and mode need a restart).
    public func reload(_ configuration: Configuration) {
        let roles = RoleTable(configuration.control)
        current.withLock { $0 = Snapshot(configuration: configuration, roles: roles) }
    }
}
