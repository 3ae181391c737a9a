/// One audit row exactly as stored, in the column types the canonical encoding fixes (docs/audit.md). Stores
/// read it straight from their columns; the verifier and the export work on it without any lossy model type.
public struct ChainRow: Sendable, Hashable {
    public var id: Int64
    /// Milliseconds since 1970-01-01 UTC.
    public var at: Int64
    public var tokenID: String?
    public var episode: Int64?
    public var action: String
    public var actorUID: Int64?
    public var actorPID: Int64?
    public var actorRole: String?
    public var actorSystem: String?
    public var reason: String?
    public var providerStatus: Int64?
    public var providerDetail: String?
    public var durationMillis: Int64?
    public var attempt: Int64?
    public var jobID: String?
    /// Nil for rows written before the chain existed (or rows a tamperer inserted without one).
    public var prevHash: [UInt8]?
    public var hash: [UInt8]?
    /// Set by a store when a column held a value of the wrong type (SQLite does not enforce column types).
    public var problem: String?

    public init(
        id: Int64, at: Int64, tokenID: String? = nil, episode: Int64? = nil, action: String,
        actorUID: Int64? = nil, actorPID: Int64? = nil, actorRole: String? = nil, actorSystem: String? = nil,
        reason: String? = nil, providerStatus: Int64? = nil, providerDetail: String? = nil,
        durationMillis: Int64? = nil, attempt: Int64? = nil, jobID: String? = nil,
        prevHash: [UInt8]? = nil, hash: [UInt8]? = nil, problem: String? = nil
    ) {
        self.id = id
        self.at = at
        self.tokenID = tokenID
        self.episode = episode
        self.action = action
        self.actorUID = actorUID
        self.actorPID = actorPID
        self.actorRole = actorRole
        self.actorSystem = actorSystem
        self.reason = reason
        self.providerStatus = providerStatus
        self.providerDetail = providerDetail
        self.durationMillis = durationMillis
        self.attempt = attempt
        self.jobID = jobID
        self.prevHash = prevHash
        self.hash = hash
        self.problem = problem
    }

    /// Appends the canonical encoding of the row's fields (everything but the two hashes), in the fixed order.
    public func encodeFields(into encoder: inout CanonicalEncoder) {
        encoder.integer(id)
        encoder.integer(at)
        encoder.text(tokenID)
        encoder.integer(episode)
        encoder.text(action)
        encoder.integer(actorUID)
        encoder.integer(actorPID)
        encoder.text(actorRole)
        encoder.text(actorSystem)
        encoder.text(reason)
        encoder.integer(providerStatus)
        encoder.text(providerDetail)
        encoder.integer(durationMillis)
        encoder.integer(attempt)
        encoder.text(jobID)
    }
}
