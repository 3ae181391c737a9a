/// What ``ChainVerifier`` found. `problems` are tampering (or damage); `warnings` are limits of what could be
/// proven, such as rows written after the last checkpoint.
public struct AuditReport: Sendable {
    /// One finding, naming the row and/or checkpoint it is about.
    public struct Finding: Sendable, Hashable, CustomStringConvertible {
        public var rowID: Int64?
        public var checkpointID: Int64?
        public var message: String

        public var description: String {
            switch (rowID, checkpointID) {
            case (let row?, nil): "row \(row): \(message)"
            case (nil, let checkpoint?): "checkpoint \(checkpoint): \(message)"
            case (let row?, let checkpoint?): "row \(row), checkpoint \(checkpoint): \(message)"
            case (nil, nil): message
            }
        }
    }

    /// Row findings in row order, then checkpoint findings; capped at ``ChainVerifier/maxFindings``.
    public var problems: [Finding] = []
    /// How many problems there were in all (the list is capped).
    public var problemCount = 0
    public var warnings: [String] = []
    /// Chained rows walked.
    public var rowsChecked = 0
    /// Rows written before the chain started (the genesis checkpoint says where), not verifiable and not tampered.
    public var beforeChain = 0
    public var checkpoints = 0
    public var checkpointsValid = 0
    public var firstRowID: Int64?
    public var lastRowID: Int64?
    /// Rows after the last checkpoint that matched: nothing signed vouches for them yet.
    public var unverifiedTail = 0
    public var lastMatchedCheckpoint: Int64?

    public init() {}

    public var intact: Bool { problemCount == 0 }
}
