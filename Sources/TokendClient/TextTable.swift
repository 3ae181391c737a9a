/// Renders aligned plain-text tables for people (`tokenctl list`, `tokenctl audit`).
public enum TextTable {
    /// Columns left-aligned, two spaces apart, no trailing spaces; one line per row, each ending in `\n`.
    /// Rows shorter than the header are padded with empty cells.
    public static func render(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows.map { row in
            row.count >= header.count ? row : row + Array(repeating: "", count: header.count - row.count)
        }
        let columns = all.map(\.count).max() ?? 0
        var widths = Array(repeating: 0, count: columns)
        for row in all {
            for (column, cell) in row.enumerated() {
                widths[column] = max(widths[column], cell.count)
            }
        }
        var out = ""
        for row in all {
            var line = ""
            for (column, cell) in row.enumerated() {
                if column > 0 { line += "  " }
                line += cell
                if column < row.count - 1 {
                    line += String(repeating: " ", count: widths[column] - cell.count)
                }
            }
            while line.last == " " { line.removeLast() }
            out += line + "\n"
        }
        return out
    }
}
