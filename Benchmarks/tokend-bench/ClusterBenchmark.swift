import Crypto
import Foundation
import Logging
import PostgresNIO
import TokendClient
import TokendFakeProviders
import TokendPostgres
import TokendStore

/// Issue 14's side-by-side: end-to-end revocations/s of the real daemon on SQLite, on PostgreSQL with one
/// instance and with three, against a fake provider that answers after 50 ms, each account at `concurrency =
/// 16` per instance; then registrations and list-by-owner over the socket on PostgreSQL at a large store.
/// Needs a PostgreSQL cluster: `BENCH_POSTGRES_SOCKET_DIR` (e.g. `scripts/pg-cluster start /tmp/pgbench`).
enum ClusterBenchmark {
    static let concurrency = 16

    static func run(count: Int, apiTokens: Int, binary: String) async throws {
        guard let socketDir = ProcessInfo.processInfo.environment["BENCH_POSTGRES_SOCKET_DIR"] else {
            throw BenchError("set BENCH_POSTGRES_SOCKET_DIR to a PostgreSQL socket directory (scripts/pg-cluster start DIR)")
        }
        let fake = try await FakeProviderServer.start(FakeProviderOptions(recordCalls: false))
        fake.setDelay(.milliseconds(50))
        let key = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        line("fake provider latency", "50 ms per call; per-instance concurrency \(concurrency) → \(concurrency * 20) calls/s per instance at most")

        var rates: [String: Double] = [:]
        for (label, instances, postgres) in [("SQLite, 1 instance", 1, false), ("PostgreSQL, 1 instance", 1, true),
                                             ("PostgreSQL, 3 instances", 3, true)] {
            let database = postgres ? try createDatabase(socketDir) : nil
            let sandboxes = try (0..<instances).map { try DaemonBenchmark.Sandbox("cluster-\($0)") }
            defer { for sandbox in sandboxes { Scratch.remove(sandbox.root) } }
            for sandbox in sandboxes {
                let url = database.map { "postgresql://tokend@/\($0)?host=\(socketDir)" }
                try configure(sandbox, fake: fake, database: url, key: key)
            }
            var daemons: [DaemonBenchmark.Daemon] = []
            for sandbox in sandboxes { daemons.append(try await DaemonBenchmark.Daemon(sandbox, binary: binary)) }
            let client = ControlClient(socketPath: sandboxes[0].socket, requestTimeout: .seconds(120))
            let raws = (0..<count).map { "cl-\(label.hashValue)-\($0)" }
            fake.issue(contentsOf: raws)
            for chunk in stride(from: 0, to: count, by: 1_000) {
                let items = raws[chunk..<min(chunk + 1_000, count)].map {
                    #"{"provider":"fogbugz","account":"fb","token":"\#($0)","ttl_seconds":86400}"#
                }
                let response = try await client.request(
                    "POST", "/v1/tokens:batch", json: Data(#"{"tokens":[\#(items.joined(separator: ","))]}"#.utf8))
                guard response.status == 200 else { throw BenchError("batch registration: \(response.status) \(response.text)") }
            }
            let started = ContinuousClock.now
            let body = #"{"filter":{"state":"active"},"confirm":\#(count)}"#
            let accepted = try await client.request("POST", "/v1/revocations", json: Data(body.utf8))
            guard accepted.status == 202, let id = (try? JSONValue.parse(accepted.body))?["id"]?.stringValue else {
                throw BenchError("bulk job: \(accepted.status) \(accepted.text)")
            }
            while true {
                try await Task.sleep(for: .milliseconds(100))
                let job = try JSONValue.parse(try await client.request("GET", "/v1/revocations/\(id)").body)
                if job["state"]?.stringValue == "done" { break }
            }
            let seconds = (ContinuousClock.now - started).seconds
            rates[label] = Double(count) / seconds
            line("end-to-end, \(label)", "\(count) revocations in \(f(seconds, 1)) s: \(f(Double(count) / seconds, 0))/s (ceiling \(instances * concurrency * 20)/s)")
            if instances > 1 { try await startLatency(sandboxes, fake: fake, label: "PG ×\(instances)") }
            await client.close()
            for daemon in daemons { daemon.stop() }
            if let database { try? dropDatabase(socketDir, database) }
        }
        if let one = rates["PostgreSQL, 1 instance"], let three = rates["PostgreSQL, 3 instances"] {
            line("PostgreSQL 3 instances ÷ 1 instance", "\(f(three / one, 2))×  (SQLite ÷ PostgreSQL 1: \(f((rates["SQLite, 1 instance"] ?? 0) / one, 2)))")
        }
        fake.setDelay(nil)

        // Registrations and list by owner on PostgreSQL at `apiTokens` tokens.
        let database = try createDatabase(socketDir)
        defer { try? dropDatabase(socketDir, database) }
        let sandbox = try DaemonBenchmark.Sandbox("cluster-api")
        defer { Scratch.remove(sandbox.root) }
        let url = "postgresql://tokend@/\(database)?host=\(socketDir)"
        try configure(sandbox, fake: fake, database: url, key: key)
        let populated = ContinuousClock.now
        let store = try await PostgresTokenStore(
            configuration: PostgresClient.Configuration(
                unixSocketPath: socketDir + "/.s.PGSQL.5432", username: "tokend", password: nil, database: database),
            description: database, sealer: Sealer(masterKey: SymmetricKey(data: key)))
        let far = Date().addingTimeInterval(30 * 86_400)
        var index = 0
        while index < apiTokens {
            let end = min(index + 5_000, apiTokens)
            let batch = (index..<end).map { i in
                NewToken(
                    provider: .fogbugz, account: "fb", owner: "owner-\(i % 10_000)", labels: [:], token: "pg-\(i)",
                    expiresAt: far.addingTimeInterval(Double(i % 86_400)), registeredByUID: 1000)
            }
            _ = try await store.registerBatch(batch, actor: .system("bench"))
            index = end
        }
        await store.close()
        line("PostgreSQL store populated directly", "\(apiTokens) tokens in \(f((ContinuousClock.now - populated).seconds)) s")
        let daemon = try await DaemonBenchmark.Daemon(sandbox, binary: binary)
        try await apiFigures(daemon, socket: sandbox.socket, seconds: 8, owners: 10_000, tokens: "\(apiTokens)+ on PostgreSQL")
        daemon.stop()
        try await fake.shutdown()
    }

    /// How long an on-demand revoke accepted by one instance waits before some instance's provider call reaches
    /// the fake (the wake-up across instances: NOTIFY, then a claim), the instances otherwise idle. Each revoke
    /// goes to the next instance in turn; the time runs from sending the request to the fake seeing the call.
    static func startLatency(_ sandboxes: [DaemonBenchmark.Sandbox], fake: FakeProviderServer, label: String) async throws {
        let samples = 200
        let clients = sandboxes.map { ControlClient(socketPath: $0.socket, requestTimeout: .seconds(30)) }
        let raws = (0..<samples).map { "start-\(label.hashValue)-\($0)" }
        fake.issue(contentsOf: raws)
        let items = raws.map { #"{"provider":"fogbugz","account":"fb","token":"\#($0)","ttl_seconds":86400}"# }
        let response = try await clients[0].request(
            "POST", "/v1/tokens:batch", json: Data(#"{"tokens":[\#(items.joined(separator: ","))]}"#.utf8))
        guard response.status == 200, let results = (try? JSONValue.parse(response.body))?["results"]?.arrayValue else {
            throw BenchError("batch registration: \(response.status) \(response.text)")
        }
        let ids = results.compactMap { $0["token"]?["id"]?.stringValue }
        guard ids.count == samples else { throw BenchError("batch registration: \(ids.count) of \(samples) ids") }
        try await Task.sleep(for: .seconds(1))
        var latencies: [Double] = []
        for (index, id) in ids.enumerated() {
            let started = ContinuousClock.now
            let answer = try await clients[index % clients.count].request(
                "POST", "/v1/tokens/\(id)/revoke", json: Data("{}".utf8))
            guard answer.status == 202 || answer.status == 200 else { throw BenchError("revoke: \(answer.status) \(answer.text)") }
            while fake.logoffCount(of: raws[index]) == 0 {
                guard ContinuousClock.now - started < .seconds(10) else { throw BenchError("revoke \(id) not started in 10 s") }
                try await Task.sleep(for: .milliseconds(1))
            }
            latencies.append((ContinuousClock.now - started).seconds * 1_000)
            try await Task.sleep(for: .milliseconds(20))
        }
        for client in clients { await client.close() }
        latencies.sort()
        line(
            "revoke → provider call, \(label)",
            "\(samples) revokes round-robin over the instances: p50 \(f(Stats.percentile(latencies, 0.5), 1)) ms, "
                + "p99 \(f(Stats.percentile(latencies, 0.99), 1)) ms, max \(f(latencies.last ?? 0, 1)) ms (target p99 ≤ 200 ms)")
    }

    static func configure(_ sandbox: DaemonBenchmark.Sandbox, fake: FakeProviderServer, database: String?, key: Data) throws {
        try sandbox.useFake(fake.baseURL, concurrency: concurrency, database: database)
        _ = FileManager.default.createFile(atPath: sandbox.key, contents: key, attributes: [.posixPermissions: 0o600])
    }

    static func createDatabase(_ socketDir: String) throws -> String {
        let name = "bench_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(12)
        try psql(socketDir, "CREATE DATABASE \(name)")
        return String(name)
    }

    static func dropDatabase(_ socketDir: String, _ name: String) throws {
        try psql(socketDir, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    static func psql(_ socketDir: String, _ sql: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        process.arguments = ["-h", socketDir, "-U", "tokend", "-d", "postgres", "-Atqc", sql]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchError("psql failed: \(sql)") }
    }
}
