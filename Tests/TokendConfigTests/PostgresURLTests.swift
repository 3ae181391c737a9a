import Foundation
import Testing
import TokendCore

@testable import TokendConfig

/// `daemon.database` as a `postgresql://` URL: the libpq forms that work, and the bad ones, each a config
/// error naming the key and never echoing a password.
@Suite struct PostgresURLTests {
    typealias F = ConfigFixtures

    static func config(_ database: String, extra: String = "") -> String {
        """
        [daemon]
        database = "\(database)"
        key_file = "/var/lib/tokend/master.key"
        \(extra)
        [control]
        socket = "/run/tokend/control.sock"
        """
    }

    static func location(_ database: String, environment: [String: String] = [:]) throws -> PostgresLocation {
        let configuration = try F.parse(config(database), environment: environment)
        guard case .postgres(let location) = configuration.daemon.store else {
            Issue.record("not a PostgreSQL store")
            throw F.NotPostgres()
        }
        return location
    }

    @Test func tcpHostPortDatabaseAndSSLMode() throws {
        let location = try Self.location("postgresql://tokend@db1.example.com:6432/registry?sslmode=require")
        #expect(location.user == "tokend")
        #expect(location.host == "db1.example.com")
        #expect(location.socketDirectory == nil)
        #expect(location.port == 6432)
        #expect(location.database == "registry")
        #expect(location.sslMode == .require)
        #expect(location.description == "postgresql://tokend@db1.example.com:6432/registry?sslmode=require")
    }

    @Test func unixSocketDirectoryInTheQuery() throws {
        let location = try Self.location("postgresql://svc@/tokend?host=/var/run/postgresql")
        #expect(location.socketDirectory == "/var/run/postgresql")
        #expect(location.socketPath == "/var/run/postgresql/.s.PGSQL.5432")
        #expect(location.host == nil)
        #expect(location.user == "svc")
        #expect(location.database == "tokend")
    }

    @Test func percentEncodedSocketDirectoryAndPostgresScheme() throws {
        let location = try Self.location("postgres://svc@%2Ftmp%2Fpg/db")
        #expect(location.socketDirectory == "/tmp/pg")
        #expect(location.database == "db")
    }

    @Test func sqlitePathsStaySQLite() throws {
        let configuration = try F.parse(Self.config("/var/lib/tokend/tokend.sqlite3"))
        #expect(configuration.daemon.store == .sqlite(path: "/var/lib/tokend/tokend.sqlite3"))
        #expect(configuration.daemon.lease == .seconds(30))
    }

    @Test(arguments: [
        ("postgresql://tokend@db:0/x", "port 0 is out of range"),
        ("postgresql://tokend@db:70000/x", "out of range"),
        ("postgresql://tokend@db:abc/x", "'daemon.database'"),
        ("postgresql://tokend@db/x?sslmode=sometimes", "unknown sslmode 'sometimes'"),
        ("postgresql://tokend@db/x?pool=3", "unknown parameter 'pool'"),
        ("postgresql://tokend@db/x?port=http", "port 'http'"),
    ])
    func badURLsNameTheKey(url: String, fragment: String) {
        guard let error = F.error(Self.config(url)) else { return }
        #expect(error.key == "daemon.database")
        #expect(error.description.contains("'daemon.database'"))
        #expect(error.description.contains(fragment), "\(error.description)")
    }

    @Test(arguments: [
        "postgresql://tokend:hunter2secret@db/x", "postgresql://tokend@db/x?password=hunter2secret",
    ])
    func passwordInTheURLIsRefusedWithoutEchoingIt(url: String) {
        guard let error = F.error(Self.config(url)) else { return }
        #expect(error.key == "daemon.database")
        #expect(error.description.contains("must not contain a password"))
        #expect(!error.description.contains("hunter2secret"))
    }

    @Test func passwordFromFileAndFromCredential() throws {
        let dir = try F.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("pw")
        try "s3cret-from-file\n".write(to: file, atomically: true, encoding: .utf8)
        let configuration = try F.parse(
            Self.config("postgresql://tokend@db/x", extra: "database_password_file = \"\(file.path)\""))
        guard case .postgres(let location) = configuration.daemon.store else { throw F.NotPostgres() }
        #expect(location.password?.value == "s3cret-from-file")
        #expect(!describe(configuration).contains("s3cret"))

        try "from-credential".write(to: dir.appendingPathComponent("database-password"), atomically: true, encoding: .utf8)
        let viaCredential = try Self.location("postgresql://tokend@db/x", environment: ["CREDENTIALS_DIRECTORY": dir.path])
        #expect(viaCredential.password?.value == "from-credential")
    }

    @Test func passwordFileWithASQLitePathIsAnError() {
        guard let error = F.error(Self.config("/var/lib/tokend/t.sqlite3", extra: "database_password_file = \"/pw\"")) else {
            return
        }
        #expect(error.key == "daemon.database_password_file")
    }

    @Test func leaseBounds() {
        guard let error = F.error(Self.config("postgresql://tokend@db/x", extra: "lease = \"100ms\"")) else { return }
        #expect(error.key == "daemon.lease")
    }
}

extension ConfigFixtures {
    struct NotPostgres: Error {}
}
