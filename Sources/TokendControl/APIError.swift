import Foundation
import HTTPTypes
import Hummingbird
import TokendCore
import TokendStore

/// A contract error: status, stable snake_case code, human message and a details object.
///
/// Serialized as `{"error": {"code", "message", "details"}}` with `Content-Type: application/json`.
public struct APIError: Error, Sendable, HTTPResponseError, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var details: [JSON.Member]
    /// Extra response headers (e.g. `Allow` on 405).
    public var headers: HTTPFields

    public init(
        _ status: HTTPResponse.Status, code: String, _ message: String, details: [JSON.Member] = [],
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    /// The error body.
    public var body: JSON {
        .object(["error": .object(["code": .string(code), "message": .string(message), "details": .object(details)])])
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        jsonResponse()
    }

    /// The error body as sent: serialized JSON ending in a newline (also written by handlers below the router).
    var bodyBytes: [UInt8] {
        var bytes = body.bytes
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    /// The error as a JSON response.
    public func jsonResponse() -> Response {
        var response = JSONResponse.make(status, bytes: bodyBytes)
        response.headers.append(contentsOf: headers)
        return response
    }

    static func badRequest(_ message: String, field: String? = nil) -> APIError {
        APIError(.badRequest, code: "bad_request", message, details: field.map { [JSON.Member("field", .string($0))] } ?? [])
    }

    static func notFound(_ message: String) -> APIError { APIError(.notFound, code: "not_found", message) }

    static func forbidden(_ message: String) -> APIError { APIError(.forbidden, code: "forbidden", message) }

    static func payloadTooLarge(limit: Int) -> APIError {
        APIError(
            .contentTooLarge, code: "payload_too_large", "request body is larger than \(limit) bytes",
            details: [JSON.Member("limit", .int(limit))])
    }

    static func tokenNotFound(_ id: String) -> APIError { .notFound("no token with id '\(id)'") }

    /// Maps a store failure to its contract status.
    static func from(_ error: StoreError) -> APIError {
        switch error {
        case .notFound(let id): return .tokenNotFound(id)
        case .conflict(let id, let state, let message):
            return APIError(
                .conflict, code: "conflict", message,
                details: [JSON.Member("id", .string(id)), JSON.Member("state", .string(state.rawValue))])
        case .tooMany(let scope, let key, let limit):
            return APIError(
                .tooManyRequests, code: "too_many", error.description,
                details: [
                    JSON.Member("scope", .string(scope)), JSON.Member("key", .string(key)),
                    JSON.Member("limit", .int(limit)),
                ])
        case .unavailable(let why):
            return APIError(.serviceUnavailable, code: "unavailable", "database unavailable: \(why)")
        case .internalError:
            return APIError(.internalServerError, code: "internal", "internal error")
        }
    }
}

/// Builds JSON responses.
enum JSONResponse {
    static func make(_ status: HTTPResponse.Status, _ body: JSON) -> Response {
        var bytes = body.bytes
        bytes.append(UInt8(ascii: "\n"))
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// A response whose JSON body is already serialized (ending in a newline).
    static func make(_ status: HTTPResponse.Status, bytes: [UInt8]) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
