import ArgumentParser
import TokendClient

struct RevokeBulk: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke-bulk",
        abstract: "Revoke every token matching a filter (operator).",
        discussion: """
            First run with --dry-run to see how many tokens match, then again with --confirm N \
            (N = that count). An empty filter is refused: to revoke everything say --state active.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "Only this owner.") var owner: String?
    @Option(help: "Only this provider.") var provider: String?
    @Option(help: "Only this account.") var account: String?
    @Option(name: .customLong("label"), help: ArgumentHelp("Only tokens with label k=v (repeatable, AND).", valueName: "k=v"))
    var labels: [String] = []
    @Option(help: "Only this state.") var state: String?
    @Option(name: .customLong("expires-before"), help: ArgumentHelp("Expiring before this time (RFC 3339).", valueName: "time"))
    var expiresBefore: String?
    @Option(name: .customLong("expires-after"), help: ArgumentHelp("Expiring after this time (RFC 3339).", valueName: "time"))
    var expiresAfter: String?
    @Option(name: .customLong("issued-before"), help: ArgumentHelp("Issued before this time (RFC 3339).", valueName: "time"))
    var issuedBefore: String?

    @Flag(name: .customLong("dry-run"), help: "Only count the matches and show a sample; change nothing.")
    var dryRun = false
    @Option(help: ArgumentHelp("Run it: N must equal the number of matches.", valueName: "N"))
    var confirm: Int?
    @Option(help: "Free-text reason, recorded in the audit trail.") var reason: String?
    @Flag(help: "Wait until the job is done, showing progress on a terminal.") var wait = false

    func validate() throws {
        if dryRun == (confirm != nil) { throw ValidationError("give exactly one of --dry-run or --confirm N") }
        if dryRun && wait { throw ValidationError("--wait makes no sense with --dry-run") }
        if let confirm, confirm < 0 { throw ValidationError("--confirm must not be negative") }
    }

    func run() async throws {
        var filter: [String: JSONValue] = [:]
        if let owner { filter["owner"] = .string(owner) }
        if let provider { filter["provider"] = .string(provider) }
        if let account { filter["account"] = .string(account) }
        if let state { filter["state"] = .string(state) }
        do {
            if !labels.isEmpty { filter["labels"] = .object(try LabelParser.map(labels).mapValues { .string($0) }) }
        } catch {
            throw CLIFailure(error)
        }
        if let expiresBefore { filter["expires_before"] = .string(expiresBefore) }
        if let expiresAfter { filter["expires_after"] = .string(expiresAfter) }
        if let issuedBefore { filter["issued_before"] = .string(issuedBefore) }

        var body: [String: JSONValue] = ["filter": .object(filter)]
        if dryRun { body["dry_run"] = .bool(true) }
        if let confirm { body["confirm"] = .integer(Int64(confirm)) }
        if let reason { body["reason"] = .string(reason) }

        let session = global.session()
        let response = try await session.call("POST", "/v1/revocations", body: body)
        if dryRun {
            try session.emit(response) { RecordFormatter.block($0, order: ["matched", "sample"]) }
            return
        }
        guard wait else {
            try session.emit(response) { RecordFormatter.block($0, order: RecordFormatter.jobFieldOrder) }
            return
        }
        guard let job = try session.parse(response)["id"]?.stringValue else {
            throw CLIFailure(status: .daemonError, message: "the daemon's answer has no job id")
        }
        try await JobWaiter.wait(for: job, session: session)
    }
}
