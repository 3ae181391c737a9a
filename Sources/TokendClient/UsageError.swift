/// A mistake in what the user typed (bad duration, bad label, conflicting flags); tokenctl exits 2.
public struct UsageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong, as one sentence.
    public var message: String

    /// Creates a usage error.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}
