import Foundation
import Testing
import TokendClient
import TokendFakeProviders

#if canImport(Glibc)
import Glibc
#endif

/// Locates binaries built next to the test bundle (`swift build` puts every product in one directory).
enum BuiltProducts {
    static var directory: URL {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("tokend").path) { return url }
        }
        // Fall back to the package's default build folder.
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return package.appendingPathComponent(".build/debug")
    }
    static var tokend: String { directory.appendingPathComponent("tokend").path }
    static var tokenctl: String { directory.appendingPathComponent("tokenctl").path }
}

/// A temporary directory holding one daemon's config, database, key and socket.
struct DaemonSandbox {
    let root: URL
    var config: URL { root.appendingPathComponent("tokend.toml") }
    var database: String { root.appendingPathComponent("tokend.sqlite3").path }
    var keyFile: String { root.appendingPathComponent("master.key").path }
    var socket: String { root.appendingPathComponent("run/tokend.sock").path }
    var log: URL { root.appendingPathComponent("daemon.log") }

    init() throws {
        // Short path: sun_path holds 108 bytes.
        root = URL(fileURLWithPath: "/tmp/tkd-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("run"), withIntermediateDirectories: true)
        chmod(root.path, 0o755)
    }

    /// Writes a config with one FogBugz XML account `fb` and one Box REST account `bx` on `fake`.
    func writeConfig(
        fake: FakeProviderServer, schedule: String = "", extra: String = "", fbConcurrency: Int = 8,
        rate: Int = 1000, timeout: String = "2s", socketMode: String = "0660", database: String? = nil,
        keyFile: String? = nil, daemon: String = ""
    ) throws {
        let text = """
            [daemon]
            database = "\(database ?? self.database)"
            key_file = "\(keyFile ?? self.keyFile)"
            \(daemon)

            [control]
            socket = "\(socket)"
            mode = "\(socketMode)"
            operators = []
            admins = ["root"]

            [schedule]
            sweep_interval = "100ms"
            retry_base = "100ms"
            retry_max_delay = "1s"
            max_attempts = 5
            \(schedule)

            [[fogbugz]]
            name = "fb"
            base_url = "\(fake.baseURL)"
            api = "xml"
            api_path = "api.asp?"
            concurrency = \(fbConcurrency)
            rate_per_second = \(rate)
            timeout = "\(timeout)"

            [[box]]
            name = "bx"
            base_url = "\(fake.boxBaseURL)"
            api = "rest"
            api_key = "\(FakeProviderOptions().apiKey)"
            concurrency = 8
            rate_per_second = \(rate)
            timeout = "\(timeout)"
            \(extra)
            """
        try text.write(to: config, atomically: true, encoding: .utf8)
    }

    func remove() { try? FileManager.default.removeItem(at: root) }
}

/// A `tokend serve` child process.
final class DaemonProcess: @unchecked Sendable {
    let child: Spawned
    let sandbox: DaemonSandbox
    let client: ControlClient

    /// Starts the daemon and waits until `/healthz` answers (or throws after `timeout`).
    init(
        sandbox: DaemonSandbox, arguments: [String] = [], environment: [String: String] = [:],
        timeout: Duration = .seconds(20)
    ) async throws {
        self.sandbox = sandbox
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        env.removeValue(forKey: "NOTIFY_SOCKET")
        if environment["NOTIFY_SOCKET"] != nil { env["NOTIFY_SOCKET"] = environment["NOTIFY_SOCKET"] }
        let log = open(sandbox.log.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard log >= 0 else { throw DaemonError.exited(status: -1, log: "cannot open \(sandbox.log.path)") }
        defer { close(log) }
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(null) }
        child = try Spawned(
            BuiltProducts.tokend, ["serve", "--config", sandbox.config.path] + arguments, environment: env,
            stdin: null, stdout: log, stderr: log)
        client = ControlClient(socketPath: sandbox.socket, requestTimeout: .seconds(30), connectTimeout: .seconds(2))
        let deadline = ContinuousClock.now + timeout
        while true {
            if let status = child.exitStatus {
                throw DaemonError.exited(status: status, log: logText)
            }
            if let response = try? await client.request("GET", "/healthz"), response.status == 200 { break }
            if ContinuousClock.now > deadline {
                kill(child.pid, SIGKILL)
                _ = child.wait()
                throw DaemonError.notReady(log: logText)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// A test that failed before ``stop(signal:)`` must not leave its daemon running for the rest of the run.
    deinit {
        if child.isRunning {
            kill(child.pid, SIGKILL)
            _ = child.wait()
        }
    }

    var pid: Int32 { child.pid }
    var isRunning: Bool { child.isRunning }
    var logText: String { (try? String(contentsOf: sandbox.log, encoding: .utf8)) ?? "" }

    /// Sends `signal` without waiting.
    func signal(_ signal: Int32) {
        kill(child.pid, signal)
    }

    /// Sends `signal` and waits for the exit; returns the exit status (128 + signal when killed by one).
    @discardableResult
    func stop(signal: Int32 = SIGTERM) async -> Int32 {
        await client.close()
        if child.isRunning { kill(child.pid, signal) }
        // Bounded: a daemon that ignores SIGTERM fails the test instead of hanging the whole run.
        if let status = await child.waitAsync(timeout: .seconds(60)) { return status }
        Issue.record("tokend (pid \(child.pid)) did not exit within 60 s of signal \(signal); killed")
        kill(child.pid, SIGKILL)
        return child.wait()
    }

    enum DaemonError: Error, CustomStringConvertible {
        case exited(status: Int32, log: String)
        case notReady(log: String)
        var description: String {
            switch self {
            case .exited(let status, let log): "tokend exited with \(status):\n\(log)"
            case .notReady(let log): "tokend did not become ready:\n\(log)"
            }
        }
    }
}

/// Runs a command to completion and returns its exit status and combined output.
@discardableResult
func run(_ executable: String, _ arguments: [String], stdin: String? = nil, environment: [String: String] = [:])
    throws -> (status: Int32, output: String)
{
    var env = ProcessInfo.processInfo.environment
    for (key, value) in environment { env[key] = value }
    var output: [Int32] = [0, 0]
    var input: [Int32] = [0, 0]
    guard pipe(&output) == 0, pipe(&input) == 0 else { throw NSError(domain: NSPOSIXErrorDomain, code: Int(errno)) }
    // Close-on-exec: a pipe end inherited by another child would keep this reader waiting for an EOF.
    for fd in output + input { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    let child: Spawned
    do {
        child = try Spawned(executable, arguments, environment: env, stdin: input[0], stdout: output[1], stderr: output[1])
    } catch {
        for fd in output + input { close(fd) }
        throw error
    }
    close(output[1])
    close(input[0])
    let writer = FileHandle(fileDescriptor: input[1], closeOnDealloc: true)
    if let stdin { try? writer.write(contentsOf: Data(stdin.utf8)) }
    try? writer.close()
    let reader = FileHandle(fileDescriptor: output[0], closeOnDealloc: true)
    let data = (try? reader.readToEnd()) ?? Data()
    try? reader.close()
    return (child.wait(), String(decoding: data, as: UTF8.self))
}

extension ControlResponse {
    /// The body as a JSON object.
    var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
    }
}

/// Polls `condition` every 20 ms up to `timeout`.
func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        // A test past its time limit is cancelled: stop polling instead of spinning until the deadline.
        if Task.isCancelled { return false }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}
