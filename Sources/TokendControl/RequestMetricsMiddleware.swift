import Hummingbird

/// Counts every answer by method, route template and status, and records its latency.
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = ControlContext
    let metrics: ControlMetrics

    func handle(
        _ request: Request, context: ControlContext,
        next: (Request, ControlContext) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let route = context.coreContext.endpointPath.value ?? "NotFound"
        metrics.recordRequest(
            method: request.method.rawValue, route: route, status: response.status.code,
            duration: ContinuousClock.now - start)
        return response
    }
}
