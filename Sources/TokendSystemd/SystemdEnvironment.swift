#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Access to the process environment without Foundation.
///
/// Every type in this module takes the environment as a plain `[String: String]` so tests can inject one;
/// ``current()`` is the default used in production.
public enum SystemdEnvironment {
    /// A snapshot of the process environment (`environ`).
    ///
    /// Entries without `=` are skipped; for duplicate names the first one wins, as `getenv(3)` does.
    public static func current() -> [String: String] {
        var result: [String: String] = [:]
        #if canImport(Darwin)
        guard var cursor = _NSGetEnviron()?.pointee else { return result }
        #else
        guard var cursor = environ as UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? else { return result }
        #endif
        while let entry = cursor.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                let name = String(text[..<equals])
                if result[name] == nil {
                    result[name] = String(text[text.index(after: equals)...])
                }
            }
            cursor += 1
        }
        return result
    }

    /// The process id of the calling process.
    public static var processID: pid_t { getpid() }
}
