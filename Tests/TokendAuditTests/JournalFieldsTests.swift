import Testing
import TokendAudit

@Suite struct JournalFieldsTests {
    let row = ChainRow(
        id: 42, at: 1_700_000_000_123, tokenID: "tok_abc", episode: 1, action: "revoked", actorSystem: "scheduler",
        reason: "expired", providerStatus: 200, providerDetail: "line one\nline two", durationMillis: 12, attempt: 1,
        prevHash: [UInt8](repeating: 0xAB, count: 32), hash: [UInt8](repeating: 0x01, count: 32))

    @Test func fieldsCarryTheRowAndItsHashesAndOmitNulls() {
        let fields = Dictionary(uniqueKeysWithValues: JournalFields.fields(row).map { ($0.name, $0.value) })
        #expect(fields["SYSLOG_IDENTIFIER"] == "tokend-audit")
        #expect(fields["TOKEND_AUDIT_ID"] == "42")
        #expect(fields["TOKEND_AUDIT_ACTION"] == "revoked")
        #expect(fields["TOKEND_AUDIT_TOKEN_ID"] == "tok_abc")
        #expect(fields["TOKEND_AUDIT_ACTOR_SYSTEM"] == "scheduler")
        #expect(fields["TOKEND_AUDIT_HASH"] == String(repeating: "01", count: 32))
        #expect(fields["TOKEND_AUDIT_PREV_HASH"] == String(repeating: "ab", count: 32))
        #expect(fields["TOKEND_AUDIT_ACTOR_UID"] == nil)
        #expect(fields["TOKEND_AUDIT_JOB_ID"] == nil)
        #expect(fields["MESSAGE"] == "audit #42 revoked tok_abc by system:scheduler: expired")
    }

    @Test func datagramUsesTheBinaryFormOnlyForValuesWithNewlines() {
        let bytes = JournalFields.datagram([("A", "plain"), ("B", "two\nlines")])
        var expected = Array("A=plain\nB\n".utf8)
        expected += [9, 0, 0, 0, 0, 0, 0, 0]
        expected += Array("two\nlines\n".utf8)
        #expect(bytes == expected)
    }
}
