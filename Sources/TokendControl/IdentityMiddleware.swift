import Hummingbird

/// Authenticates every request: kernel credentials → ``Caller`` with a role. A uid with no role gets 403 on
/// every path except `/healthz`.
struct IdentityMiddleware: RouterMiddleware {
    typealias Context = ControlContext
    let resolver: any PeerResolver
    let settings: ControlSettings

    func handle(
        _ request: Request, context: ControlContext,
        next: (Request, ControlContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        if let peer = await resolver.credentials(for: request, context: context) {
            context.caller = settings.snapshot.roles.caller(for: peer)
        }
        if request.uri.path == "/healthz" { return try await next(request, context) }
        guard let caller = context.caller else {
            throw APIError.forbidden("the caller's credentials could not be determined")
        }
        guard caller.role != nil else {
            throw APIError.forbidden("uid \(caller.uid) is not allowed to use the control API")
        }
        return try await next(request, context)
    }
}
