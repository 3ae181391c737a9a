/// The byte encoding the chain hashes and the checkpoint signatures cover (docs/audit.md, "Canonical
/// encoding"): each value is a one-byte tag and a fixed-layout body, so no two different rows encode alike.
///
/// - null: `0x00`
/// - integer: `0x01`, then 8 bytes, two's complement, big-endian
/// - text: `0x02`, then the UTF-8 byte length as 4 bytes big-endian, then the UTF-8 bytes
/// - bytes: `0x03`, then the length as 4 bytes big-endian, then the bytes
public struct CanonicalEncoder: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func reset() { bytes.removeAll(keepingCapacity: true) }

    public mutating func raw(_ value: some Sequence<UInt8>) { bytes.append(contentsOf: value) }

    public mutating func null() { bytes.append(0x00) }

    public mutating func integer(_ value: Int64?) {
        guard let value else { return null() }
        bytes.append(0x01)
        withUnsafeBytes(of: UInt64(bitPattern: value).bigEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func text(_ value: String?) {
        guard var text = value else { return null() }
        bytes.append(0x02)
        text.withUTF8 { utf8 in
            length(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    public mutating func data(_ value: [UInt8]?) {
        guard let value else { return null() }
        bytes.append(0x03)
        length(value.count)
        bytes.append(contentsOf: value)
    }

    private mutating func length(_ count: Int) {
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: count).bigEndian) { bytes.append(contentsOf: $0) }
    }
}
