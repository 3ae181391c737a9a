/// The live line of `tokenctl revoke-bulk --wait` / `job --wait`: a bar, settled/matched, the rate over the last
/// few polls and an ETA from it, e.g. `job_1 [########------------]  40%  4000/10000  812/s  ETA 0:07`.
public struct JobProgress: Sendable {
    /// How far back the rate looks (a job's pace changes as accounts' limits bite; the start-up lag is forgotten).
    public static let window: Duration = .seconds(10)

    private var samples: [(at: ContinuousClock.Instant, settled: Int)] = []

    public init() {}

    /// Tokens of the job that reached their end: revoked, already revoked, failed or skipped.
    public static func settled(_ job: JSONValue) -> Int {
        ["revoked", "already_revoked", "failed", "skipped"].reduce(0) { $0 + (job[$1]?.intValue ?? 0) }
    }

    /// Records a poll of the job at `now` and returns the line to draw.
    public mutating func line(_ job: JSONValue, now: ContinuousClock.Instant = .now, width: Int = 20) -> String {
        let matched = job["matched"]?.intValue ?? 0
        let settled = Self.settled(job)
        samples.append((now, settled))
        while let first = samples.first, now - first.at > Self.window, samples.count > 2 { samples.removeFirst() }
        let fraction = matched > 0 ? min(1, Double(settled) / Double(matched)) : 1
        let filled = Int((fraction * Double(width)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        var text = "\(job["id"]?.displayText ?? "job") [\(bar)] \(Self.pad(Int(fraction * 100), 3))%  \(settled)/\(matched)"
        if let rate = rate() {
            text += "  \(Int(rate.rounded()))/s"
            let remaining = matched - settled
            if remaining > 0 {
                text += rate > 0 ? "  ETA \(Self.clock(Double(remaining) / rate))" : "  ETA --:--"
            }
        }
        if let failed = job["failed"]?.intValue, failed > 0 { text += "  failed \(failed)" }
        if job["state"]?.stringValue == "paused" || job["state"]?.stringValue == "held" {
            text += "  (\(job["state"]!.displayText))"
        }
        return text
    }

    /// Tokens per second between the oldest and newest sample in the window; nil until two polls.
    func rate() -> Double? {
        guard let first = samples.first, let last = samples.last, samples.count >= 2 else { return nil }
        let seconds = Double((last.at - first.at).components.seconds)
            + Double((last.at - first.at).components.attoseconds) / 1e18
        guard seconds > 0 else { return nil }
        return Double(last.settled - first.settled) / seconds
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: " ", count: max(0, width - text.count)) + text
    }

    /// `m:ss`, or `h:mm:ss` from an hour.
    static func clock(_ seconds: Double) -> String {
        let total = Int(seconds.rounded(.up))
        let (hours, minutes, secs) = (total / 3600, total / 60 % 60, total % 60)
        let two = { (value: Int) in value < 10 ? "0\(value)" : "\(value)" }
        return hours > 0 ? "\(hours):\(two(minutes)):\(two(secs))" : "\(minutes):\(two(secs))"
    }
}
