import ArgumentParser
import Crypto
import Foundation
import TokendAudit
import TokendConfig
import TokendCore
import TokendPostgres
import TokendSQLite
import TokendStore
#if canImport(Glibc)
import Glibc
#endif

/// `tokend verify-audit`: walks the audit hash chain and its signed checkpoints, read-only and offline, and
/// exits 0 only when they are intact (1 tampered, 2 usage).
struct VerifyAudit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-audit",
        abstract: "Verify the audit log's hash chain and signed checkpoints (or an export of them).")

    @Option(name: .long, help: "Configuration file (TOML): the database and signing key it names.")
    var config: String?
    @Option(name: .long, help: "SQLite file or postgresql:// URL, instead of the configuration's.")
    var database: String?
    @Option(name: .customLong("public-key"), help: "The public key `tokend audit-public-key` printed.")
    var publicKey: String?
    @Option(name: .long, help: "Verify this export (tokenctl audit export) instead of a database.")
    var export: String?
    @Option(name: .long, help: "Start at this audit id (its prev_hash is taken as given).")
    var from: Int64?
    @Flag(name: .long, help: "Treat rows after the last checkpoint as a failure, not a warning.")
    var strict = false

    func validate() throws {
        if export != nil && (database != nil || from != nil) {
            throw ValidationError("--export verifies a file: it takes neither --database nor --from")
        }
        if config != nil && database != nil { throw ValidationError("give --config or --database, not both") }
        if let from, from < 1 { throw ValidationError("--from must be a positive audit id") }
    }

    func run() async throws {
        var configuration: Configuration?
        if let config {
            configuration = try ConfigFile.load(config)
        } else if database == nil && export == nil {
            configuration = try ConfigFile.load("/etc/tokend/tokend.toml")
        }
        let key = Self.publicKey(file: publicKey, configuration: configuration)
        var verifier: ChainVerifier
        let started = ContinuousClock.now
        if let export {
            guard let data = FileManager.default.contents(atPath: export) else { Self.usage("cannot read export \(export)") }
            let parsed: (rows: [ChainRow], checkpoints: [Checkpoint])
            do {
                parsed = try ExportFormat.parse(data)
            } catch {
                Self.tampered("export \(export) is damaged: \(error)")
            }
            verifier = ChainVerifier(checkpoints: parsed.checkpoints, publicKey: key, trustFirstRow: true)
            for row in parsed.rows { verifier.consume(row) }
        } else {
            let source = Self.source(database: database, configuration: configuration)
            do {
                let checkpoints = try await source.auditCheckpoints()
                verifier = ChainVerifier(checkpoints: checkpoints, publicKey: key, trustFirstRow: from != nil)
                let progress = Progress(enabled: isatty(STDERR_FILENO) == 1)
                _ = try await source.walk(after: (from ?? 1) - 1, into: &verifier) { walked in
                    progress.show(walked, since: started)
                }
                progress.done()
            } catch {
                Self.fail("cannot read the audit: \(error)", status: ExitStatus.unavailable)
            }
            (source as? PostgresAuditReader)?.close()
        }
        let report = verifier.finish(strict: strict)
        let seconds = Double((ContinuousClock.now - started).components.attoseconds) / 1e18
            + Double((ContinuousClock.now - started).components.seconds)
        let rate = seconds > 0 ? Int(Double(report.rowsChecked + report.beforeChain) / seconds) : 0
        for warning in report.warnings { print("warning: \(warning)") }
        var summary = "\(report.rowsChecked) chained rows"
        if report.beforeChain > 0 { summary += ", \(report.beforeChain) rows before the chain (not verifiable)" }
        summary += ", \(report.checkpointsValid)/\(report.checkpoints) checkpoints valid, \(rate) rows/s"
        if report.intact {
            print("intact: \(summary)")
            return
        }
        for problem in report.problems { print("tampered: \(problem)") }
        if report.problemCount > report.problems.count {
            print("tampered: … and \(report.problemCount - report.problems.count) more problems")
        }
        print("NOT intact: \(report.problemCount) problems; first: \(report.problems.first?.description ?? "?") (\(summary))")
        throw ExitCode(1)
    }

    static func source(database: String?, configuration: Configuration?) -> any AuditChainSource {
        let location: StoreLocation
        if let database {
            switch ConfigLoader.postgresLocation(database) {
            case .success(let postgres)?: location = .postgres(postgres)
            case .failure(let error)?: usage("bad --database URL: \(error.message)")
            case nil: location = .sqlite(path: database)
            }
        } else if let configuration {
            location = configuration.daemon.store
        } else {
            usage("give --config or --database")
        }
        switch location {
        case .sqlite(let path):
            do {
                return try SQLiteAuditReader(path: path)
            } catch {
                fail("cannot open \(path): \(error)", status: ExitStatus.unavailable)
            }
        case .postgres(let postgres):
            return PostgresAuditReader(location: postgres)
        }
    }

    /// The key from `--public-key`, else derived from the configuration's signing key (never created here).
    static func publicKey(file: String?, configuration: Configuration?) -> Curve25519.Signing.PublicKey {
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else { usage("cannot read public key file \(file)") }
            guard let key = CheckpointSigner.publicKey(parsing: data) else {
                usage("\(file) is not an Ed25519 public key (expected 64 hex digits, as `tokend audit-public-key` prints)")
            }
            return key
        }
        guard let configuration else { usage("give --public-key (or --config, whose signing key is used)") }
        do {
            return try AuditPublicKey.signer(configuration, create: false).publicKey
        } catch {
            usage("no public key: \(error); give --public-key")
        }
    }

    static func usage(_ message: String) -> Never { fail(message, status: 2) }

    static func tampered(_ message: String) -> Never {
        print("NOT intact: \(message)")
        Foundation.exit(1)
    }

    static func fail(_ message: String, status: Int32) -> Never {
        FileHandle.standardError.write(Data("tokend verify-audit: \(message)\n".utf8))
        Foundation.exit(status)
    }
}

/// A one-line progress report on stderr, redrawn in place, only on a terminal.
private struct Progress {
    let enabled: Bool

    func show(_ rows: Int, since start: ContinuousClock.Instant) {
        guard enabled, rows % 100_000 < 20_000 else { return }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0 ? Int(Double(rows) / seconds) : 0
        FileHandle.standardError.write(Data("\r\u{1b}[Kverifying: \(rows) rows, \(rate) rows/s".utf8))
    }

    func done() {
        if enabled { FileHandle.standardError.write(Data("\r\u{1b}[K".utf8)) }
    }
}
