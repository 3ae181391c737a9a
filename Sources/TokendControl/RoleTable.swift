import Synchronization
import TokendCore

#if canImport(Glibc)
import Glibc
#endif

/// Decides a caller's role from `[control]`: `admins`, `operators` and `allow` entries are user names, group
/// names or numeric uids, resolved once (at start-up and on reload). uid 0 is always `admin`.
///
/// A uid matches a group when the group is its primary gid (from `SO_PEERCRED`) or one of its supplementary
/// groups (`getgrouplist`, cached per uid until the next reload).
public final class RoleTable: Sendable {
    struct Entries: Sendable {
        var uids: Set<uid_t> = []
        var gids: Set<gid_t> = []

        init(_ names: [String]) {
            for name in names {
                if let uid = UInt32(name) {
                    uids.insert(uid)
                    continue
                }
                if let user = UserDatabase.user(named: name) { uids.insert(user.uid) }
                if let gid = UserDatabase.group(named: name) { gids.insert(gid) }
            }
        }

        func matches(uid: uid_t, groups: Set<gid_t>) -> Bool {
            uids.contains(uid) || !gids.isDisjoint(with: groups)
        }
    }

    let admins: Entries
    let operators: Entries
    let allow: Entries
    let allowAll: Bool
    /// Names that resolved to nothing (reported at start-up).
    public let unresolved: [String]
    private let cache = Mutex<[uid_t: (name: String, groups: Set<gid_t>)]>([:])

    /// Resolves the names in `control`.
    public init(_ control: Configuration.Control) {
        admins = Entries(control.admins)
        operators = Entries(control.operators)
        allow = Entries(control.allow)
        allowAll = control.allow.isEmpty
        unresolved = (control.admins + control.operators + control.allow).filter { name in
            UInt32(name) == nil && UserDatabase.user(named: name) == nil && UserDatabase.group(named: name) == nil
        }
    }

    /// The caller for kernel credentials `peer`.
    public func caller(for peer: PeerCredentials) -> Caller {
        let (name, groups) = identity(uid: peer.uid, gid: peer.gid)
        return Caller(credentials: peer, role: role(uid: peer.uid, groups: groups), userName: name)
    }

    func role(uid: uid_t, groups: Set<gid_t>) -> Role? {
        if uid == 0 || admins.matches(uid: uid, groups: groups) { return .admin }
        if operators.matches(uid: uid, groups: groups) { return .operator }
        if allowAll || allow.matches(uid: uid, groups: groups) { return .client }
        return nil
    }

    private func identity(uid: uid_t, gid: gid_t) -> (String, Set<gid_t>) {
        if let cached = cache.withLock({ $0[uid] }) { return (cached.name, cached.groups.union([gid])) }
        let resolved: (name: String, groups: Set<gid_t>)
        if let user = UserDatabase.user(uid: uid) {
            resolved = (user.name, UserDatabase.groups(of: user.name, primary: user.gid))
        } else {
            resolved = ("uid:\(uid)", [])
        }
        cache.withLock { table in
            if table.count > 4_096 { table.removeAll() }
            table[uid] = resolved
        }
        return (resolved.name, resolved.groups.union([gid]))
    }
}
