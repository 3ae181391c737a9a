import Crypto
import Foundation
import Synchronization
import TokendClient
import TokendCore
import TokendSQLite
import TokendStore

#if canImport(Glibc)
import Glibc
#endif

/// Benchmarks against the real `tokend` process over its socket: start-up, RSS, registrations, latency.
enum DaemonBenchmark {
    struct Sandbox {
        let root: URL
        var config: String { root.appendingPathComponent("tokend.toml").path }
        var database: String { root.appendingPathComponent("tokend.sqlite3").path }
        var key: String { root.appendingPathComponent("master.key").path }
        var socket: String { root.appendingPathComponent("tokend.sock").path }

        init(_ name: String) throws {
            root = try Scratch.make(name)
            let text = """
                [daemon]
                database = "\(database)"
                key_file = "\(key)"
                [control]
                socket = "\(socket)"
                admins = ["root"]
                [schedule]
                breaker_due_threshold = 100000000
                [limits]
                max_live_per_owner = 100000000
                max_live_per_account = 100000000
                max_connections = 4096
                [[fogbugz]]
                name = "fb"
                base_url = "http://127.0.0.1:9"
                api = "xml"
                api_path = "api.asp?"
                """
            try text.write(toFile: config, atomically: true, encoding: .utf8)
            let keyBytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
            _ = FileManager.default.createFile(atPath: key, contents: keyBytes, attributes: [.posixPermissions: 0o600])
        }

        /// Points the config's account at `fake` (given concurrency, no rate cap), lifts the bulk confirmation
        /// threshold, and optionally swaps the database for `database` (a PostgreSQL URL).
        func useFake(_ baseURL: String, concurrency: Int, database: String? = nil) throws {
            var text = try String(contentsOfFile: config, encoding: .utf8)
            if let database {
                text = text.replacingOccurrences(of: "database = \"\(self.database)\"", with: "database = \"\(database)\"")
            }
            text = text.replacingOccurrences(of: "base_url = \"http://127.0.0.1:9\"", with: """
                base_url = "\(baseURL)"
                concurrency = \(concurrency)
                rate_per_second = 1000000
                timeout = "10s"
                """)
            text = text.replacingOccurrences(of: "[limits]", with: "[bulk]\nconfirm_above = 100000000\n[limits]")
            try text.write(toFile: config, atomically: true, encoding: .utf8)
        }

        /// Opens the daemon's database directly (daemon stopped) with the daemon's key.
        func openStore() throws -> SQLiteTokenStore {
            let key = SymmetricKey(data: FileManager.default.contents(atPath: key)!)
            return try SQLiteTokenStore(path: database, sealer: Sealer(masterKey: key))
        }
    }

    final class Daemon {
        let process = Process()
        let readyAfter: Double
        init(_ sandbox: Sandbox, binary: String) async throws {
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["serve", "--config", sandbox.config]
            process.standardError = FileHandle(forWritingAtPath: "/dev/null")
            process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            let start = ContinuousClock.now
            try process.run()
            let client = ControlClient(socketPath: sandbox.socket, connectTimeout: .milliseconds(200))
            while true {
                if let response = try? await client.request("GET", "/healthz"), response.status == 200 { break }
                guard process.isRunning else { throw BenchError("tokend exited with \(process.terminationStatus)") }
                try await Task.sleep(for: .milliseconds(1))
            }
            readyAfter = (ContinuousClock.now - start).seconds
            await client.close()
        }
        var rssMB: Double {
            let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
            let kb = Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
            return kb / 1024
        }
        /// CPU seconds (user + system) the daemon has used so far, from /proc/PID/stat.
        var cpuSeconds: Double {
            let text = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8)) ?? ""
            // Fields after the parenthesised command name; utime and stime are the 12th and 13th of those.
            guard let close = text.lastIndex(of: ")") else { return 0 }
            let fields = text[text.index(after: close)...].split(separator: " ")
            guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
            return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
        }
        func stop() {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
    }

    struct LoadResult {
        var perSecond: Double
        var p50: Double
        var p99: Double
    }

    /// `connections` clients each sending `request()` in a loop for `seconds`.
    static func load(
        socket: String, connections: Int, seconds: Double, itemsPerRequest: Int = 1,
        request: @escaping @Sendable (ControlClient, Int, Int) async throws -> Int
    ) async throws -> LoadResult {
        let latencies = SharedSamples()
        let items = SharedCounter()
        let start = ContinuousClock.now
        let stop = start + .milliseconds(Int64(seconds * 1000))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<connections {
                group.addTask {
                    let client = ControlClient(socketPath: socket, maxIdleConnections: 1)
                    var local: [Double] = []
                    var index = 0
                    while ContinuousClock.now < stop {
                        let begin = ContinuousClock.now
                        let status = try await request(client, worker, index)
                        local.append((ContinuousClock.now - begin).seconds)
                        guard (200..<300).contains(status) else { throw BenchError("HTTP \(status)") }
                        items.add(itemsPerRequest)
                        index += 1
                    }
                    await client.close()
                    latencies.append(local)
                }
            }
            try await group.waitForAll()
        }
        let elapsed = (ContinuousClock.now - start).seconds
        let sorted = latencies.sorted
        return LoadResult(
            perSecond: Double(items.total) / elapsed, p50: Stats.percentile(sorted, 0.5),
            p99: Stats.percentile(sorted, 0.99))
    }

    static func registerSingle(socket: String, seconds: Double, tag: String) async throws -> LoadResult {
        try await load(socket: socket, connections: 8, seconds: seconds) { client, worker, index in
            let body = #"{"provider":"fogbugz","account":"fb","token":"\#(tag)-\#(worker)-\#(index)","owner":"bench-\#(worker)","ttl_seconds":86400}"#
            return try await client.request("POST", "/v1/tokens", json: Data(body.utf8)).status
        }
    }

    static func registerBatch(socket: String, seconds: Double, tag: String) async throws -> LoadResult {
        try await load(socket: socket, connections: 8, seconds: seconds, itemsPerRequest: 1_000) { client, worker, index in
            var items: [String] = []
            items.reserveCapacity(1_000)
            for item in 0..<1_000 {
                items.append(#"{"provider":"fogbugz","account":"fb","token":"\#(tag)-\#(worker)-\#(index)-\#(item)","owner":"batch-\#(worker)","ttl_seconds":86400}"#)
            }
            let body = #"{"tokens":[\#(items.joined(separator: ","))]}"#
            return try await client.request("POST", "/v1/tokens:batch", json: Data(body.utf8)).status
        }
    }

    static func listByOwner(socket: String, seconds: Double, owners: Int, connections: Int = 8) async throws -> LoadResult {
        try await load(socket: socket, connections: connections, seconds: seconds) { client, worker, index in
            let owner = "owner-\((worker * 7919 + index * 104_729) % owners)"
            return try await client.request("GET", "/v1/tokens", query: [("owner", owner), ("limit", "100")]).status
        }
    }

    static func showOne(socket: String, seconds: Double, ids: [String]) async throws -> LoadResult {
        try await load(socket: socket, connections: 8, seconds: seconds) { client, worker, index in
            let id = ids[(worker * 131 + index) % ids.count]
            return try await client.request("GET", "/v1/tokens/\(id)").status
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
