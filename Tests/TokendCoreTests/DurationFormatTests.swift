import Testing
@testable import TokendCore

/// (i) The config file's durations.
@Suite struct DurationFormatTests {
    @Test(arguments: [
        ("500ms", Duration.milliseconds(500)), ("10s", .seconds(10)), ("15m", .seconds(900)), ("8h", .seconds(28_800)),
        ("30d", .seconds(2_592_000)), ("1h30m", .seconds(5_400)), ("0s", .zero), (" 2s ", .seconds(2)),
        ("1.5s", .milliseconds(1_500)), ("1d2h3m4s5ms", .milliseconds(93_784_005)),
    ])
    func parses(text: String, expected: Duration) throws {
        #expect(try DurationFormat.parse(text) == expected)
    }

    @Test(arguments: ["", "10", "s", "10x", "-5s", "10 s", "1h-5m", "ms10", "1e3s", "99999999999999999d", "nan", "5S"])
    func rejects(text: String) {
        #expect(throws: DurationFormat.ParseError(input: text)) { _ = try DurationFormat.parse(text) }
    }

    @Test func errorMessageNamesInput() {
        #expect(
            DurationFormat.ParseError(input: "x").description
                == "invalid duration 'x' (expected a number with a unit ms, s, m, h or d, e.g. \"10s\" or \"1h30m\")")
    }

    @Test func formatsInLargestExactUnit() {
        #expect(DurationFormat.format(.seconds(90)) == "90s")
        #expect(DurationFormat.format(.seconds(3600)) == "1h")
        #expect(DurationFormat.format(.seconds(86_400 * 30)) == "30d")
        #expect(DurationFormat.format(.seconds(900)) == "15m")
        #expect(DurationFormat.format(.milliseconds(1500)) == "1500ms")
        #expect(DurationFormat.format(.zero) == "0ms")
    }

    @Test func roundTrip() throws {
        for ms: Int64 in [1, 999, 1000, 60_000, 61_000, 3_600_000, 86_400_000, 90_061_001] {
            #expect(try DurationFormat.parse(DurationFormat.format(.milliseconds(ms))) == .milliseconds(ms))
        }
    }

    @Test func durationHelpers() {
        #expect(Duration.milliseconds(1_234).milliseconds == 1_234)
        #expect(Duration.milliseconds(1_500).seconds == 1.5)
    }
}
