import Foundation

/// An error answer of the daemon, decoded from the contract's envelope
/// `{"error": {"code": "<stable_snake_case>", "message": "<human sentence>", "details": {...}}}`.
public struct ControlAPIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status of the answer.
    public var status: Int
    /// The stable snake_case code, e.g. `not_found`, `conflict`, `confirmation_required`.
    /// `http_<status>` when the body was not the contract's envelope.
    public var code: String
    /// The human sentence from the daemon.
    public var message: String
    /// `details`, when present, as a JSON value.
    public var details: JSONValue?

    /// Creates an error value directly.
    public init(status: Int, code: String, message: String, details: JSONValue? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
    }

    /// Decodes the envelope from a response body; falls back to `http_<status>` with the body text
    /// (or the status' reason phrase) as the message when the body is not the envelope.
    public init(status: Int, body: Data) {
        if let value = try? JSONDecoder().decode(JSONValue.self, from: body),
            let error = value["error"],
            let code = error["code"]?.stringValue
        {
            self.init(
                status: status, code: code,
                message: error["message"]?.stringValue ?? "HTTP \(status)",
                details: error["details"])
            return
        }
        let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        self.init(status: status, code: "http_\(status)", message: text.isEmpty ? "HTTP \(status)" : text)
    }

    /// The way tokenctl prints it: `<message> (<code>)`.
    public var description: String { "\(message) (\(code))" }
}
