import Foundation
import Testing
import TokendCore
import TokendSQLite
import TokendStore

@testable import TokendControl

@Suite struct RecordJSONTests {
    /// The listing's direct byte writer produces exactly the document the JSON tree serializes to.
    @Test func byteWriterMatchesTheTree() async throws {
        let harness = try Harness()
        let first = try await harness.store.register(
            NewToken(
                provider: .box, account: "main", owner: "ä \"quoted\" \\ owner\n\u{2028}",
                labels: ["z": "last", "app": "bill\ting", "ctl": "\u{01}"], token: "raw-1",
                expiresAt: Date(timeIntervalSince1970: 1_900_000_000.123), registeredByUID: 1000),
            actor: .system("test")
        ).record
        let revoked = try await harness.store.requestRevoke(
            id: first.id, reason: .requested, note: "note with \"quotes\"", actor: .system("test")
        ).record
        for record in [first, revoked] {
            var bytes: [UInt8] = []
            record.writeJSON(into: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == record.json.serialized)
            #expect(try JSON.parse(bytes) == record.json)
        }
    }
}
