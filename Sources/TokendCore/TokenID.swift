import Foundation

/// Opaque, sortable identifiers: `tok_` / `job_` + 26 Crockford base-32 characters (48-bit time, 80 random
/// bits, as in ULID). Never derived from the token itself.
public enum Identifier {
    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// A new identifier with `prefix` for the instant `now`.
    public static func make(prefix: String, now: Date) -> String {
        var rng = SystemRandomNumberGenerator()
        return make(prefix: prefix, now: now, using: &rng)
    }

    /// A new identifier drawn from `rng` (deterministic in tests).
    public static func make<R: RandomNumberGenerator>(prefix: String, now: Date, using rng: inout R) -> String {
        let millis = UInt64(max(0, now.unixMillis)) & 0xFFFF_FFFF_FFFF
        var out = [UInt8](repeating: 0, count: 26)
        var time = millis
        for index in stride(from: 9, through: 0, by: -1) {
            out[index] = alphabet[Int(time & 31)]
            time >>= 5
        }
        // 80 random bits from two draws (one draw per character would be 16 getrandom calls per id).
        var random = rng.next()
        var more = rng.next()
        for index in 10..<26 {
            if index == 22 { random = more; more = 0 }
            out[index] = alphabet[Int(random & 31)]
            random >>= 5
        }
        return prefix + String(decoding: out, as: UTF8.self)
    }

    /// Whether `text` looks like an identifier with `prefix`; bad ids are refused before any query.
    public static func isValid(_ text: String, prefix: String) -> Bool {
        guard text.hasPrefix(prefix) else { return false }
        let body = text.utf8.dropFirst(prefix.utf8.count)
        return body.count == 26 && body.allSatisfy { alphabet.contains($0) }
    }
}
