/// One HTTP header line, kept in order and with its original spelling.
public struct HeaderField: Sendable, Hashable {
    /// The header name as sent or received.
    public var name: String
    /// The header value.
    public var value: String

    /// Creates a header field.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

extension Array where Element == HeaderField {
    /// The first value of the header called `name` (ASCII case-insensitive), if present.
    public func first(named name: String) -> String? {
        let wanted = name.lowercased()
        return first { $0.name.lowercased() == wanted }?.value
    }
}
