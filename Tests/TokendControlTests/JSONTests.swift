import TokendCore
import Foundation
import Testing
import TokendControl

@Suite struct JSONTests {
    @Test func parsesAndWritesRoundTrip() throws {
        let text = #"{"a":[1,-2.5e3,true,false,null],"b":"x\"\\\n\u00e9\ud83d\ude00","c":{}}"#
        let value = try JSON.parse(Array(text.utf8))
        #expect(value["b"] == .string("x\"\\\né😀"))
        #expect(try JSON.parse(Array(value.serialized.utf8)) == value)
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "01", "1.", "tru", "\"\\x\"", "\"\\ud800\"", "{\"a\":1}x", "{'a':1}",
        "{\"a\":1,\"a\":2}", "\"\u{01}\"", String(repeating: "[", count: 40) + String(repeating: "]", count: 40),
    ])
    func rejectsMalformed(text: String) {
        #expect(throws: JSONParseError.self) { try JSON.parse(Array(text.utf8)) }
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSON.parse([0x22, 0xFF, 0x22]) }
    }

    @Test func timestampsRoundTrip() {
        let date = Date(unixMillis: 1_767_323_045_678)
        let text = Timestamp.format(date)
        #expect(text == "2026-01-02T03:04:05.678Z")
        #expect(Timestamp.parse(text) == date)
        #expect(Timestamp.parse("2026-01-02T05:04:05.678+02:00") == date)
        #expect(Timestamp.parse("2026-02-30T00:00:00Z") == nil)
        #expect(Timestamp.parse("2026-01-02 03:04:05Z") == nil)
        #expect(Timestamp.format(Date(unixMillis: 0)) == "1970-01-01T00:00:00.000Z")
    }
}
