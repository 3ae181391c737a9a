import ArgumentParser
import Foundation
import Synchronization
import TokendClient

#if canImport(Glibc)
import Glibc
#endif

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
        // Streamed to the file (or stdout) as the daemon writes it: memory stays flat over any size of export.
        let temporary = output.map { $0 + ".partial" }
        let fd: Int32
        if let temporary {
            // Written beside and renamed: a failed export never leaves a half file under the final name.
            fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw CLIFailure(status: .daemonError, message: "cannot write \(temporary)") }
        } else {
            fd = STDOUT_FILENO
        }
        let sink = ExportSink(fd: fd)
        let session = global.session()
        let response: ControlResponse
        do {
            response = try await session.client.stream("GET", "/v1/audit/export", query: query) { sink.write($0) }
        } catch {
            if let temporary { close(fd); unlink(temporary) }
            throw CLIFailure(error)
        }
        if temporary != nil { close(fd) }
        if let error = response.apiError {
            if let temporary { unlink(temporary) }
            throw CLIFailure(error)
        }
        guard sink.failed == nil else {
            if let temporary { unlink(temporary) }
            throw CLIFailure(status: .daemonError, message: "cannot write the export: \(sink.failed!)")
        }
        guard let output, let temporary else { return }
        guard rename(temporary, output) == 0 else {
            unlink(temporary)
            throw CLIFailure(status: .daemonError, message: "cannot write \(output): \(String(cString: strerror(errno)))")
        }
        FileHandle.standardError.write(Data("exported \(sink.lines) lines to \(output)\n".utf8))
    }
}

/// Where `audit export` writes the daemon's chunks (on the client's event loop), counting lines.
final class ExportSink: Sendable {
    private let fd: Int32
    private let state = Mutex<(lines: Int, failed: String?)>((0, nil))

    init(fd: Int32) { self.fd = fd }

    var lines: Int { state.withLock { $0.lines } }
    var failed: String? { state.withLock { $0.failed } }

    func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                state.withLock { if $0.failed == nil { $0.failed = reason } }
                return
            }
            offset += written
        }
        let newlines = bytes.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        state.withLock { $0.lines += newlines }
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
