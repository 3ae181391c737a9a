/// Where a value lives in the file: a `[section]` or the n-th `[[section]]`, spelled as in error messages.
struct ConfigPath: Sendable, Hashable {
    /// The table name (`daemon`, `fogbugz`); `nil` for the document root.
    var section: String?
    /// The array-of-tables index (`fogbugz[0]`), if the section is one.
    var index: Int?

    static let root = ConfigPath(section: nil, index: nil)

    /// `daemon`, `fogbugz[0]`, or empty for the root.
    var name: String {
        guard let section else { return "" }
        return index.map { "\(section)[\($0)]" } ?? section
    }

    /// The dotted spelling of `key` inside this table: `daemon.bogus`, `fogbugz[0].bogus`.
    func dotted(_ key: String) -> String {
        name.isEmpty ? key : "\(name).\(key)"
    }
}
