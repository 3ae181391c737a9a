import Foundation
import TokendClient

/// One tokenctl invocation's connection to the daemon and its output mode.
struct Session {
    let client: ControlClient
    let json: Bool

    init(socketPath: String, json: Bool) {
        client = ControlClient(socketPath: socketPath)
        self.json = json
    }

    /// Sends a request; any transport failure or non-2xx answer becomes a ``CLIFailure``.
    func call(
        _ method: String, _ path: String, query: [(String, String)] = [], body: [String: JSONValue]? = nil
    ) async throws -> ControlResponse {
        let data: Data?
        if let body {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            data = try encoder.encode(JSONValue.object(body))
        } else {
            data = nil
        }
        let response: ControlResponse
        do {
            response = try await client.request(method, path, query: query, json: data)
        } catch {
            throw CLIFailure(error)
        }
        if let error = response.apiError { throw CLIFailure(error) }
        return response
    }

    /// The answer's body as JSON, or a daemon error when it is not JSON.
    func parse(_ response: ControlResponse) throws -> JSONValue {
        do {
            return try JSONValue.parse(response.body)
        } catch {
            throw CLIFailure(status: .daemonError, message: "the daemon's answer is not JSON")
        }
    }

    /// Prints the answer: the raw JSON with `--json`, else `human(parsed)`; warnings go to stderr.
    func emit(_ response: ControlResponse, human: (JSONValue) -> String) throws {
        if json {
            Console.outRaw(response.body)
            return
        }
        let value = try parse(response)
        Console.out(human(value))
        printWarnings(value)
    }

    /// `tokenctl: warning: <message> (<code>)` for each entry of a `warnings` array.
    func printWarnings(_ value: JSONValue) {
        for warning in value["warnings"]?.arrayValue ?? [] {
            Console.err("tokenctl: warning: \(RecordFormatter.warningText(warning))\n")
        }
    }

    /// The path `/v1/tokens/{id}` plus an optional suffix, with the id escaped.
    static func tokenPath(_ id: String, _ suffix: String = "") -> String {
        "/v1/tokens/\(QueryEncoding.escape(id))\(suffix)"
    }

    /// A token record as an aligned block.
    static func recordBlock(_ record: JSONValue) -> String {
        RecordFormatter.block(record, order: RecordFormatter.tokenFieldOrder, omit: ["warnings"])
    }
}
