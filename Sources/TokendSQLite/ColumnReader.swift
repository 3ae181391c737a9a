import Foundation
import GRDB
import GRDBSQLite
import TokendStore

/// Reads the columns of one row by the storage class the schema declares, without trusting the file.
///
/// GRDB's non-optional subscripts `try!` their decode, so a TEXT in an INTEGER column traps on a copied row
/// (and reads as a silent 0 on a statement row). SQLite does not enforce column types, so a damaged or
/// hand-edited file can hold any value anywhere: here a value of the wrong class reads as nil and is noted in
/// ``problems``, for the caller to quarantine or skip the row.
struct ColumnReader {
    private enum Source {
        case row(Row)
        case statement(OpaquePointer)
    }
    private let source: Source
    /// One line per column that held a value of the wrong class.
    private(set) var problems: [String] = []

    init(_ row: Row) { source = .row(row) }

    /// Reads the current row of a stepped statement straight from the C API. GRDB's generic decode of each
    /// value instantiated `Optional` metadata per cell: 8 % of a 100-row listing's samples, 20 % with the rest
    /// of the per-value boxing.
    init(statement: OpaquePointer) { source = .statement(statement) }

    /// The integer at `index`; nil for NULL and, noted, for any other class.
    mutating func integer(_ index: Int, _ column: StaticString) -> Int64? {
        read(index, column, "an integer") { if case .int64(let value) = $0 { value } else { nil } }
    }

    /// The integer at `index` of a NOT NULL column: NULL or another class is noted and reads as 0.
    mutating func requiredInteger(_ index: Int, _ column: StaticString) -> Int64 {
        read(index, column, "an integer", required: true) { if case .int64(let value) = $0 { value } else { nil } } ?? 0
    }

    /// The text at `index`; nil for NULL and, noted, for any other class.
    mutating func text(_ index: Int, _ column: StaticString) -> String? {
        read(index, column, "text") { if case .string(let value) = $0 { value } else { nil } }
    }

    /// The text at `index` of a NOT NULL column: NULL or another class is noted and reads as "".
    mutating func requiredText(_ index: Int, _ column: StaticString) -> String {
        read(index, column, "text", required: true) { if case .string(let value) = $0 { value } else { nil } } ?? ""
    }

    /// The bytes at `index`; nil for NULL and, noted, for any other class.
    mutating func blob(_ index: Int, _ column: StaticString) -> Data? {
        read(index, column, "a blob") { if case .blob(let value) = $0 { value } else { nil } }
    }

    /// The fingerprint at `index`: kept as its 32-byte MAC (migration `v9-fingerprint-mac`), read as the
    /// record's `hmac-sha256:<hex>`; a text value (as written before v9) reads as it is.
    mutating func fingerprint(_ index: Int, _ column: StaticString) -> String {
        switch storage(index) {
        case .blob(let mac) where mac.count == 32: return Sealer.fingerprintText(mac: mac)
        case .string(let text): return text
        case .null: problems.append("\(column) is null")
        default: problems.append("\(column) is not a 32-byte MAC")
        }
        return ""
    }

    /// The text at `index` of a NOT NULL column as a `T`; noted when NULL, of another class or no known `T`.
    mutating func required<T: RawRepresentable>(_ type: T.Type, _ index: Int, _ column: StaticString) -> T?
    where T.RawValue == String {
        let before = problems.count
        let text = requiredText(index, column)
        if let value = T(rawValue: text) { return value }
        if problems.count == before { problems.append("unknown \(column) '\(text)'") }
        return nil
    }

    /// Notes a problem found in a value after reading it (labels that are not JSON).
    mutating func note(_ problem: String) { problems.append(problem) }

    private mutating func read<T>(
        _ index: Int, _ column: StaticString, _ kind: String, required: Bool = false,
        _ extract: (DatabaseValue.Storage) -> T?
    ) -> T? {
        let storage = self.storage(index)
        if let value = extract(storage) { return value }
        if case .null = storage {
            if required { problems.append("\(column) is null") }
        } else {
            problems.append("\(column) is not \(kind)")
        }
        return nil
    }

    private func storage(_ index: Int) -> DatabaseValue.Storage {
        switch source {
        case .row(let row):
            // Decoding a `DatabaseValue` accepts every storage class: it cannot throw for an index in range.
            return (try? row.decode(DatabaseValue.self, atIndex: index))?.storage ?? .null
        case .statement(let statement):
            let column = Int32(index)
            switch sqlite3_column_type(statement, column) {
            case SQLITE_NULL:
                return .null
            case SQLITE_INTEGER:
                return .int64(sqlite3_column_int64(statement, column))
            case SQLITE_FLOAT:
                return .double(sqlite3_column_double(statement, column))
            case SQLITE_TEXT:
                guard let bytes = sqlite3_column_text(statement, column) else { return .string("") }
                let count = Int(sqlite3_column_bytes(statement, column))
                return .string(String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self))
            default:
                let count = Int(sqlite3_column_bytes(statement, column))
                guard count > 0, let bytes = sqlite3_column_blob(statement, column) else { return .blob(Data()) }
                return .blob(Data(bytes: bytes, count: count))
            }
        }
    }
}
