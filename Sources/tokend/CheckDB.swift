import ArgumentParser
import Foundation
import TokendStore

/// `tokend check-db`: `PRAGMA integrity_check` and foreign keys on the configured database.
struct CheckDB: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-db", abstract: "Check the database file's integrity (PRAGMA integrity_check).")

    @OptionGroup var options: ConfigOption

    func run() throws {
        let configuration = try ConfigFile.load(options.config)
        let store: TokenStore
        do {
            let key = try MasterKey.load(configuration.daemon.key)
            store = try TokenStore(path: configuration.daemon.database, sealer: Sealer(masterKey: key))
        } catch {
            FileHandle.standardError.write(Data("tokend: \(error)\n".utf8))
            throw ExitCode(ExitStatus.unavailable)
        }
        let problems = try store.integrityCheck()
        let migrations = try store.appliedMigrations()
        if problems.isEmpty {
            print("ok: \(configuration.daemon.database) (migrations: \(migrations.joined(separator: ", ")))")
        } else {
            for problem in problems { print("problem: \(problem)") }
            throw ExitCode(1)
        }
    }
}
