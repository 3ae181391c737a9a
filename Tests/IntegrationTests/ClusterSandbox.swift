import Foundation
import Testing
import TokendFakeProviders

/// N daemons sharing one fresh database on the test PostgreSQL cluster (`scripts/test` starts it and exports
/// `TOKEND_TEST_POSTGRES_SOCKET_DIR`) and one master key.
struct ClusterSandbox {
    let instances: [DaemonSandbox]
    let database: String
    let socketDirectory: String
    let keyFile: String

    var url: String { "postgresql://tokend@/\(database)?host=\(socketDirectory)" }

    struct NoCluster: Error, CustomStringConvertible {
        var description: String {
            "TOKEND_TEST_POSTGRES_SOCKET_DIR is not set: run the tests through scripts/test, which starts PostgreSQL"
        }
    }

    /// Whether the suite runs: with a test cluster, or in CI (`TOKEND_REQUIRE_POSTGRES=1`), where its absence
    /// is a failure (``make(instances:)`` throws) rather than a skip.
    static var enabled: Bool {
        let env = ProcessInfo.processInfo.environment
        return env["TOKEND_TEST_POSTGRES_SOCKET_DIR"] != nil || env["TOKEND_REQUIRE_POSTGRES"] == "1"
    }

    static func make(instances count: Int) throws -> ClusterSandbox {
        guard let dir = ProcessInfo.processInfo.environment["TOKEND_TEST_POSTGRES_SOCKET_DIR"] else { throw NoCluster() }
        let name = "c_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let created = try run("/usr/bin/psql", ["-h", dir, "-U", "tokend", "-d", "postgres", "-Atc", "CREATE DATABASE \(name)"])
        guard created.status == 0 else { throw PSQLFailure(output: created.output) }
        let instances = try (0..<count).map { _ in try DaemonSandbox() }
        return ClusterSandbox(
            instances: instances, database: String(name), socketDirectory: dir,
            keyFile: instances[0].root.appendingPathComponent("shared.key").path)
    }

    /// Writes each instance's config: same database and key, its own socket.
    func writeConfigs(fake: FakeProviderServer, lease: String = "3s", rate: Int = 1000, fbConcurrency: Int = 8,
                      schedule: String = "") throws {
        for sandbox in instances {
            try sandbox.writeConfig(
                fake: fake, schedule: schedule, fbConcurrency: fbConcurrency, rate: rate, database: url,
                keyFile: keyFile, daemon: "lease = \"\(lease)\"")
        }
    }

    /// One psql query's rows, `|`-separated.
    func query(_ sql: String) throws -> [String] {
        let result = try run("/usr/bin/psql", ["-h", socketDirectory, "-U", "tokend", "-d", database, "-Atc", sql])
        guard result.status == 0 else { throw PSQLFailure(output: result.output) }
        return result.output.split(separator: "\n").map(String.init)
    }

    func scalar(_ sql: String) throws -> Int { Int(try query(sql).first ?? "") ?? -1 }

    func remove() {
        for sandbox in instances { sandbox.remove() }
        _ = try? run("/usr/bin/psql", ["-h", socketDirectory, "-U", "tokend", "-d", "postgres", "-Atc",
                                       "DROP DATABASE IF EXISTS \(database) WITH (FORCE)"])
    }

    struct PSQLFailure: Error, CustomStringConvertible {
        var output: String
        var description: String { "psql failed: \(output)" }
    }

    /// The exactly-one-terminal-event and custody checks every cluster test ends with.
    func expectExactlyOneTerminalEach(expectedTokens: Int) throws {
        let terminal = "('revoked','already_revoked','failed','forgotten')"
        #expect(try scalar("SELECT count(*) FROM tokens") == expectedTokens)
        #expect(try scalar("SELECT count(*) FROM tokens WHERE state NOT IN \(terminal)") == 0)
        #expect(try scalar("""
            SELECT count(*) FROM (SELECT token_id, episode FROM audit WHERE action IN \(terminal)
            GROUP BY token_id, episode HAVING count(*) <> 1) x
            """) == 0)
        #expect(try scalar("""
            SELECT count(*) FROM tokens t WHERE NOT EXISTS (SELECT 1 FROM audit a WHERE a.token_id = t.id
            AND a.episode = t.episode AND a.action IN \(terminal))
            """) == 0)
        #expect(try scalar("""
            SELECT count(*) FROM tokens t JOIN audit a ON a.token_id = t.id AND a.episode = t.episode
            AND a.action IN \(terminal) WHERE a.action <> t.state
            """) == 0)
    }
}

/// Registers `count` FogBugz tokens (account `fb`) issued at `fake`, in batches of 1,000; returns the raw tokens.
func registerDue(_ count: Int, prefix: String, ttl: Int = 1, on daemon: DaemonProcess, fake: FakeProviderServer)
    async throws -> [String]
{
    var raws: [String] = []
    for chunk in stride(from: 0, to: count, by: 1_000) {
        var items: [String] = []
        for index in chunk..<min(chunk + 1_000, count) {
            let raw = "\(prefix)-\(index)-\(UUID().uuidString)"
            raws.append(raw)
            items.append(#"{"provider":"fogbugz","account":"fb","token":"\#(raw)","ttl_seconds":\#(ttl)}"#)
        }
        fake.issue(contentsOf: raws[chunk...])
        let response = try await daemon.client.request(
            "POST", "/v1/tokens:batch", json: Data(#"{"tokens":[\#(items.joined(separator: ","))]}"#.utf8))
        #expect(response.status == 200, "batch \(chunk / 1_000): \(response.text.prefix(300))")
    }
    return raws
}

/// `active + revoking` as a daemon's status reports it (nil when it cannot answer).
func liveCount(_ daemon: DaemonProcess) async -> Int? {
    guard let response = try? await daemon.client.request("GET", "/v1/status"), response.status == 200 else { return nil }
    let counts = response.object["counts"] as? [String: Any] ?? [:]
    let byState = counts["by_state"] as? [String: Int] ?? [:]
    return (byState["active"] ?? 0) + (byState["revoking"] ?? 0)
}
