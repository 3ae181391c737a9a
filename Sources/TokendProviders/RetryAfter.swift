/// Parses the `Retry-After` header (RFC 9110 §10.2.3): delta-seconds or an HTTP-date.
public enum RetryAfter {
    /// Longest delay honoured; larger values are clamped to it.
    public static let maximum: Duration = .seconds(3600)

    /// The delay `value` asks for, clamped to `0...maximum`, or `nil` if it cannot be read.
    ///
    /// - Parameters:
    ///   - value: the header value, e.g. `120` or `Sun, 06 Nov 1994 08:49:37 GMT`.
    ///   - now: current Unix time in seconds, used for HTTP-dates (a date in the past yields zero).
    public static func parse(_ value: String, now: Int64) -> Duration? {
        let trimmed = TolerantXML.trim(value)
        guard !trimmed.isEmpty else { return nil }
        if trimmed.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            // Delta-seconds; absurdly long numbers clamp to the maximum.
            guard trimmed.utf8.count <= 12, let seconds = Int64(trimmed) else { return maximum }
            return clamp(seconds)
        }
        guard let date = httpDate(trimmed) else { return nil }
        return clamp(date - now)
    }

    static func clamp(_ seconds: Int64) -> Duration {
        if seconds <= 0 { return .zero }
        return min(.seconds(seconds), maximum)
    }

    /// Unix time of an IMF-fixdate, RFC 850 or asctime date; `nil` if malformed.
    public static func httpDate(_ text: String) -> Int64? {
        let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        var day: Int64?, month: Int64?, year: Int64?, time: String?
        if parts.count == 6, parts[0].hasSuffix(","), parts[5].uppercased() == "GMT" {
            // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
            day = Int64(parts[1])
            month = months.firstIndex(of: parts[2].lowercased()).map { Int64($0 + 1) }
            year = Int64(parts[3])
            time = parts[4]
        } else if parts.count == 4, parts[0].hasSuffix(","), parts[3].uppercased() == "GMT" {
            // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
            let dmy = parts[1].split(separator: "-").map(String.init)
            guard dmy.count == 3 else { return nil }
            day = Int64(dmy[0])
            month = months.firstIndex(of: dmy[1].lowercased()).map { Int64($0 + 1) }
            if let twoDigit = Int64(dmy[2]) { year = twoDigit < 70 ? 2000 + twoDigit : (twoDigit < 100 ? 1900 + twoDigit : twoDigit) }
            time = parts[2]
        } else if parts.count == 5 {
            // asctime: Sun Nov  6 08:49:37 1994
            month = months.firstIndex(of: parts[1].lowercased()).map { Int64($0 + 1) }
            day = Int64(parts[2])
            time = parts[3]
            year = Int64(parts[4])
        }
        guard let day, let month, let year, let time, (1...31).contains(day), (1970...9999).contains(year) else {
            return nil
        }
        let hms = time.split(separator: ":").map { Int64($0) }
        guard hms.count == 3, let hour = hms[0], let minute = hms[1], let second = hms[2],
            (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        return daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
