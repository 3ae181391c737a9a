import Foundation
import Synchronization
import Testing

/// What one run of the tokenctl binary produced.
struct CommandResult: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs the `tokenctl` executable built next to this test bundle.
enum TokenctlBinary {
    /// `.build/<triple>/debug/tokenctl`, found beside the running test executable or bundle.
    static let path: String? = {
        var candidates: [URL] = []
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        candidates.append(exe.deletingLastPathComponent())
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        candidates.append(Bundle.main.bundleURL)
        for directory in candidates {
            let binary = directory.appendingPathComponent("tokenctl").path
            if FileManager.default.isExecutableFile(atPath: binary) { return binary }
        }
        return nil
    }()

    static func run(
        _ arguments: [String], stdin: String? = nil, environment: [String: String] = [:], executable: String? = nil
    ) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try executable ?? #require(path))
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["TOKEND_SOCKET"] = nil
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(
            status: process.terminationStatus,
            stdout: String(decoding: stdoutData, as: UTF8.self),
            stderr: String(decoding: stderrData, as: UTF8.self))
    }
}

@Suite("tokenctl binary against a fake daemon", .serialized, .enabled(if: TokenctlBinary.path != nil))
struct TokenctlBinaryTests {
    static let record = #"{"id":"tok_1","provider":"box","account":"main","owner":"alice","labels":{},"state":"active","fingerprint":"hmac-sha256:ab","issued_at":"2026-01-01T00:00:00Z","expires_at":"2026-01-01T08:00:00Z","last_renewed_at":null,"registered_by_uid":0,"attempts":0,"next_attempt_at":null,"last_error":null,"revoked_at":null,"revocation_reason":null}"#

    @Test("--json before or after the verb prints exactly the API's JSON, exit 0")
    func jsonPassthrough() throws {
        let body = #"{"tokens":[\#(Self.record)],"next_cursor":null}"#
        let server = try FakeControlServer.start { _ in .json(200, body) }
        defer { server.stop() }
        for arguments in [
            ["--json", "--socket", server.socketPath, "list", "--owner", "alice"],
            ["list", "--owner", "alice", "--socket", server.socketPath, "--json"],
            ["--socket=\(server.socketPath)", "list", "--json", "--owner", "alice"],
        ] {
            let result = try TokenctlBinary.run(arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            #expect(result.stdout == body + "\n")
        }
        #expect(server.requests.map(\.target) == Array(repeating: "/v1/tokens?owner=alice", count: 3))
    }

    @Test("$TOKEND_SOCKET is the default socket; human list is a table")
    func environmentSocketAndTable() throws {
        let server = try FakeControlServer.start { _ in .json(200, #"{"tokens":[\#(Self.record)],"next_cursor":null}"#) }
        defer { server.stop() }
        let result = try TokenctlBinary.run(
            ["list", "--label", "app:billing", "--state", "active"], environment: ["TOKEND_SOCKET": server.socketPath])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == """
            ID     PROVIDER  ACCOUNT  OWNER  STATE   EXPIRES
            tok_1  box       main     alice  active  2026-01-01T08:00:00Z

            """)
        #expect(server.requests.first?.target == "/v1/tokens?state=active&label=app%3Abilling")
    }

    @Test("list --all follows next_cursor")
    func listAll() throws {
        let server = try FakeControlServer.start { request in
            if request.query?.contains("cursor=c2") == true {
                return .json(200, #"{"tokens":[\#(Self.record.replacingOccurrences(of: "tok_1", with: "tok_2"))],"next_cursor":null}"#)
            }
            return .json(200, #"{"tokens":[\#(Self.record)],"next_cursor":"c2"}"#)
        }
        defer { server.stop() }
        let result = try TokenctlBinary.run(["list", "--all", "--limit", "1", "--socket", server.socketPath])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("tok_1") && result.stdout.contains("tok_2"))
        #expect(server.requests.map(\.target) == ["/v1/tokens?limit=1", "/v1/tokens?limit=1&cursor=c2"])
        #expect(server.connections == 1)
    }

    @Test("a daemon error prints 'tokenctl: <message> (<code>)' and exits 1")
    func daemonError() throws {
        let server = try FakeControlServer.start { _ in .error(404, "not_found", "no such token") }
        defer { server.stop() }
        let result = try TokenctlBinary.run(["show", "tok_nope", "--socket", server.socketPath])
        #expect(result.status == 1)
        #expect(result.stderr == "tokenctl: no such token (not_found)\n")
        #expect(result.stdout.isEmpty)
        #expect(server.requests.first?.target == "/v1/tokens/tok_nope")
    }

    @Test("no daemon: exit 3")
    func cannotConnect() throws {
        let result = try TokenctlBinary.run(["status", "--socket", "/tmp/tokenctl-test-nobody-here.sock"])
        #expect(result.status == 3)
        #expect(result.stderr.hasPrefix("tokenctl: cannot connect to /tmp/tokenctl-test-nobody-here.sock"))
    }

    @Test("usage errors exit 2 without contacting the daemon", arguments: [
        ["bogus"], [], ["renew", "tok_1"], ["renew", "tok_1", "--ttl", "8h", "--expires-at", "2030-01-01T00:00:00Z"],
        ["revoke-bulk", "--owner", "a"], ["revoke-bulk", "--owner", "a", "--dry-run", "--confirm", "3"],
        ["register", "--provider", "box", "--token", "s3cret"], ["register", "--provider", "box", "s3cret"],
        ["register", "--provider", "box", "--ttl", "8q"], ["list", "--limit", "many"], ["show"],
        ["--socket"], ["list", "--label", "nolabel"],
    ])
    func usage(arguments: [String]) throws {
        let server = try FakeControlServer.start { _ in .json(200, "{}") }
        defer { server.stop() }
        let result = try TokenctlBinary.run(arguments + (arguments == ["--socket"] ? [] : ["--socket", server.socketPath]),
                                            stdin: "s3cret\n")
        #expect(result.status == 2, "\(arguments): \(result.stderr)")
        #expect(server.requests.isEmpty)
    }

    @Test("register reads the token from stdin, strips one newline, parses ttl and labels")
    func register() throws {
        let server = try FakeControlServer.start { _ in
            .json(201, String(Self.record.dropLast()) + #","warnings":[{"code":"ttl_clamped","message":"TTL clamped to 30d"}]}"#)
        }
        defer { server.stop() }
        let result = try TokenctlBinary.run(
            ["register", "--provider", "box", "--account", "main", "--label", "app=billing", "--ttl", "8h",
             "--socket", server.socketPath],
            stdin: "s3cret-token\n")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("id:                tok_1"))
        #expect(result.stderr == "tokenctl: warning: TTL clamped to 30d (ttl_clamped)\n")
        let request = try #require(server.requests.first)
        #expect(request.method == "POST" && request.target == "/v1/tokens")
        let json = try #require(request.json)
        #expect(json["token"] as? String == "s3cret-token")
        #expect(json["provider"] as? String == "box")
        #expect(json["account"] as? String == "main")
        #expect(json["ttl_seconds"] as? Int == 28_800)
        #expect(json["labels"] as? [String: String] == ["app": "billing"])
        #expect(Set(json.keys) == ["token", "provider", "account", "ttl_seconds", "labels"])
    }

    @Test("register and lookup read --token-file")
    func tokenFile() throws {
        let server = try FakeControlServer.start { _ in .json(200, Self.record) }
        defer { server.stop() }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tokenctl-test-\(UUID().uuidString)")
        try Data("from-file\r\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let registered = try TokenctlBinary.run(
            ["register", "--provider", "fogbugz", "--expires-at", "2030-01-01T00:00:00Z", "--token-file", file.path,
             "--socket", server.socketPath])
        #expect(registered.status == 0, "\(registered.stderr)")
        #expect(registered.stderr == "tokenctl: this token was already registered; that record is shown\n")
        let looked = try TokenctlBinary.run(["--json", "lookup", "--token-file", file.path, "--socket", server.socketPath])
        #expect(looked.status == 0)
        #expect(looked.stdout == Self.record + "\n")
        #expect(server.requests.map(\.target) == ["/v1/tokens", "/v1/tokens:lookup"])
        #expect(server.requests[0].json?["token"] as? String == "from-file")
        #expect(server.requests[0].json?["expires_at"] as? String == "2030-01-01T00:00:00Z")
        #expect(server.requests[1].json?.count == 1 && server.requests[1].json?["token"] as? String == "from-file")
        let missing = try TokenctlBinary.run(["lookup", "--token-file", "/nonexistent/t", "--socket", server.socketPath])
        #expect(missing.status == 2)
    }

    @Test("revoke, renew, forget, retry, sweep, hold, resume, status hit the contract's routes")
    func routes() throws {
        let server = try FakeControlServer.start { request in
            switch request.path {
            case "/v1/status", "/v1/hold", "/v1/resume":
                return .json(200, #"{"version":"0.1","hold":true,"hold_reason":"maint","counts":{"active":1}}"#)
            case "/v1/sweep": return .json(200, "{}")
            default: return .json(request.path.hasSuffix("/revoke") ? 202 : 200, Self.record)
            }
        }
        defer { server.stop() }
        let socket = ["--socket", server.socketPath]
        for arguments in [
            ["revoke", "tok_1", "--reason", "left company", "--wait", "--timeout", "30s"],
            ["renew", "tok_1", "--ttl", "1d"], ["forget", "tok_1"], ["retry", "tok_1"], ["sweep"],
            ["hold", "--reason", "maint"], ["resume"], ["status"], ["show", "tok/../x"],
        ] {
            let result = try TokenctlBinary.run(arguments + socket)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        let seen = server.requests.map { "\($0.method) \($0.target) \($0.bodyText)" }
        #expect(seen == [
            #"POST /v1/tokens/tok_1/revoke {"reason":"left company","timeout_seconds":30,"wait":true}"#,
            #"POST /v1/tokens/tok_1/renew {"ttl_seconds":86400}"#,
            "POST /v1/tokens/tok_1/forget ", "POST /v1/tokens/tok_1/retry ", "POST /v1/sweep ",
            #"POST /v1/hold {"reason":"maint"}"#, "POST /v1/resume ", "GET /v1/status ",
            "GET /v1/tokens/tok%2F..%2Fx ",
        ])
        // The person's summary by default, every key with --verbose.
        let summary = try TokenctlBinary.run(["status"] + socket)
        #expect(summary.stdout.contains("State: held (maint)"))
        #expect(!summary.stdout.contains("hold_reason"))
        let status = try TokenctlBinary.run(["status", "--verbose"] + socket)
        #expect(status.stdout.contains("hold_reason:   maint"))
        #expect(status.stdout.contains("counts.active: 1"))
    }

    @Test("revoke-bulk --dry-run, then --confirm N --wait polls the job to the end")
    func bulk() throws {
        let polls = PollCounter()
        let server = try FakeControlServer.start { request in
            if request.method == "POST" {
                if request.json?["dry_run"] as? Bool == true {
                    return .json(200, #"{"matched":3,"sample":["tok_1","tok_2","tok_3"]}"#)
                }
                return .json(202, #"{"id":"job_9","matched":3}"#)
            }
            let done = polls.next() >= 2
            return .json(200, """
                {"id":"job_9","matched":3,"revoked":\(done ? 2 : 1),"already_revoked":1,"failed":0,\
                "pending":\(done ? 0 : 1),"state":"\(done ? "done" : "running")"}
                """)
        }
        defer { server.stop() }
        let socket = ["--socket", server.socketPath]
        let dry = try TokenctlBinary.run(["revoke-bulk", "--owner", "alice", "--label", "app=billing", "--dry-run"] + socket)
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout == "matched: 3\nsample:  tok_1, tok_2, tok_3\n")
        let run = try TokenctlBinary.run(
            ["revoke-bulk", "--owner", "alice", "--label", "app=billing", "--confirm", "3", "--reason", "offboarding",
             "--wait"] + socket)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("state:           done"))
        #expect(run.stdout.contains("revoked:         2"))
        #expect(!run.stdout.contains("\r"))  // no progress line when stdout is not a terminal
        let bodies = server.requests.filter { $0.method == "POST" }.map(\.bodyText)
        #expect(bodies == [
            #"{"dry_run":true,"filter":{"labels":{"app":"billing"},"owner":"alice"}}"#,
            #"{"confirm":3,"filter":{"labels":{"app":"billing"},"owner":"alice"},"reason":"offboarding"}"#,
        ])
        #expect(server.requests.filter { $0.method == "GET" }.allSatisfy { $0.target == "/v1/revocations/job_9" })
        let job = try TokenctlBinary.run(["--json", "job", "job_9"] + socket)
        #expect(job.status == 0 && job.stdout.hasPrefix(#"{"id":"job_9""#))
    }

    @Test("audit maps its filters onto the query")
    func audit() throws {
        let server = try FakeControlServer.start { _ in
            .json(200, #"{"events":[{"id":1,"at":"2026-01-01T00:00:00Z","token_id":"tok_1","action":"registered","actor":{"uid":0,"pid":1,"role":"admin"}}],"next_cursor":null}"#)
        }
        defer { server.stop() }
        let result = try TokenctlBinary.run(
            ["audit", "--token", "tok_1", "--action", "registered", "--since", "2026-01-01T00:00:00Z",
             "--until", "2026-02-01T00:00:00Z", "--actor-uid", "0", "--limit", "5", "--socket", server.socketPath])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("uid 0 (admin, pid 1)"))
        #expect(server.requests.first?.target
            == "/v1/audit?token_id=tok_1&action=registered&since=2026-01-01T00%3A00%3A00Z&until=2026-02-01T00%3A00%3A00Z&actor_uid=0&limit=5")
    }

    @Test("completion scripts for bash, zsh and fish", arguments: ["bash", "zsh", "fish"])
    func completions(shell: String) throws {
        let result = try TokenctlBinary.run(["--generate-completion-script", shell])
        #expect(result.status == 0)
        #expect(result.stdout.contains("revoke-bulk"))
        #expect(result.stdout.contains("--token-file"))
    }

    @Test("on a terminal: register refuses a TTY stdin, job --wait redraws a progress line",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func terminal() throws {
        let polls = PollCounter()
        let server = try FakeControlServer.start { _ in
            let done = polls.next() >= 2
            return .json(200, """
                {"id":"job_9","matched":2,"revoked":\(done ? 2 : 1),"already_revoked":0,"failed":0,\
                "pending":\(done ? 0 : 1),"state":"\(done ? "done" : "running")"}
                """)
        }
        defer { server.stop() }
        let binary = try #require(TokenctlBinary.path)
        let refused = try TokenctlBinary.run(
            ["-qec", "\(binary) register --provider box --socket \(server.socketPath)", "/dev/null"],
            executable: "/usr/bin/script")
        #expect(refused.status == 2)
        #expect(refused.stdout.contains("refusing to read a token from a terminal"))
        let waited = try TokenctlBinary.run(
            ["-qec", "\(binary) job job_9 --wait --socket \(server.socketPath)", "/dev/null"],
            executable: "/usr/bin/script")
        #expect(waited.status == 0)
        #expect(waited.stdout.contains("\r\u{1B}[Kjob_9 [##########----------]  50%  1/2"))
        #expect(waited.stdout.contains("state:           done"))
        #expect(server.requests.filter { $0.method == "POST" }.isEmpty)
    }

    @Test("help exits 0 on stdout")
    func help() throws {
        let result = try TokenctlBinary.run(["--json", "--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Exit codes: 0 ok, 1 error from the daemon, 2 usage, 3 cannot connect."))
    }
}

/// A thread-safe counter for the fake server's handler.
final class PollCounter: Sendable {
    private let count = Mutex(0)
    func next() -> Int { count.withLock { value in defer { value += 1 }; return value } }
}
