import ArgumentParser
import TokendClient

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Read audit events, newest first (operator).")

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Only events of this token.", valueName: "id")) var token: String?
    @Option(help: "Only this action (registered, revoked, attempt, …).") var action: String?
    @Option(help: ArgumentHelp("Events at or after this time (RFC 3339).", valueName: "time")) var since: String?
    @Option(help: ArgumentHelp("Events before this time (RFC 3339).", valueName: "time")) var until: String?
    @Option(name: .customLong("actor-uid"), help: ArgumentHelp("Only events by this uid.", valueName: "uid"))
    var actorUID: Int?
    @Option(help: "Page size.") var limit: Int?
    @Option(help: "Continue from this cursor (from a previous page's next_cursor).") var cursor: String?
    @Flag(help: "Follow next_cursor until the last page.") var all = false

    func run() async throws {
        var query: [(String, String)] = []
        if let token { query.append(("token_id", token)) }
        if let action { query.append(("action", action)) }
        if let since { query.append(("since", since)) }
        if let until { query.append(("until", until)) }
        if let actorUID { query.append(("actor_uid", String(actorUID))) }
        if let limit { query.append(("limit", String(limit))) }
        try await Paging.run(
            session: global.session(), path: "/v1/audit", query: query, cursor: cursor, all: all,
            itemsKey: "events", header: RecordFormatter.auditTableHeader, row: RecordFormatter.auditRow)
    }
}
