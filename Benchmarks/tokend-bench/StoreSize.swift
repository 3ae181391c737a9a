import Foundation

/// What a SQLite store occupies per token: the file, and each table and index by SQLite's `dbstat` (read with
/// the `sqlite3` CLI, read-only), so that every index's cost is visible next to the target of 400 B per token.
enum StoreSize {
    static func report(database: String, tokens: Int) throws {
        let bytes = (try FileManager.default.attributesOfItem(atPath: database)[.size] as? NSNumber)?.doubleValue ?? 0
        line("database size, \(tokens) tokens", "\(f(bytes / 1_048_576, 0)) MB file, \(f(bytes / Double(tokens), 0)) B per token (target ≤ 400)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [
            "-readonly", database,
            "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 14",
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            line("  per table and index", "unavailable (sqlite3 CLI without dbstat)")
            return
        }
        for row in output.split(separator: "\n") {
            let parts = row.split(separator: "|")
            guard parts.count == 2, let size = Double(parts[1]) else { continue }
            line("  \(parts[0])", "\(f(size / Double(tokens), 0)) B per token")
        }
    }
}
