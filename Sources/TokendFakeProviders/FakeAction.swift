/// What the handler does with one request (decided by ``FakeProviderState``).
enum FakeAction: Sendable {
    case respond(status: Int, headers: [FakeHeader], body: [UInt8])
    case hang
    case stallMidBody
    case resetMidBody

    static func text(_ status: Int, _ contentType: String, _ body: String, extra: [FakeHeader] = []) -> FakeAction {
        .respond(status: status, headers: [FakeHeader(name: "Content-Type", value: contentType)] + extra, body: Array(body.utf8))
    }
}
