/// Where the token registry lives: an SQLite file (the embedded default) or a PostgreSQL database shared by
/// any number of instances.
public enum StoreLocation: Sendable, Hashable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresLocation)

    /// For logs and status: the path, or the URL without any password.
    public var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let location): location.description
        }
    }
}

/// A PostgreSQL database as `daemon.database` names it (libpq URI form). The password never comes from the URL.
public struct PostgresLocation: Sendable, Hashable, CustomStringConvertible {
    /// `sslmode`, as libpq spells it.
    public enum SSLMode: String, Sendable, Hashable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var user: String
    /// TCP host; `nil` when connecting over a Unix socket.
    public var host: String?
    /// Directory holding the server's socket (`.s.PGSQL.<port>`), for `host=/dir` or a percent-encoded path.
    public var socketDirectory: String?
    public var port: Int
    public var database: String
    public var sslMode: SSLMode
    public var applicationName: String?
    /// From `daemon.database_password_file` or the credential `database-password`.
    public var password: Secret?

    public init(
        user: String, host: String?, socketDirectory: String?, port: Int = 5432, database: String,
        sslMode: SSLMode = .prefer, applicationName: String? = nil, password: Secret? = nil
    ) {
        self.user = user
        self.host = host
        self.socketDirectory = socketDirectory
        self.port = port
        self.database = database
        self.sslMode = sslMode
        self.applicationName = applicationName
        self.password = password
    }

    /// The socket file for a Unix-socket connection.
    public var socketPath: String? {
        socketDirectory.map { ($0.hasSuffix("/") ? String($0.dropLast()) : $0) + "/.s.PGSQL.\(port)" }
    }

    /// `postgresql://user@host:port/db?sslmode=…` (or `?host=/dir`), never with a password.
    public var description: String {
        if let socketDirectory {
            return "postgresql://\(user)@/\(database)?host=\(socketDirectory)"
                + (port == 5432 ? "" : "&port=\(port)")
        }
        return "postgresql://\(user)@\(host ?? "localhost"):\(port)/\(database)?sslmode=\(sslMode.rawValue)"
    }
}
