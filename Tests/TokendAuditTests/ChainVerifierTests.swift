import Crypto
import Foundation
import Testing

@testable import TokendAudit

/// The verifier against chains built in memory: every kind of break is found and named.
@Suite struct ChainVerifierTests {
    let signer = CheckpointSigner()

    func chain(_ count: Int, startID: Int64 = 1, prev: [UInt8] = AuditChain.zeroHash) -> [ChainRow] {
        var rows: [ChainRow] = []
        var prev = prev
        for offset in 0..<count {
            let id = startID + Int64(offset)
            let row = AuditChain.seal(
                ChainRow(id: id, at: 1_700_000_000_000 + id, tokenID: "tok_\(id)", episode: 1, action: "registered",
                         actorUID: 1000, actorPID: 42, actorRole: "client", reason: id % 2 == 0 ? "r\(id)" : nil),
                after: prev)
            prev = row.hash!
            rows.append(row)
        }
        return rows
    }

    func checkpoint(_ id: Int64, at row: ChainRow, kind: Checkpoint.Kind = .interval, genesis: Int64 = 0) throws -> Checkpoint {
        try signer.sign(Checkpoint(id: id, auditID: row.id, hash: row.hash!, at: row.at, count: row.id - genesis, kind: kind))
    }

    func verify(_ rows: [ChainRow], _ checkpoints: [Checkpoint], strict: Bool = false, key: Curve25519.Signing.PublicKey? = nil) -> AuditReport {
        var verifier = ChainVerifier(checkpoints: checkpoints, publicKey: key ?? signer.publicKey)
        for row in rows { verifier.consume(row) }
        return verifier.finish(strict: strict)
    }

    @Test func intactChainVerifies() throws {
        let rows = chain(10)
        let report = verify(rows, [try checkpoint(1, at: rows[9])])
        #expect(report.intact)
        #expect(report.rowsChecked == 10)
        #expect(report.warnings.isEmpty)
    }

    @Test func changedFieldIsNamed() throws {
        var rows = chain(10)
        rows[4].reason = "tampered"
        let report = verify(rows, [try checkpoint(1, at: rows[9])])
        #expect(!report.intact)
        #expect(report.problems.first?.rowID == 5)
        #expect(report.problems.first?.message.contains("does not match the row's fields") == true)
    }

    @Test func rewrittenChainIsCaughtByTheCheckpoint() throws {
        let original = chain(10)
        let cp = try checkpoint(1, at: original[9])
        var rows = original
        rows[3].reason = "rewritten"
        // The tamperer recomputes every hash from row 4 on: the chain is consistent, the signature is not.
        for index in 3..<rows.count { rows[index] = AuditChain.seal(rows[index], after: rows[index - 1].hash!) }
        let report = verify(rows, [cp])
        #expect(report.problems.map(\.rowID) == [10])
        #expect(report.problems.first?.message.contains("signed another hash") == true)
    }

    @Test func deletedInsertedAndSwappedRowsAreNamed() throws {
        let rows = chain(10)
        let cp = try checkpoint(1, at: rows[9])

        var deleted = rows
        deleted.remove(at: 6)
        #expect(verify(deleted, [cp]).problems.first?.rowID == 8)
        #expect(verify(deleted, [cp]).problems.first?.message.contains("row 7 is missing") == true)

        var inserted = rows
        inserted.insert(ChainRow(id: 11, at: 0, action: "registered"), at: 10)
        #expect(verify(inserted, [cp]).problems.first?.rowID == 11)

        var swapped = rows
        (swapped[2], swapped[3]) = (swapped[3], swapped[2])
        (swapped[2].id, swapped[3].id) = (3, 4)
        let report = verify(swapped, [cp])
        #expect(report.problems.first?.rowID == 3)
    }

    @Test func forgedAndMissingCheckpointsAreFound() throws {
        let rows = chain(10)
        var forged = try checkpoint(2, at: rows[9])
        forged.signature[0] ^= 0xff
        let report = verify(rows, [try checkpoint(1, at: rows[4]), forged])
        #expect(report.problems.contains { $0.checkpointID == 2 && $0.message.contains("signature") })

        let gap = verify(rows, [try checkpoint(1, at: rows[2]), try checkpoint(3, at: rows[9])])
        #expect(gap.problems.contains { $0.checkpointID == 2 && $0.message.contains("missing") })
    }

    @Test func wrongPublicKeyIsSaidPlainly() throws {
        let rows = chain(3)
        let report = verify(rows, [try checkpoint(1, at: rows[2])], key: CheckpointSigner().publicKey)
        #expect(report.problems.contains { $0.message.contains("wrong key") })
    }

    @Test func tailAfterTheLastCheckpointIsAWarningUnlessStrict() throws {
        let rows = chain(10)
        let checkpoints = [try checkpoint(1, at: rows[6])]
        let lenient = verify(rows, checkpoints)
        #expect(lenient.intact)
        #expect(lenient.warnings == ["unverifiable tail of 3 rows since checkpoint 1"])
        let strict = verify(rows, checkpoints, strict: true)
        #expect(!strict.intact)
        #expect(strict.problems.first?.rowID == 8)
    }

    @Test func truncationPastACheckpointIsTampering() throws {
        let rows = chain(10)
        let report = verify(Array(rows.prefix(6)), [try checkpoint(1, at: rows[9])])
        #expect(report.problems.contains { $0.checkpointID == 1 && $0.message.contains("truncated") })
    }

    @Test func rowsBeforeTheGenesisAreNotTampered() throws {
        let legacy = (1...4).map { ChainRow(id: Int64($0), at: 0, action: "registered") }
        let chained = chain(3, startID: 5)
        let genesis = try signer.sign(Checkpoint(id: 1, auditID: 4, hash: AuditChain.zeroHash, at: 0, count: 0, kind: .genesis))
        let cp = try checkpoint(2, at: chained[2], genesis: 4)
        let report = verify(legacy + chained, [genesis, cp])
        #expect(report.intact)
        #expect(report.beforeChain == 4)
        #expect(report.rowsChecked == 3)
    }

    @Test func prunedPrefixLinksToItsCheckpoint() throws {
        let rows = chain(10)
        let pruned = try signer.sign(
            Checkpoint(id: 1, auditID: rows[9].id, hash: rows[9].hash!, at: 0, count: 10, kind: .prune,
                       prunedThrough: 4, prunedHash: rows[3].hash))
        #expect(verify(Array(rows.dropFirst(4)), [pruned]).intact)
        // Without the prune record, a missing prefix is a deletion.
        let unrecorded = verify(Array(rows.dropFirst(4)), [try checkpoint(1, at: rows[9])])
        #expect(unrecorded.problems.first?.rowID == 5)
    }

    @Test func exportRoundTripsExactly() throws {
        var rows = chain(5)
        rows[1].providerDetail = "quote \" backslash \\ newline \n tab \t bell \u{07} é 🚀"
        rows[1] = AuditChain.seal(rows[1], after: rows[0].hash!)
        let cp = try checkpoint(1, at: rows[4])
        var text = ""
        for row in rows { text += ExportFormat.encode(.event(row)) }
        text += ExportFormat.encode(.checkpoint(cp))
        text += ExportFormat.encode(.end(events: rows.count, checkpoints: 1))
        let parsed = try ExportFormat.parse(Data(text.utf8))
        #expect(parsed.rows == rows)
        #expect(parsed.checkpoints == [cp])

        let cut = Data(text.utf8).prefix(text.utf8.count - 30)
        #expect(throws: ExportFormat.ParseError.self) { try ExportFormat.parse(cut) }
        let noEnd = rows.map { ExportFormat.encode(.event($0)) }.joined()
        #expect(throws: ExportFormat.ParseError.self) { try ExportFormat.parse(Data(noEnd.utf8)) }
    }

    @Test func canonicalEncodingIsFixed() {
        // A third party re-implementing docs/audit.md must get these bytes.
        var encoder = CanonicalEncoder()
        encoder.integer(1)
        encoder.text("é")
        encoder.null()
        encoder.integer(-2)
        #expect(Hex.encode(encoder.bytes) == "01000000000000000102000000" + "02c3a9" + "00" + "01fffffffffffffffe")
        let row = ChainRow(id: 1, at: 0, action: "registered", actorSystem: "test")
        #expect(Hex.encode(AuditChain.hash(row, prev: AuditChain.zeroHash)) == Hex.encode(SHA256.hash(data: AuditChain.zeroHash + Self.encoded(row))))
    }

    static func encoded(_ row: ChainRow) -> [UInt8] {
        var encoder = CanonicalEncoder()
        row.encodeFields(into: &encoder)
        return encoder.bytes
    }
}
