import ArgumentParser
import TokendClient

struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List tokens (ordered by expiry), with filters and paging.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "Only this provider.") var provider: String?
    @Option(help: "Only this account.") var account: String?
    @Option(help: "Only this owner.") var owner: String?
    @Option(help: "Only this state (active, revoking, revoked, already_revoked, failed, forgotten).")
    var state: String?
    @Option(name: .customLong("label"), help: ArgumentHelp("Only tokens with label k:v (repeatable, AND).", valueName: "k:v"))
    var labels: [String] = []
    @Option(name: .customLong("expires-before"), help: ArgumentHelp("Expiring before this time (RFC 3339).", valueName: "time"))
    var expiresBefore: String?
    @Option(name: .customLong("expires-after"), help: ArgumentHelp("Expiring after this time (RFC 3339).", valueName: "time"))
    var expiresAfter: String?
    @Option(help: "Page size (1…1000; daemon default 100).") var limit: Int?
    @Option(help: "Continue from this cursor (from a previous page's next_cursor).") var cursor: String?
    @Flag(help: "Follow next_cursor until the last page.") var all = false

    func run() async throws {
        var query: [(String, String)] = []
        if let provider { query.append(("provider", provider)) }
        if let account { query.append(("account", account)) }
        if let owner { query.append(("owner", owner)) }
        if let state { query.append(("state", state)) }
        do {
            for label in labels { query.append(("label", try LabelParser.listFilter(label))) }
        } catch {
            throw CLIFailure(error)
        }
        if let expiresBefore { query.append(("expires_before", expiresBefore)) }
        if let expiresAfter { query.append(("expires_after", expiresAfter)) }
        if let limit { query.append(("limit", String(limit))) }
        let session = global.session()
        try await Paging.run(
            session: session, path: "/v1/tokens", query: query, cursor: cursor, all: all, itemsKey: "tokens",
            header: RecordFormatter.tokenTableHeader, row: RecordFormatter.tokenRow)
    }
}
