import ArgumentParser
import Foundation
import Logging
import TokendCore
import TokendStore

/// `tokend check-db`: the configured store's integrity — SQLite `PRAGMA integrity_check` and foreign keys;
/// PostgreSQL reachability, the schema version and the master key.
struct CheckDB: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-db", abstract: "Check the database's integrity (SQLite file or PostgreSQL database).")

    @OptionGroup var options: ConfigOption

    func run() async throws {
        let configuration = try ConfigFile.load(options.config)
        let database = configuration.daemon.database
        // Opening would create an empty database (and a key file): a check must not make what it checks.
        if case .sqlite(let path) = configuration.daemon.store, !FileManager.default.fileExists(atPath: path) {
            Self.fail("no database at \(path) (daemon.database)", status: ExitStatus.unavailable)
        }
        let store: any TokenStore
        do {
            let key = try MasterKey.load(configuration.daemon.key)
            var quiet = Logger(label: "tokend.store")
            quiet.logLevel = .critical
            store = try await StoreOpener.open(configuration, sealer: Sealer(masterKey: key), logger: quiet)
        } catch let error as MasterKey.LoadError {
            ConfigFile.failKey(options.config, configuration, error)
        } catch {
            Self.fail("cannot open database \(database): \(error)", status: ExitStatus.unavailable)
        }
        let problems: [String]
        let migrations: [String]
        do {
            problems = try await store.integrityCheck()
            migrations = try await store.appliedMigrations()
        } catch {
            await store.close()
            // Corruption found while reading pages surfaces as a store error rather than a check result.
            Self.fail("database \(database) is damaged: \(error)", status: 1)
        }
        await store.close()
        if problems.isEmpty {
            print("ok: \(database) (migrations: \(migrations.joined(separator: ", ")))")
        } else {
            for problem in problems { print("problem: \(problem)") }
            throw ExitCode(1)
        }
    }

    private static func fail(_ message: String, status: Int32) -> Never {
        FileHandle.standardError.write(Data("tokend: \(message)\n".utf8))
        Foundation.exit(status)
    }
}
