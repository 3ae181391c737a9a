/// A signed statement of the chain head: "audit row `auditID` has hash `hash`, and the chain held `count`
/// rows up to it, at `at`". A genesis checkpoint marks where the chain starts (rows up to `auditID` were
/// written before tokend hashed them); a prune checkpoint also records the range retention removed and the
/// hash of its last row, so the chain that remains still links to a signed value.
public struct Checkpoint: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case genesis, interval, manual, prune
    }

    public var id: Int64
    public var auditID: Int64
    public var hash: [UInt8]
    /// Milliseconds since 1970-01-01 UTC.
    public var at: Int64
    /// Chained rows from the chain's start through `auditID`, pruned ones included.
    public var count: Int64
    public var kind: Kind
    /// The last audit id retention removed (every row up to it is gone), for prune checkpoints.
    public var prunedThrough: Int64?
    /// The hash of row `prunedThrough`: the `prev_hash` the first remaining row must carry.
    public var prunedHash: [UInt8]?
    /// Ed25519 over ``signedBytes``.
    public var signature: [UInt8]

    public init(
        id: Int64, auditID: Int64, hash: [UInt8], at: Int64, count: Int64, kind: Kind,
        prunedThrough: Int64? = nil, prunedHash: [UInt8]? = nil, signature: [UInt8] = []
    ) {
        self.id = id
        self.auditID = auditID
        self.hash = hash
        self.at = at
        self.count = count
        self.kind = kind
        self.prunedThrough = prunedThrough
        self.prunedHash = prunedHash
        self.signature = signature
    }

    /// Domain separation: a checkpoint signature can never be mistaken for a signature over anything else.
    public static let signaturePrefix = Array("tokend-audit-checkpoint-v1".utf8)

    /// What the signature covers: the prefix, then id, audit_id, hash, at, count, kind, pruned_through,
    /// pruned_hash in the canonical encoding.
    public var signedBytes: [UInt8] {
        var encoder = CanonicalEncoder(capacity: 160)
        encoder.raw(Self.signaturePrefix)
        encoder.integer(id)
        encoder.integer(auditID)
        encoder.data(hash)
        encoder.integer(at)
        encoder.integer(count)
        encoder.text(kind.rawValue)
        encoder.integer(prunedThrough)
        encoder.data(prunedHash)
        return encoder.bytes
    }
}
