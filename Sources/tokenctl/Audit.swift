import ArgumentParser
import TokendClient

import Foundation

/// `tokenctl audit [list] …`, `audit export`, `audit checkpoint`.
struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read, export and checkpoint the audit log (operator).",
        subcommands: [AuditList.self, AuditExport.self, AuditCheckpoint.self], defaultSubcommand: AuditList.self)
}

struct AuditList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Read audit events, newest first (operator).")

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

/// `tokenctl audit export`: the JSON Lines of `GET /v1/audit/export` (events with hashes, the checkpoints that
/// cover them, an end line), for `tokend verify-audit --export` or a SIEM.
struct AuditExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export audit events with their hashes and checkpoints (JSON Lines).")

    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("From the first event at or after this time (RFC 3339).", valueName: "time"))
    var since: String?
    @Option(help: ArgumentHelp("Up to the last event at or before this time (RFC 3339).", valueName: "time"))
    var until: String?
    @Option(help: ArgumentHelp("Write to this file instead of stdout.", valueName: "file")) var output: String?
    @Option(help: "Only JSON Lines exist; accepted for the contract's spelling.") var format: String = "jsonl"

    func validate() throws {
        guard format == "jsonl" else { throw ValidationError("--format: only 'jsonl' is supported") }
    }

    func run() async throws {
        var query: [(String, String)] = []
        if let since { query.append(("since", since)) }
        if let until { query.append(("until", until)) }
        let response = try await global.session().call("GET", "/v1/audit/export", query: query)
        guard let output else {
            Console.outRaw(response.body)
            return
        }
        // Written beside and renamed: a failed export never leaves a half file under the final name.
        let temporary = output + ".partial"
        guard FileManager.default.createFile(atPath: temporary, contents: response.body, attributes: [.posixPermissions: 0o600]) else {
            throw CLIFailure(status: .daemonError, message: "cannot write \(temporary)")
        }
        if FileManager.default.fileExists(atPath: output) { try? FileManager.default.removeItem(atPath: output) }
        do {
            try FileManager.default.moveItem(atPath: temporary, toPath: output)
        } catch {
            throw CLIFailure(status: .daemonError, message: "cannot write \(output): \(error.localizedDescription)")
        }
        let lines = response.body.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        FileHandle.standardError.write(Data("exported \(lines) lines to \(output)\n".utf8))
    }
}

/// `tokenctl audit checkpoint`: signs the audit chain head now.
struct AuditCheckpoint: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint", abstract: "Sign the audit chain head now (operator).")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let session = global.session()
        let response = try await session.call("POST", "/v1/audit/checkpoints")
        try session.emit(response) { value in RecordFormatter.block(value) }
    }
}
