import Foundation
import Testing
import TokendClient

@Suite struct JobProgressTests {
    func job(_ settled: Int, matched: Int = 10_000, failed: Int = 0, skipped: Int = 0) throws -> JSONValue {
        try JSONValue.parse(Data("""
            {"id":"job_1","state":"running","matched":\(matched),"revoked":\(settled - failed - skipped),
             "already_revoked":0,"failed":\(failed),"skipped":\(skipped),"pending":\(matched - settled)}
            """.utf8))
    }

    @Test func barRateAndETAFromTheLastPolls() throws {
        var progress = JobProgress()
        let start = ContinuousClock.now
        #expect(progress.line(try job(0), now: start) == "job_1 [--------------------]   0%  0/10000")
        let second = progress.line(try job(1_000), now: start + .seconds(1))
        #expect(second == "job_1 [##------------------]  10%  1000/10000  1000/s  ETA 0:09")
        // Skipped and failed tokens are settled too; the rate follows the window, not the start.
        let later = progress.line(try job(4_000, failed: 10, skipped: 90), now: start + .seconds(3))
        #expect(later == "job_1 [########------------]  40%  4000/10000  1333/s  ETA 0:05  failed 10")
    }

    @Test func stalledJobShowsNoETAAndLongOnesShowHours() throws {
        var progress = JobProgress()
        let start = ContinuousClock.now
        _ = progress.line(try job(10, matched: 1_000_000), now: start)
        #expect(progress.line(try job(10, matched: 1_000_000), now: start + .seconds(2)).hasSuffix("0/s  ETA --:--"))
        _ = progress.line(try job(110, matched: 1_000_000), now: start + .seconds(4))
        // 100 tokens in the 4 s window: 25/s, 999,890 left → 11:06:36.
        #expect(progress.line(try job(110, matched: 1_000_000), now: start + .seconds(4)).contains("ETA 11:06:36"))
        #expect(progress.line(try job(1_000_000, matched: 1_000_000), now: start + .seconds(5)).contains("100%"))
    }
}
