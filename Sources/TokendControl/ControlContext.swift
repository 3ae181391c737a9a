import Hummingbird
import NIOCore

/// The request context of the control API: the connection's channel (for `SO_PEERCRED`) and, once the
/// identity middleware has run, the authenticated caller.
public struct ControlContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection the request arrived on.
    public let channel: any Channel
    /// Set by the identity middleware; every handler behind it can rely on it.
    public var caller: Caller?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
        caller = nil
    }

    /// The caller, or 403 when the request got here without one.
    func requireCaller() throws -> Caller {
        guard let caller, caller.role != nil else { throw APIError.forbidden("caller is not allowed") }
        return caller
    }
}
