import Foundation
import TOMLKit
import TokendCore

/// Reads the TOML configuration file (control-api.md, "Configuration file") into a validated ``Configuration``.
///
/// The TOML tree is walked by hand, not decoded, so that every problem is reported as one ``ConfigError``
/// naming the file, the line (when it can be found) and the dotted key (`daemon.bogus`, `fogbugz[0].bogus`):
/// unknown keys, wrong types, bad durations, out-of-range numbers, missing required keys, duplicate account
/// names, unknown `api` values, secrets given two ways or not at all, unreadable `*_file`s and missing
/// `*_credential`s.
///
/// Defaults follow the contract: `daemon.database` is ``defaultDatabase``, `control.socket` is ``defaultSocket``
/// and, when neither `daemon.key_file` nor `daemon.key_credential` is set, the key file is ``defaultKeyFile``.
/// A Box `api = "oauth2"` account needs no `base_url` (it calls only `oauth_url`).
///
/// Relative paths in the file (`daemon.database`, `daemon.key_file`, `control.socket` and every `*_file`) are
/// resolved against the daemon's current working directory at load time, and the validated configuration
/// holds only absolute paths. `*_credential` names are looked up under `$CREDENTIALS_DIRECTORY` (systemd
/// `LoadCredential=`). Secrets read from files have surrounding whitespace (such as a final newline) removed.
public enum ConfigLoader {
    /// A check the loader itself cannot make (the provider layer's URL and credential rules); its problem is
    /// reported like any other config error, with the account key's dotted name and line.
    public typealias AccountCheck = (Configuration.Account) -> AccountProblem?

    /// Reads and validates the file at `path`.
    /// - Parameters:
    ///   - environment: supplies `CREDENTIALS_DIRECTORY`; the process environment by default.
    ///   - checkAccount: run on every account after it is read (e.g. `ProviderClients.validate`).
    public static func load(
        path: String, environment: [String: String] = ProcessInfo.processInfo.environment,
        checkAccount: AccountCheck = { _ in nil }
    ) throws(ConfigError) -> Configuration {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigError(
                file: path, line: nil, key: nil,
                message: "cannot read configuration file: \((error as NSError).localizedDescription)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, line: nil, key: nil, message: "configuration file is not UTF-8 text")
        }
        return try parse(text: text, path: path, environment: environment, checkAccount: checkAccount)
    }

    /// Validates `text` as the contents of the file `path` (used in messages only).
    /// - Parameters:
    ///   - environment: supplies `CREDENTIALS_DIRECTORY`; the process environment by default.
    ///   - checkAccount: run on every account after it is read (e.g. `ProviderClients.validate`).
    public static func parse(
        text: String, path: String, environment: [String: String] = ProcessInfo.processInfo.environment,
        checkAccount: AccountCheck = { _ in nil }
    ) throws(ConfigError) -> Configuration {
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError(
                file: path, line: error.source.begin.line, key: nil, message: "TOML syntax error: \(error.description)")
        } catch {
            throw ConfigError(file: path, line: nil, key: nil, message: "TOML syntax error: \(error)")
        }
        let context = LoadContext(
            file: path, locator: SourceLocator(text: text), environment: environment,
            workingDirectory: FileManager.default.currentDirectoryPath)
        let reader = TableReader(table: root, path: .root, context: context)
        try reader.rejectUnknownKeys(allowed: Keys.root)

        let daemon = try parseDaemon(section("daemon", of: root, context: context))
        let control = try parseControl(section("control", of: root, context: context))
        let schedule = try parseSchedule(section("schedule", of: root, context: context))
        var accounts: [Configuration.Account] = []
        var names: [String: String] = [:]
        for provider in ProviderKind.allCases {
            for entry in try arrayTables(provider.rawValue, of: root, context: context) {
                let account = try parseAccount(entry, provider: provider, schedule: schedule)
                if let problem = checkAccount(account) { throw accountError(problem, in: entry) }
                let here = entry.path.dotted("name")
                if let first = names[account.name] {
                    throw entry.error(
                        "duplicate account name '\(account.name)' in '\(here)' (already used by '\(first)')",
                        key: "name")
                }
                names[account.name] = here
                accounts.append(account)
            }
        }
        return Configuration(
            daemon: daemon, control: control, schedule: schedule, accounts: accounts,
            bulk: try parseBulk(section("bulk", of: root, context: context)),
            limits: try parseLimits(section("limits", of: root, context: context)),
            audit: try parseAudit(section("audit", of: root, context: context)))
    }

    /// The `[name]` table (an empty one when absent).
    private static func section(_ name: String, of root: TOMLTable, context: LoadContext) throws(ConfigError)
        -> TableReader
    {
        let path = ConfigPath(section: name, index: nil)
        guard let value = root[name] else { return TableReader(table: TOMLTable(), path: path, context: context) }
        guard let table = value.table else {
            throw context.error("'\(name)' must be a table ([\(name)])", key: name, in: .root)
        }
        return TableReader(table: table, path: path, context: context)
    }

    /// The `[[name]]` entries, in file order.
    private static func arrayTables(_ name: String, of root: TOMLTable, context: LoadContext) throws(ConfigError)
        -> [TableReader]
    {
        guard let value = root[name] else { return [] }
        guard let array = value.array else {
            throw context.error("'\(name)' must be an array of tables ([[\(name)]])", key: name, in: .root)
        }
        var readers: [TableReader] = []
        for (index, element) in array.enumerated() {
            let path = ConfigPath(section: name, index: index)
            guard let table = element.table else {
                throw context.error("'\(path.name)' must be a table", key: nil, in: path)
            }
            readers.append(TableReader(table: table, path: path, context: context))
        }
        return readers
    }
}
