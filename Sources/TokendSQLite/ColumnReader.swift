import Foundation
import GRDB

/// Reads the columns of one row by the storage class the schema declares, without trusting the file.
///
/// GRDB's non-optional subscripts `try!` their decode, so a TEXT in an INTEGER column traps on a copied row
/// (and reads as a silent 0 on a statement row). SQLite does not enforce column types, so a damaged or
/// hand-edited file can hold any value anywhere: here a value of the wrong class reads as nil and is noted in
/// ``problems``, for the caller to quarantine or skip the row.
struct ColumnReader {
    private let row: Row
    /// One line per column that held a value of the wrong class.
    private(set) var problems: [String] = []

    init(_ row: Row) { self.row = row }

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
        // Decoding a `DatabaseValue` accepts every storage class: it cannot throw for an index in range.
        let storage = (try? row.decode(DatabaseValue.self, atIndex: index))?.storage ?? .null
        if let value = extract(storage) { return value }
        if case .null = storage {
            if required { problems.append("\(column) is null") }
        } else {
            problems.append("\(column) is not \(kind)")
        }
        return nil
    }
}
