/// Lets global options stand before the verb: `tokenctl --json --socket S list` becomes
/// `tokenctl list --json --socket S`, since every verb declares the global options itself.
public enum ArgumentNormalizer {
    /// Global flags without a value.
    public static let globalFlags: Set<String> = ["--json"]
    /// Global options that take a value (`--socket PATH` or `--socket=PATH`).
    public static let globalOptions: Set<String> = ["--socket"]

    /// Rewrites `arguments` (without the program name). Global options found before the first
    /// non-option word (the verb) are moved right after it. When no verb follows them (e.g.
    /// `tokenctl --json --help`), they are dropped so the root command's own options still parse;
    /// `help` keeps its arguments unchanged after the globals are dropped.
    public static func normalize(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var index = 0
        scan: while index < arguments.count {
            let word = arguments[index]
            if globalFlags.contains(word) {
                leading.append(word)
                index += 1
            } else if globalOptions.contains(word) {
                leading.append(word)
                if index + 1 < arguments.count {
                    leading.append(arguments[index + 1])
                    index += 2
                } else {
                    // A dangling `--socket`: leave everything as typed so the parser reports it.
                    return arguments
                }
            } else if globalOptions.contains(where: { word.hasPrefix($0 + "=") }) {
                leading.append(word)
                index += 1
            } else {
                break scan
            }
        }
        guard !leading.isEmpty else { return arguments }
        guard index < arguments.count else { return arguments }  // only globals: let the parser complain
        let verb = arguments[index]
        let rest = arguments[(index + 1)...]
        if verb.hasPrefix("-") || verb == "help" {
            return Array(arguments[index...])
        }
        return [verb] + leading + rest
    }
}
