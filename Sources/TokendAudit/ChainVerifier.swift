import Crypto

/// Walks audit rows in id order against the signed checkpoints and reports every break: a changed field, a
/// deleted, inserted or moved row, a forged or missing checkpoint, a truncated log, and the unverifiable tail
/// after the last checkpoint. Pure and incremental: feed rows with ``consume(_:)`` as they are read (memory
/// stays flat over any number of rows), then call ``finish(strict:)``.
public struct ChainVerifier: Sendable {
    public static let maxFindings = 50

    private var report = AuditReport()
    private var rowFindings: [AuditReport.Finding] = []
    private var checkpointFindings: [AuditReport.Finding] = []
    private let checkpoints: [Checkpoint]
    private var valid: Set<Int64> = []
    private var byAuditID: [Int64: [Checkpoint]] = [:]
    private var pruneAnchors: [Int64: [UInt8]] = [:]
    private var matched: Set<Int64> = []
    private let genesisBoundary: Int64
    private let trustFirstRow: Bool
    private var lastID: Int64?
    private var lastHash: [UInt8]?
    private var encoder = CanonicalEncoder()

    /// - Parameters:
    ///   - checkpoints: every stored (or exported) checkpoint.
    ///   - trustFirstRow: the walk starts mid-chain on purpose (`--from`, an export): the first row's
    ///     `prev_hash` is taken as given rather than required to link to the chain's start or a prune record.
    public init(checkpoints: [Checkpoint], publicKey: Curve25519.Signing.PublicKey, trustFirstRow: Bool = false) {
        self.checkpoints = checkpoints.sorted { $0.id < $1.id }
        self.trustFirstRow = trustFirstRow
        report.checkpoints = checkpoints.count
        var previous: Int64?
        for checkpoint in self.checkpoints {
            if let previous, checkpoint.id > previous + 1 {
                let missing = previous + 1 == checkpoint.id - 1 ? "\(previous + 1)" : "\(previous + 1)…\(checkpoint.id - 1)"
                checkpointFindings.append(.init(checkpointID: previous + 1, message: "missing (checkpoint \(missing) deleted)"))
            }
            previous = checkpoint.id
            guard CheckpointSigner.isValid(checkpoint, publicKey: publicKey) else {
                checkpointFindings.append(
                    .init(checkpointID: checkpoint.id, message: "signature does not verify (forged or altered checkpoint)"))
                continue
            }
            valid.insert(checkpoint.id)
            byAuditID[checkpoint.auditID, default: []].append(checkpoint)
            if checkpoint.kind == .prune, let through = checkpoint.prunedThrough, let hash = checkpoint.prunedHash {
                pruneAnchors[through] = hash
            }
        }
        if !self.checkpoints.isEmpty && valid.isEmpty {
            checkpointFindings.append(
                .init(message: "no checkpoint verifies with this public key (wrong key, or every checkpoint forged)"))
        }
        report.checkpointsValid = valid.count
        let validIDs = valid
        genesisBoundary = self.checkpoints.first { validIDs.contains($0.id) && $0.kind == .genesis }?.auditID ?? 0
    }

    private mutating func problem(_ row: Int64, _ message: String) {
        report.problemCount += 1
        if rowFindings.count < Self.maxFindings { rowFindings.append(.init(rowID: row, message: message)) }
    }

    /// Checks one row; rows must come in increasing id order.
    public mutating func consume(_ row: ChainRow) {
        if lastID == nil && row.hash == nil && row.prevHash == nil && row.id <= genesisBoundary {
            report.beforeChain += 1
            return
        }
        report.rowsChecked += 1
        if let issue = row.problem { problem(row.id, issue) }
        if let lastID {
            if row.id != lastID + 1 {
                let gap = row.id - 1 == lastID + 1 ? "row \(lastID + 1) is" : "rows \(lastID + 1)…\(row.id - 1) are"
                problem(row.id, "\(gap) missing before it (deleted)")
            } else if let lastHash, row.prevHash != lastHash {
                problem(row.id, "prev_hash does not match the hash of row \(lastID) (a row was inserted, replaced or moved)")
            }
        } else {
            report.firstRowID = row.id
            let expected: [UInt8]? =
                row.id == genesisBoundary + 1 ? AuditChain.zeroHash : pruneAnchors[row.id - 1]
            if let expected {
                if row.prevHash != expected {
                    problem(row.id, "prev_hash does not link to the chain's start or to the pruned range before it")
                }
            } else if !trustFirstRow {
                let range = row.id - 1 == genesisBoundary + 1 ? "row \(row.id - 1)" : "rows \(genesisBoundary + 1)…\(row.id - 1)"
                problem(row.id, "the log starts here but no checkpoint records \(range) as pruned (deleted)")
            }
        }
        lastID = row.id
        report.lastRowID = row.id
        guard let stored = row.hash else {
            problem(row.id, "no hash (written outside tokend, or its hash was erased)")
            lastHash = nil
            report.unverifiedTail += 1
            return
        }
        let computed = AuditChain.hash(row, prev: row.prevHash ?? AuditChain.zeroHash, using: &encoder)
        if computed != stored {
            problem(row.id, "hash does not match the row's fields (the row was changed, moved or replaced)")
        }
        lastHash = stored
        report.unverifiedTail += 1
        for checkpoint in byAuditID[row.id] ?? [] {
            matched.insert(checkpoint.id)
            if checkpoint.hash != computed {
                problem(row.id, "checkpoint \(checkpoint.id) signed another hash for this row (rows up to it were rewritten)")
            } else if checkpoint.count != row.id - genesisBoundary {
                problem(row.id, "checkpoint \(checkpoint.id) counts \(checkpoint.count) chained rows, the log \(row.id - genesisBoundary)")
            } else {
                report.unverifiedTail = 0
                report.lastMatchedCheckpoint = checkpoint.id
            }
        }
    }

    /// The report; with `strict`, an unverifiable tail is a problem rather than a warning.
    public mutating func finish(strict: Bool) -> AuditReport {
        for checkpoint in checkpoints where valid.contains(checkpoint.id) && !matched.contains(checkpoint.id) {
            if let lastID, checkpoint.auditID > lastID {
                checkpointFindings.append(
                    .init(checkpointID: checkpoint.id,
                          message: "covers row \(checkpoint.auditID) but the log ends at row \(lastID) (truncated)"))
            } else if lastID == nil, checkpoint.auditID > genesisBoundary {
                checkpointFindings.append(
                    .init(checkpointID: checkpoint.id, message: "covers row \(checkpoint.auditID) but the log holds no chained row (truncated)"))
            }
        }
        if report.unverifiedTail > 0 {
            let message =
                report.lastMatchedCheckpoint.map { "unverifiable tail of \(report.unverifiedTail) rows since checkpoint \($0)" }
                ?? "unverifiable tail of \(report.unverifiedTail) rows: no checkpoint covers them"
            if strict {
                checkpointFindings.append(.init(rowID: (report.lastRowID ?? 0) - Int64(report.unverifiedTail) + 1, message: message))
            } else {
                report.warnings.append(message)
            }
        }
        report.problemCount += checkpointFindings.count
        report.problems = Array((rowFindings + checkpointFindings).prefix(Self.maxFindings))
        return report
    }
}
