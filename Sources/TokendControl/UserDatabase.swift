#if canImport(Glibc)
import Glibc
#endif

/// Thread-safe passwd/group look-ups (the `_r` variants).
enum UserDatabase {
    struct User: Sendable, Hashable {
        var name: String
        var uid: uid_t
        var gid: gid_t
    }

    static func user(uid: uid_t) -> User? {
        withPasswd { pwd, buffer, result in getpwuid_r(uid, &pwd, buffer.baseAddress!, buffer.count, &result) }
    }

    static func user(named name: String) -> User? {
        withPasswd { pwd, buffer, result in getpwnam_r(name, &pwd, buffer.baseAddress!, buffer.count, &result) }
    }

    private static func withPasswd(
        _ call: (inout passwd, UnsafeMutableBufferPointer<CChar>, inout UnsafeMutablePointer<passwd>?) -> Int32
    ) -> User? {
        var size = 1_024
        while size <= 1 << 20 {
            var pwd = passwd()
            var result: UnsafeMutablePointer<passwd>?
            let found: User?? = withUnsafeTemporaryAllocation(of: CChar.self, capacity: size) { buffer in
                let status = call(&pwd, buffer, &result)
                if status == ERANGE { return .none }
                guard status == 0, result != nil, let name = pwd.pw_name else { return .some(nil) }
                return .some(User(name: String(cString: name), uid: pwd.pw_uid, gid: pwd.pw_gid))
            }
            if let found { return found }
            size *= 4
        }
        return nil
    }

    /// The gid of group `name`.
    static func group(named name: String) -> gid_t? {
        var size = 4_096
        while size <= 1 << 22 {
            var grp = Glibc.group()
            var result: UnsafeMutablePointer<Glibc.group>?
            let found: gid_t?? = withUnsafeTemporaryAllocation(of: CChar.self, capacity: size) { buffer in
                let status = getgrnam_r(name, &grp, buffer.baseAddress!, buffer.count, &result)
                if status == ERANGE { return .none }
                guard status == 0, result != nil else { return .some(nil) }
                return .some(grp.gr_gid)
            }
            if let found { return found }
            size *= 4
        }
        return nil
    }

    /// The primary and supplementary groups of user `name`.
    static func groups(of name: String, primary: gid_t) -> Set<gid_t> {
        var count: Int32 = 64
        while count <= 65_536 {
            var groups = [gid_t](repeating: 0, count: Int(count))
            var n = count
            if getgrouplist(name, primary, &groups, &n) >= 0 {
                return Set(groups.prefix(Int(n)))
            }
            count = max(n, count * 4)
        }
        return [primary]
    }
}
