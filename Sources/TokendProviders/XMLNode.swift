/// One element of a document read by ``TolerantXML``.
///
/// Names are kept without their namespace prefix (`ns1:status` → `status`); text is the concatenation of the
/// element's own character data and CDATA sections, entity-decoded but not trimmed.
public struct XMLNode: Sendable, Hashable {
    /// The local name (prefix removed).
    public var name: String
    /// Attributes by local name, in document order.
    public var attributes: [HeaderField]
    /// Child elements, in document order.
    public var children: [XMLNode]
    /// The element's own text (children's text excluded).
    public var text: String

    /// Creates a node.
    public init(name: String, attributes: [HeaderField] = [], children: [XMLNode] = [], text: String = "") {
        self.name = name
        self.attributes = attributes
        self.children = children
        self.text = text
    }

    /// The element's text with leading and trailing whitespace removed.
    public var trimmedText: String { TolerantXML.trim(text) }

    /// The first direct child whose local name equals `name` (ASCII case-insensitive).
    public func child(_ name: String) -> XMLNode? {
        let wanted = name.lowercased()
        return children.first { $0.name.lowercased() == wanted }
    }

    /// The first element in document order, this one included, whose local name equals `name`
    /// (ASCII case-insensitive).
    public func descendant(_ name: String) -> XMLNode? {
        let wanted = name.lowercased()
        var stack: [XMLNode] = [self]
        while let node = stack.popLast() {
            if node.name.lowercased() == wanted { return node }
            stack.append(contentsOf: node.children.reversed())
        }
        return nil
    }

    /// The value of attribute `name` (local name, ASCII case-insensitive).
    public func attribute(_ name: String) -> String? {
        attributes.first(named: name)
    }
}
