import Foundation
import TokendCore

extension ConfigLoader {
    /// `daemon.database` when the file does not set it (the contract's example value).
    public static let defaultDatabase = "/var/lib/tokend/tokend.sqlite3"
    /// `daemon.key_file` when neither `key_file` nor `key_credential` is set (the contract's example value).
    public static let defaultKeyFile = "/var/lib/tokend/master.key"
    /// `control.socket` when the file does not set it (the contract's default under systemd).
    public static let defaultSocket = "/run/tokend/control.sock"

    static func parseDaemon(_ reader: TableReader) throws(ConfigError) -> Configuration.Daemon {
        try reader.rejectUnknownKeys(allowed: Keys.daemon)
        let given = try reader.nonEmptyString("database") ?? defaultDatabase
        let store = try parseStore(given, reader)
        let database = store.description
        var lease = Duration.seconds(30)
        if let value = try reader.duration("lease") {
            guard value >= .seconds(1), value <= .seconds(3_600) else {
                throw reader.error("'daemon.lease' must be between 1s and 1h", key: "lease")
            }
            lease = value
        }
        let file = try reader.nonEmptyString("key_file")
        let credential = try reader.nonEmptyString("key_credential")
        let key: Configuration.KeySource
        switch (file, credential) {
        case (let file?, nil):
            key = .file(reader.context.resolve(file))
        case (nil, let name?):
            key = .credential(
                name: name, path: try SecretSource.credentialPath(name, key: "key_credential", in: reader))
        case (.some, .some):
            let second =
                (reader.context.locator.line(of: "key_file", in: reader.path) ?? 0)
                    > (reader.context.locator.line(of: "key_credential", in: reader.path) ?? 0)
                ? "key_file" : "key_credential"
            throw reader.error(
                "'daemon.key_file' and 'daemon.key_credential' are mutually exclusive; set only one", key: second)
        case (nil, nil):
            key = .file(defaultKeyFile)
        }
        return Configuration.Daemon(database: database, key: key, store: store, lease: lease)
    }

    /// `daemon.database`: a path (SQLite) or a `postgresql://` URL, whose password comes only from
    /// `daemon.database_password_file` or the credential `database-password`.
    static func parseStore(_ given: String, _ reader: TableReader) throws(ConfigError) -> StoreLocation {
        let passwordFile = try reader.nonEmptyString("database_password_file")
        guard PostgresURL.isURL(given) else {
            if passwordFile != nil {
                throw reader.error(
                    "'daemon.database_password_file' is only for a postgresql:// 'daemon.database'",
                    key: "database_password_file")
            }
            return .sqlite(path: reader.context.resolve(given))
        }
        var location: PostgresLocation
        switch PostgresURL.parse(given, defaultUser: "tokend") {
        case .success(let parsed): location = parsed
        case .failure(let problem):
            throw reader.error("'daemon.database' (a PostgreSQL URL) \(problem.message)", key: "database")
        }
        if let passwordFile {
            location.password = try SecretSource.password(file: reader.context.resolve(passwordFile), key: "database_password_file", in: reader)
        } else if let directory = reader.context.environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty {
            let path = (directory.hasSuffix("/") ? directory : directory + "/") + "database-password"
            if FileManager.default.fileExists(atPath: path) {
                location.password = try SecretSource.password(file: path, key: "database", in: reader)
            }
        }
        return .postgres(location)
    }

    static func parseControl(_ reader: TableReader) throws(ConfigError) -> Configuration.Control {
        try reader.rejectUnknownKeys(allowed: Keys.control)
        var control = Configuration.Control(
            socket: reader.context.resolve(try reader.nonEmptyString("socket") ?? defaultSocket))
        if let mode = try reader.string("mode") {
            control.mode = try parseMode(mode, reader: reader)
        }
        if let operators = try reader.stringArray("operators") { control.operators = operators }
        if let admins = try reader.stringArray("admins") { control.admins = admins }
        if let allow = try reader.stringArray("allow") { control.allow = allow }
        return control
    }

    /// `"0660"`: three or four octal digits, at most `0777`.
    private static func parseMode(_ text: String, reader: TableReader) throws(ConfigError) -> UInt16 {
        let digits = text.hasPrefix("0o") ? String(text.dropFirst(2)) : text
        guard (3...4).contains(digits.count), digits.allSatisfy({ ("0"..."7").contains($0) }),
            let mode = UInt16(digits, radix: 8), mode <= 0o777
        else {
            throw reader.error(
                "'control.mode' must be an octal permission string such as \"0660\" (got \"\(text)\")", key: "mode")
        }
        return mode
    }

    static func parseSchedule(_ reader: TableReader) throws(ConfigError) -> Configuration.Schedule {
        try reader.rejectUnknownKeys(allowed: Keys.schedule)
        var schedule = Configuration.Schedule()
        if let value = try reader.duration("default_ttl") { schedule.defaultTTL = value }
        if let value = try reader.duration("max_ttl") { schedule.maxTTL = value }
        if let value = try reader.duration("sweep_interval") { schedule.sweepInterval = value }
        if let value = try reader.duration("revoke_before_expiry", allowZero: true) {
            schedule.revokeBeforeExpiry = value
        }
        if let value = try reader.duration("retry_base") { schedule.retryBase = value }
        if let value = try reader.duration("retry_max_delay") { schedule.retryMaxDelay = value }
        if let value = try reader.int("max_attempts", in: 1...100) { schedule.maxAttempts = value }
        if let value = try reader.duration("failed_retry_interval") { schedule.failedRetryInterval = value }
        if let value = try reader.int("breaker_due_threshold", in: 1...Int.max) { schedule.breakerDueThreshold = value }
        if let value = try reader.duration("breaker_clock_jump") { schedule.breakerClockJump = value }
        if let value = try reader.int("claim_batch", in: 1...100_000) { schedule.claimBatch = value }
        if schedule.defaultTTL > schedule.maxTTL {
            throw reader.error(
                "'schedule.default_ttl' (\(DurationFormat.format(schedule.defaultTTL))) exceeds 'schedule.max_ttl' "
                    + "(\(DurationFormat.format(schedule.maxTTL)))",
                key: reader.has("default_ttl") ? "default_ttl" : "max_ttl")
        }
        if schedule.retryBase > schedule.retryMaxDelay {
            throw reader.error(
                "'schedule.retry_base' (\(DurationFormat.format(schedule.retryBase))) exceeds "
                    + "'schedule.retry_max_delay' (\(DurationFormat.format(schedule.retryMaxDelay)))",
                key: reader.has("retry_base") ? "retry_base" : "retry_max_delay")
        }
        return schedule
    }

    static func parseBulk(_ reader: TableReader) throws(ConfigError) -> Configuration.Bulk {
        try reader.rejectUnknownKeys(allowed: Keys.bulk)
        var bulk = Configuration.Bulk()
        if let value = try reader.int("confirm_above", in: 0...Int.max) { bulk.confirmAbove = value }
        return bulk
    }

    static func parseLimits(_ reader: TableReader) throws(ConfigError) -> Configuration.Limits {
        try reader.rejectUnknownKeys(allowed: Keys.limits)
        var limits = Configuration.Limits()
        if let value = try reader.int("max_body_bytes", in: 1_024...1_073_741_824) { limits.maxBodyBytes = value }
        if let value = try reader.int("max_live_per_owner", in: 1...Int.max) { limits.maxLivePerOwner = value }
        if let value = try reader.int("max_live_per_account", in: 1...Int.max) { limits.maxLivePerAccount = value }
        if let value = try reader.int("max_connections", in: 1...65_536) { limits.maxConnections = value }
        return limits
    }

    static func parseAudit(_ reader: TableReader) throws(ConfigError) -> Configuration.Audit {
        try reader.rejectUnknownKeys(allowed: Keys.audit)
        var audit = Configuration.Audit(retain: try reader.duration("retain"))
        if let interval = try reader.duration("checkpoint_interval") {
            guard interval >= .seconds(1), interval <= .seconds(7 * 86_400) else {
                throw reader.error("'audit.checkpoint_interval' must be between 1s and 7d", key: "checkpoint_interval")
            }
            audit.checkpointInterval = interval
        }
        if let file = try reader.nonEmptyString("signing_key_file") {
            audit.signingKey = .file(reader.context.resolve(file))
        } else if let directory = reader.context.environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty,
            FileManager.default.fileExists(atPath: directory + "/audit-signing-key")
        {
            // systemd LoadCredential=audit-signing-key:… wins over the default file, as database-password does.
            audit.signingKey = .credential(name: "audit-signing-key", path: directory + "/audit-signing-key")
        }
        audit.syslog = try reader.bool("syslog") ?? false
        return audit
    }
}
