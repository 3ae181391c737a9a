import Foundation

/// One complete HTTP response from the control socket.
public struct ControlResponse: Sendable {
    /// The HTTP status code, e.g. 200, 201, 202, 404.
    public var status: Int
    /// The response headers in wire order (names as sent).
    public var headers: [(name: String, value: String)]
    /// The raw body bytes (the API's JSON, or `ok` for `/healthz`, or Prometheus text for `/metrics`).
    public var body: Data

    /// Creates a response value (mostly useful to tests).
    public init(status: Int, headers: [(name: String, value: String)] = [], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// `true` for a 2xx status.
    public var isSuccess: Bool { (200..<300).contains(status) }

    /// The first value of the header `name` (case-insensitive), or `nil`.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// The body as UTF-8 text (invalid sequences repaired).
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// Decodes the body as JSON into `type`.
    public func decode<T: Decodable>(_ type: T.Type, using decoder: JSONDecoder = JSONDecoder()) throws -> T {
        try decoder.decode(type, from: body)
    }

    /// For a non-2xx answer: the contract's error envelope
    /// `{"error": {"code", "message", "details"}}`, or a synthesized `http_<status>` error when the
    /// body is not that envelope. `nil` for a 2xx answer.
    public var apiError: ControlAPIError? {
        guard !isSuccess else { return nil }
        return ControlAPIError(status: status, body: body)
    }
}
