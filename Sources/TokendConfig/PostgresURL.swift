import Foundation
import TokendCore

/// Parses `daemon.database` when it is a `postgresql://` (or `postgres://`) URL in libpq's URI form:
/// `postgresql://USER@HOST:PORT/DB?sslmode=…` or `postgresql://USER@/DB?host=/socket/dir`. A password in the
/// URL is refused: it would end up in the config file, in `check-config` output and in process listings.
enum PostgresURL {
    static func isURL(_ text: String) -> Bool {
        text.hasPrefix("postgresql://") || text.hasPrefix("postgres://")
    }

    /// Returns the location, or a message (naming no secret) saying what is wrong.
    static func parse(_ text: String, defaultUser: String) -> Result<PostgresLocation, Problem> {
        guard let components = URLComponents(string: text) else {
            return .failure(Problem("is not a valid URL"))
        }
        if components.password != nil || components.percentEncodedUser?.contains(":") == true {
            return .failure(
                Problem("must not contain a password; use 'daemon.database_password_file' or the credential 'database-password'"))
        }
        if components.fragment != nil { return .failure(Problem("must not have a '#' fragment")) }
        var port = 5432
        if let given = components.port {
            guard (1...65_535).contains(given) else { return .failure(Problem("port \(given) is out of range (1-65535)")) }
            port = given
        } else if Self.hasEmptyOrBadPort(text) {
            return .failure(Problem("has a port that is not a number from 1 to 65535"))
        }
        let user = components.user.flatMap { $0.isEmpty ? nil : $0 } ?? defaultUser
        var host: String? = components.host.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding ?? $0 }
        var socketDirectory: String?
        if let candidate = host, candidate.hasPrefix("/") {
            socketDirectory = candidate
            host = nil
        }
        var path = components.path
        if path.hasPrefix("/") { path.removeFirst() }
        guard !path.contains("/") else { return .failure(Problem("database name '\(path)' must not contain '/'")) }
        var database = path.isEmpty ? user : path
        var sslMode = PostgresLocation.SSLMode.prefer
        var applicationName: String?
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "sslmode":
                guard let mode = PostgresLocation.SSLMode(rawValue: value) else {
                    let known = PostgresLocation.SSLMode.allCases.map(\.rawValue).joined(separator: ", ")
                    return .failure(Problem("unknown sslmode '\(value)' (one of: \(known))"))
                }
                sslMode = mode
            case "host":
                if value.hasPrefix("/") {
                    socketDirectory = value
                    host = nil
                } else if !value.isEmpty {
                    host = value
                    socketDirectory = nil
                }
            case "port":
                guard let number = Int(value), (1...65_535).contains(number) else {
                    return .failure(Problem("port '\(value)' is not a number from 1 to 65535"))
                }
                port = number
            case "dbname":
                guard !value.isEmpty else { return .failure(Problem("dbname is empty")) }
                database = value
            case "user":
                guard !value.isEmpty else { return .failure(Problem("user is empty")) }
                if path.isEmpty { database = value }
            case "application_name":
                applicationName = value
            case "password":
                return .failure(
                    Problem("must not contain a password; use 'daemon.database_password_file' or the credential 'database-password'"))
            default:
                return .failure(
                    Problem("unknown parameter '\(item.name)' (known: sslmode, host, port, dbname, user, application_name)"))
            }
        }
        if let userItem = components.queryItems?.first(where: { $0.name == "user" })?.value {
            return .success(
                PostgresLocation(
                    user: userItem, host: host, socketDirectory: socketDirectory, port: port, database: database,
                    sslMode: sslMode, applicationName: applicationName))
        }
        if host == nil && socketDirectory == nil { socketDirectory = "/var/run/postgresql" }
        if socketDirectory != nil && components.queryItems?.contains(where: { $0.name == "sslmode" }) != true {
            sslMode = .disable
        }
        return .success(
            PostgresLocation(
                user: user, host: host, socketDirectory: socketDirectory, port: port, database: database,
                sslMode: sslMode, applicationName: applicationName))
    }

    /// `host:` with nothing or a non-number after the colon (URLComponents drops such ports silently or fails).
    private static func hasEmptyOrBadPort(_ text: String) -> Bool {
        guard let schemeEnd = text.range(of: "://") else { return false }
        let rest = text[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        let hostPort = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? ""
        guard !hostPort.hasPrefix("["), let colon = hostPort.lastIndex(of: ":") else { return false }
        return Int(hostPort[hostPort.index(after: colon)...]) == nil
    }

    struct Problem: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }
}

extension ConfigLoader {
    /// A `postgresql://` URL as `daemon.database` reads it (for `tokend verify-audit --database URL`); the
    /// error message says what is wrong. Nil when `text` is not a PostgreSQL URL at all.
    public static func postgresLocation(_ text: String) -> Result<PostgresLocation, ConfigError>? {
        guard PostgresURL.isURL(text) else { return nil }
        switch PostgresURL.parse(text, defaultUser: "tokend") {
        case .success(let location): return .success(location)
        case .failure(let problem): return .failure(ConfigError(file: "--database", line: nil, key: nil, message: problem.message))
        }
    }
}
