/// Timeouts against slow or idle clients.
public struct ControlTimeouts: Sendable, Hashable {
    /// From a request's first byte until its head and body have been read (slow-loris); the connection is
    /// closed when it passes.
    public var requestRead: Duration
    /// A keep-alive connection with no request in progress is closed after this (Hummingbird's idle timeout).
    public var idle: Duration

    public init(requestRead: Duration = .seconds(10), idle: Duration = .seconds(60)) {
        self.requestRead = requestRead
        self.idle = idle
    }
}
