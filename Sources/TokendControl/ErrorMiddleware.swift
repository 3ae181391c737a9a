import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import TokendStore

/// Turns every failure into the contract's JSON error, including Hummingbird's own 404 for unknown paths
/// (and 405 with `Allow` for a known path with the wrong method). Nothing HTML or plain-text leaks out.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = ControlContext
    /// `(method, path template)` of every route, for 405 detection.
    let routes: [(method: HTTPRequest.Method, path: String)]

    func handle(
        _ request: Request, context: ControlContext,
        next: (Request, ControlContext) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return map(error, request: request, context: context).jsonResponse()
        }
    }

    func map(_ error: any Error, request: Request, context: ControlContext) -> APIError {
        switch error {
        case let error as APIError: return error
        case let error as StoreError:
            if case .internalError(let why) = error {
                context.logger.error("store error", metadata: ["error": "\(why)", "path": "\(request.uri.path)"])
            }
            return APIError.from(error)
        case let error as HTTPError:
            return mapHTTP(error, request: request)
        case is NIOTooManyBytesError:
            // A body collected elsewhere than ``ControlAPI/readJSON`` that outgrew its limit: still the client's fault.
            return APIError(.contentTooLarge, code: "payload_too_large", "request body is too large")
        default:
            context.logger.error("unhandled error", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return APIError(.internalServerError, code: "internal", "internal error")
        }
    }

    private func mapHTTP(_ error: HTTPError, request: Request) -> APIError {
        switch error.status {
        case .notFound:
            let allowed = routes.filter { Self.matches(template: $0.path, path: request.uri.path) }.map(\.method)
            if !allowed.isEmpty {
                var headers = HTTPFields()
                headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
                return APIError(
                    .methodNotAllowed, code: "method_not_allowed",
                    "\(request.method.rawValue) is not supported on \(request.uri.path)",
                    details: [JSON.Member("allow", .array(allowed.map { .string($0.rawValue) }))], headers: headers)
            }
            return APIError.notFound("no such resource: \(request.method.rawValue) \(request.uri.path)")
        case .contentTooLarge:
            return APIError(.contentTooLarge, code: "payload_too_large", "request body is too large")
        case .badRequest:
            return APIError.badRequest(error.body ?? "malformed request")
        default:
            let code = error.status.code
            if (400..<500).contains(code) {
                return APIError(error.status, code: "bad_request", error.body ?? error.status.reasonPhrase)
            }
            return APIError(.internalServerError, code: "internal", "internal error")
        }
    }

    /// Whether `path` fits `template` (`{name}` matches one non-empty component).
    static func matches(template: String, path: String) -> Bool {
        let t = template.split(separator: "/", omittingEmptySubsequences: false)
        let p = path.split(separator: "/", omittingEmptySubsequences: false)
        guard t.count == p.count else { return false }
        return zip(t, p).allSatisfy { pattern, component in
            pattern.hasPrefix("{") ? !component.isEmpty : pattern == component
        }
    }
}
