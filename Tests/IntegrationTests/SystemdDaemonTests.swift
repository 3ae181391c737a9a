import Foundation
import Testing
import TokendClient
import TokendFakeProviders

#if canImport(Glibc)
import Glibc
#endif

@Suite("tokend as a systemd service (socket activation, notify, watchdog, reload)", .serialized)
struct SystemdDaemonTests {
    /// `systemd-socket-activate` binds the socket and passes it as fd 3: the first request is served on it.
    @Test func socketActivationServesTheInheritedFD() async throws {
        let fake = try await FakeProviderServer.start()
        let sandbox = try DaemonSandbox()
        defer { sandbox.remove() }
        // The configured path is elsewhere: only the inherited fd can answer on `activated`.
        try sandbox.writeConfig(fake: fake)
        let activated = sandbox.root.appendingPathComponent("activated.sock").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-socket-activate")
        process.arguments = ["-l", activated, "--fdname=control", BuiltProducts.tokend, "serve", "--config", sandbox.config.path]
        let log = Pipe()
        process.standardError = log
        process.standardOutput = log
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        // systemd-socket-activate starts the daemon on the first connection.
        let client = ControlClient(socketPath: activated, requestTimeout: .seconds(20), connectTimeout: .seconds(5))
        var first: ControlResponse?
        for _ in 0..<100 {
            if let response = try? await client.request("GET", "/healthz") { first = response; break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(first?.status == 200)
        let status = try await client.request("GET", "/v1/status")
        #expect(status.status == 200)
        #expect(!FileManager.default.fileExists(atPath: sandbox.socket), "daemon bound its own path instead")
        await client.close()
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        try await fake.shutdown()
    }

    /// READY=1 only once the socket listens; WATCHDOG=1 pings; STOPPING=1 at SIGTERM; a stalled scheduler
    /// stops the pings.
    @Test func notifyReadyWatchdogStoppingAndStall() async throws {
        let fake = try await FakeProviderServer.start()
        let sandbox = try DaemonSandbox()
        defer { sandbox.remove() }
        try sandbox.writeConfig(fake: fake)
        let receiver = try NotifyReceiver()
        defer { receiver.stop() }
        let daemon = try await DaemonProcess(
            sandbox: sandbox,
            environment: ["NOTIFY_SOCKET": receiver.path, "WATCHDOG_USEC": "600000", "TOKEND_TEST_HOOKS": "1"])
        let ready = try #require(receiver.received.first { $0.text.contains("READY=1") })
        // READY came after the socket existed: the harness saw /healthz answer, and READY is not before bind.
        #expect(FileManager.default.fileExists(atPath: sandbox.socket))
        _ = ready
        try await Task.sleep(for: .milliseconds(1_500))
        let pings = receiver.count("WATCHDOG=1")
        #expect(pings >= 3, "expected watchdog pings every 300 ms, got \(pings)")

        daemon.signal(SIGUSR2)  // stall the scheduler loop
        try await Task.sleep(for: .milliseconds(1_000))
        let afterStall = receiver.count("WATCHDOG=1")
        try await Task.sleep(for: .milliseconds(1_200))
        #expect(receiver.count("WATCHDOG=1") == afterStall, "pings continued although the scheduler stalled")
        // The API still answers: only the watchdog notices (systemd would restart the service).
        #expect(try await daemon.client.request("GET", "/v1/status").status == 200)

        #expect(await daemon.stop() == 0)
        #expect(receiver.count("STOPPING=1") == 1)
        try await fake.shutdown()
    }

    /// SIGHUP: new limits apply at once, a broken file is rejected and the old configuration kept, and the
    /// daemon keeps serving throughout.
    @Test func reloadAppliesLimitsAndRejectsABrokenFile() async throws {
        let fake = try await FakeProviderServer.start()
        let sandbox = try DaemonSandbox()
        defer { sandbox.remove() }
        try sandbox.writeConfig(fake: fake, extra: "\n[limits]\nmax_live_per_owner = 100\n")
        let receiver = try NotifyReceiver()
        defer { receiver.stop() }
        let daemon = try await DaemonProcess(sandbox: sandbox, environment: ["NOTIFY_SOCKET": receiver.path])
        func register(_ token: String) async throws -> Int {
            try await daemon.client.request(
                "POST", "/v1/tokens",
                json: Data(#"{"provider":"fogbugz","account":"fb","token":"\#(token)","owner":"carol","ttl_seconds":3600}"#.utf8)
            ).status
        }
        #expect(try await register("r1") == 201)
        #expect(try await register("r2") == 201)

        try sandbox.writeConfig(fake: fake, extra: "\n[limits]\nmax_live_per_owner = 2\n")
        daemon.signal(SIGHUP)
        // Wait for the reload itself: a registration sent before it lands would be accepted, and re-sending the
        // same token would then only ever answer 200 (already registered).
        let reloaded = await eventually(timeout: .seconds(5)) { daemon.logText.contains("configuration reloaded") }
        #expect(reloaded, "no reload logged; daemon log:\n\(daemon.logText)")
        #expect(try await register("r3") == 429, "reload not applied; daemon log:\n\(daemon.logText)")
        #expect(receiver.count("RELOADING=1") >= 1)

        try "[daemon]\nbogus = true\n".write(to: sandbox.config, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        try await Task.sleep(for: .milliseconds(500))
        #expect(try await daemon.client.request("GET", "/healthz").status == 200)
        #expect(try await register("r4") == 429, "the old limits stay in force")
        #expect(daemon.logText.contains("reload failed"))
        #expect(await daemon.stop() == 0)
        try await fake.shutdown()
    }
}
