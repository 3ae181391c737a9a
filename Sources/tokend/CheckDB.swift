import ArgumentParser
import Foundation
import TokendSQLite
import TokendStore

/// `tokend check-db`: `PRAGMA integrity_check` and foreign keys on the configured database.
struct CheckDB: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-db", abstract: "Check the database file's integrity (PRAGMA integrity_check).")

    @OptionGroup var options: ConfigOption

    func run() throws {
        let configuration = try ConfigFile.load(options.config)
        let database = configuration.daemon.database
        // Opening would create an empty database (and a key file): a check must not make what it checks.
        guard FileManager.default.fileExists(atPath: database) else {
            Self.fail("no database at \(database) (daemon.database)", status: ExitStatus.unavailable)
        }
        let store: SQLiteTokenStore
        do {
            let key = try MasterKey.load(configuration.daemon.key)
            store = try SQLiteTokenStore(path: database, sealer: Sealer(masterKey: key))
        } catch let error as MasterKey.LoadError {
            ConfigFile.failKey(options.config, configuration, error)
        } catch {
            Self.fail("cannot open database \(database): \(error)", status: ExitStatus.unavailable)
        }
        let problems: [String]
        let migrations: [String]
        do {
            problems = try store.integrityCheck()
            migrations = try store.appliedMigrations()
        } catch {
            // Corruption found while reading pages surfaces as an SQLite error rather than a check result.
            Self.fail("database \(database) is damaged: \(error)", status: 1)
        }
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
