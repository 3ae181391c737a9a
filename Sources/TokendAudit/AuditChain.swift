import Crypto

/// The hash chain over audit rows: `hash = SHA-256(prev_hash ‖ canonical fields)`, with 32 zero bytes before
/// the first chained row.
public enum AuditChain {
    /// The `prev_hash` of the first row of a chain.
    public static let zeroHash = [UInt8](repeating: 0, count: 32)

    /// The hash a row must carry given the hash of the row before it.
    public static func hash(_ row: ChainRow, prev: [UInt8]) -> [UInt8] {
        var encoder = CanonicalEncoder()
        return hash(row, prev: prev, using: &encoder)
    }

    /// As ``hash(_:prev:)``, reusing `encoder`'s buffer (the verifier hashes a million rows a second).
    public static func hash(_ row: ChainRow, prev: [UInt8], using encoder: inout CanonicalEncoder) -> [UInt8] {
        encoder.reset()
        encoder.raw(prev)
        row.encodeFields(into: &encoder)
        return Array(SHA256.hash(data: encoder.bytes))
    }

    /// Returns `row` with `prevHash` and `hash` filled in after `prev`.
    public static func seal(_ row: ChainRow, after prev: [UInt8]) -> ChainRow {
        var row = row
        row.prevHash = prev
        row.hash = hash(row, prev: prev)
        return row
    }
}
