import Foundation
import Testing
import TokendClient
import TokendFakeProviders

#if canImport(Glibc)
import Glibc
#endif

/// `tokenctl run` and `tokenctl login` against a real daemon, socket, SQLite file and fake FogBugz.
@Suite("tokenctl run and login (real daemon, tokenctl and fake)", .serialized)
struct BoundRunTests {
    static let password = "pa55-\(UUID().uuidString.prefix(12))-word"

    @Test func runGivesTheChildTheTokenExitsWithItsStatusAndRevokesBeforeReturning() async throws {
        let fake = try await FakeProviderServer.start()
        let sandbox = try DaemonSandbox()
        defer { sandbox.remove() }
        try sandbox.writeConfig(fake: fake)
        let daemon = try await DaemonProcess(sandbox: sandbox)
        let raw = "runtoken\(UUID().uuidString.prefix(8))"
        fake.issue(raw)
        let result = try run(
            BuiltProducts.tokenctl,
            ["--socket", sandbox.socket, "run", "--account", "fb", "--heartbeat", "10s", "--",
             "sh", "-c", #"test -n "$FOGBUGZ_TOKEN" && test "$FOGBUGZ_TOKEN" = "\#(raw)" || exit 9; exit 3"#],
            stdin: raw + "\n")
        #expect(result.status == 3, "tokenctl run: \(result.output)")
        // Logged off before tokenctl returned (release waits for the outcome).
        #expect(fake.logoffCount(of: raw) == 1)
        #expect(!fake.isLive(raw))
        #expect(!result.output.contains(raw), "raw token printed: \(result.output)")

        let listed = try await daemon.client.request("GET", "/v1/tokens", query: [("state", "revoked")])
        let tokens = listed.object["tokens"] as? [[String: Any]] ?? []
        #expect(tokens.count == 1)
        let id = try #require(tokens.first?["id"] as? String)
        #expect(tokens.first?["revocation_reason"] as? String == "released")
        let actions = try await Self.actions(daemon, id)
        #expect(Array(actions.reversed()).filter { ["registered", "released", "revoked"].contains($0) }
            == ["registered", "released", "revoked"], "\(actions)")
        #expect(await daemon.stop() == 0)
        try await fake.shutdown()
    }

    @Test func aSIGKILLedTokenctlStopsHeartbeatingAndTheTokenIsRevokedWithinTheWindow() async throws {
        let fake = try await FakeProviderServer.start()
        let sandbox = try DaemonSandbox()
        defer { sandbox.remove() }
        try sandbox.writeConfig(fake: fake)
        let daemon = try await DaemonProcess(sandbox: sandbox)
        let raw = "killtoken\(UUID().uuidString.prefix(8))"
        fake.issue(raw)
        let pidFile = sandbox.root.appendingPathComponent("child.pid").path

        var input: [Int32] = [0, 0]
        #expect(pipe(&input) == 0)
        // Close-on-exec: a write end inherited by tokenctl would keep its stdin from ever reaching EOF.
        for fd in input { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let errorLog = sandbox.root.appendingPathComponent("tokenctl.log").path
        let null = open(errorLog, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        defer { close(null) }
        let heartbeat = 2
        let tokenctl = try Spawned(
            BuiltProducts.tokenctl,
            ["--socket", sandbox.socket, "run", "--account", "fb", "--heartbeat", "\(heartbeat)s", "--",
             "sh", "-c", "echo $$ > \(pidFile); exec sleep 60"],
            environment: ProcessInfo.processInfo.environment, stdin: input[0], stdout: null, stderr: null)
        close(input[0])
        _ = raw.withCString { write(input[1], $0, strlen($0)) }
        close(input[1])
        var childPID: pid_t = 0
        defer { if childPID > 0 { kill(childPID, SIGKILL) } }
        let started = await eventually(timeout: .seconds(15)) {
            guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
                let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
            else { return false }
            childPID = pid
            return true
        }
        try #require(started, "the child never started: \((try? String(contentsOfFile: errorLog, encoding: .utf8)) ?? "")")
        // Let a few heartbeats through: the token must outlive its window while tokenctl is alive.
        try await Task.sleep(for: .seconds(heartbeat * 2))
        let listed = try await daemon.client.request("GET", "/v1/tokens")
        let record = try #require((listed.object["tokens"] as? [[String: Any]])?.first)
        let id = try #require(record["id"] as? String)
        #expect(record["state"] as? String == "active", "bound token died while heartbeats ran: \(record)")
        #expect(fake.isLive(raw))

        kill(tokenctl.pid, SIGKILL)
        #expect(tokenctl.wait() == 128 + SIGKILL)
        let killedAt = ContinuousClock.now
        let revoked = await eventually(timeout: .seconds(heartbeat + 10)) { !fake.isLive(raw) }
        let elapsed = ContinuousClock.now - killedAt
        #expect(revoked)
        // heartbeat window + sweep interval (100 ms) + one logoff; the last beat may have been up to a third of
        // the window before the kill, so the deadline is at most `heartbeat` after it.
        #expect(elapsed < .seconds(heartbeat) + .milliseconds(100) + .seconds(2), "revoked after \(elapsed)")
        let final = try await daemon.client.request("GET", "/v1/tokens/\(id)").object
        #expect(final["state"] as? String == "revoked")
        #expect(final["revocation_reason"] as? String == "unbound")
        #expect(try await Self.actions(daemon, id).contains("heartbeat_missed"))
        #expect(await daemon.stop() == 0)
        try await fake.shutdown()
    }

    @Test func loginTakesTheTokenIntoCustodyAndThePasswordGoesNowhere() async throws {
        let users = [FakeLogonUser(email: "me@example.com", password: Self.password, fullName: "Me Myself")]
        let fake = try await FakeProviderServer.start(FakeProviderOptions(logonUsers: users))
        let sandbox = try DaemonSandbox()
        defer { sandbox.remove() }
        try sandbox.writeConfig(fake: fake)
        let daemon = try await DaemonProcess(sandbox: sandbox)
        let passwordFile = sandbox.root.appendingPathComponent("password").path
        try (Self.password + "\n").write(toFile: passwordFile, atomically: true, encoding: .utf8)
        let wrongFile = sandbox.root.appendingPathComponent("wrong").path
        try "not-the-password\n".write(toFile: wrongFile, atomically: true, encoding: .utf8)
        let socket = ["--socket", sandbox.socket]

        // Wrong password: plain error, exit 1, nothing in custody, nothing to log off.
        let wrong = try run(
            BuiltProducts.tokenctl,
            socket + ["login", "fogbugz", "--account", "fb", "--email", "me@example.com", "--password-file", wrongFile])
        #expect(wrong.status == 1, "\(wrong.output)")
        #expect(wrong.output.lowercased().contains("incorrect password or username"), "\(wrong.output)")
        #expect(wrong.output.contains("logon_refused"), "\(wrong.output)")
        #expect(fake.loggedOnTokens.isEmpty)
        let none = try await daemon.client.request("GET", "/v1/tokens")
        #expect((none.object["tokens"] as? [Any])?.isEmpty == true)

        // Good password: the token is in custody, printed only when asked for.
        let good = try run(
            BuiltProducts.tokenctl,
            socket + ["login", "fogbugz", "--account", "fb", "--email", "me@example.com", "--password-file", passwordFile])
        #expect(good.status == 0, "\(good.output)")
        let issued = try #require(fake.loggedOnTokens.first)
        #expect(!good.output.contains(issued), "token printed without --print-token")
        let printed = try run(
            BuiltProducts.tokenctl,
            socket + ["login", "fogbugz", "--account", "fb", "--email", "Me Myself", "--password-file", passwordFile,
                      "--print-token"])
        #expect(printed.status == 0, "\(printed.output)")
        #expect(fake.loggedOnTokens.count == 2)
        #expect(printed.output.contains("token: \(fake.loggedOnTokens.last ?? "-")"), "\(printed.output)")

        let listed = try await daemon.client.request("GET", "/v1/tokens")
        let records = listed.object["tokens"] as? [[String: Any]] ?? []
        #expect(records.count == 2)
        let id = try #require(records.first?["id"] as? String)
        #expect(try await Self.actions(daemon, id).contains("logged_on"))
        // The custody works: revoking logs the issued token off at the fake.
        for record in records {
            let tokenID = try #require(record["id"] as? String)
            let revoke = try await daemon.client.request(
                "POST", "/v1/tokens/\(tokenID)/revoke", json: Data(#"{"wait":true}"#.utf8))
            #expect(revoke.object["state"] as? String == "revoked")
        }
        #expect(fake.loggedOnTokens.allSatisfy { !fake.isLive($0) })

        // `run --login`: tokend logs on, the child gets the token, it is logged off when the child ends.
        let runLogin = try run(
            BuiltProducts.tokenctl,
            socket + ["run", "--login", "--account", "fb", "--email", "me@example.com", "--password-file", passwordFile,
                      "--heartbeat", "10s", "--", "sh", "-c", #"case "$FOGBUGZ_TOKEN" in fblogon*) exit 0;; *) exit 9;; esac"#])
        #expect(runLogin.status == 0, "\(runLogin.output)")
        #expect(fake.loggedOnTokens.count == 3)
        #expect(fake.loggedOnTokens.allSatisfy { !fake.isLive($0) })

        // The password and the issued tokens appear in no log line, no audit row, no database byte.
        let audit = try await daemon.client.request("GET", "/v1/audit", query: [("limit", "1000")])
        #expect(audit.status == 200)
        let auditText = audit.text
        #expect(!auditText.contains(Self.password))
        #expect(auditText.contains("logged_on"))
        let secrets = [Self.password] + fake.loggedOnTokens
        func scan(_ label: String) {
            for file in [sandbox.database, sandbox.database + "-wal", sandbox.log.path] {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                for secret in secrets {
                    #expect(data.range(of: Data(secret.utf8)) == nil, "\(label): secret found in \(file)")
                }
            }
            for output in [wrong.output, good.output, runLogin.output] {
                #expect(!output.contains(Self.password), "password echoed by tokenctl")
            }
        }
        scan("while running")
        #expect(await daemon.stop() == 0)
        scan("after shutdown")
        try await fake.shutdown()
    }

    /// The token's audit actions, newest first.
    static func actions(_ daemon: DaemonProcess, _ id: String) async throws -> [String] {
        let audit = try await daemon.client.request("GET", "/v1/audit", query: [("token_id", id)])
        return (audit.object["events"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
    }
}
