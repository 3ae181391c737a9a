/// Shortens and cleans provider-supplied text before it goes into an outcome detail (audit rows, logs).
enum DetailText {
    static let maxLength = 120

    /// Collapses whitespace and control characters, trims, and caps the length.
    static func clean(_ text: String) -> String {
        var out = ""
        var lastWasSpace = true
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F || scalar == " " {
                if !lastWasSpace { out.unicodeScalars.append(" ") }
                lastWasSpace = true
            } else {
                out.unicodeScalars.append(scalar)
                lastWasSpace = false
            }
            if out.unicodeScalars.count >= maxLength {
                out += "…"
                break
            }
        }
        while out.hasSuffix(" ") { out.removeLast() }
        return out
    }
}
