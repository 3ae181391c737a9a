import Foundation
import Testing
import TokendControl

@Suite struct OpenAPITests {
    /// `(METHOD, path)` pairs under `paths:` in openapi.yaml: two-space-indented `/…:` keys and their
    /// four-space-indented method keys.
    static func documentedRoutes() throws -> Set<String> {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        var routes = Set<String>()
        var inPaths = false
        var current: String?
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" {
                inPaths = true
                continue
            }
            guard inPaths else { continue }
            if !line.isEmpty, !line.hasPrefix(" ") { break }
            if line.hasPrefix("  /"), !line.hasPrefix("   "), line.hasSuffix(":") {
                current = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":"), let path = current {
                let method = String(line.dropFirst(4).dropLast())
                if methods.contains(method) { routes.insert("\(method.uppercased()) \(path)") }
            }
        }
        return routes
    }

    @Test func everyServedRouteIsDocumentedAndViceVersa() async throws {
        let harness = try Harness()
        let served = Set(harness.api.endpoints.map { "\($0.method.rawValue) \($0.path)" })
        let documented = try Self.documentedRoutes()
        #expect(served.count == 24)
        #expect(served.subtracting(documented).isEmpty, "undocumented: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "not served: \(documented.subtracting(served).sorted())")
    }

    @Test func everyDocumentedRouteAnswersSomethingOtherThanRouting404() async throws {
        let harness = try Harness()
        try await harness.test { client in
            for route in try Self.documentedRoutes().sorted() {
                let parts = route.split(separator: " ", maxSplits: 1)
                let path = String(parts[1]).replacingOccurrences(of: "{id}", with: "tok_00000000000000000000000000")
                    .replacingOccurrences(of: "{job}", with: "job_00000000000000000000000000")
                let answer = try await client.call(.init(String(parts[0]))!, path, uid: 0)
                #expect(answer.status != .methodNotAllowed, "\(route)")
                if answer.status == .notFound {
                    let message = answer.json?["error"]?["message"]?.stringValue ?? ""
                    #expect(!message.hasPrefix("no such resource"), "\(route)")
                }
                #expect(answer.status.code < 500, "\(route): \(answer.text)")
            }
        }
    }
}
