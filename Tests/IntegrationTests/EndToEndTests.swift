import Foundation
import Testing
import TokendClient
import TokendFakeProviders

#if canImport(Glibc)
import Glibc
#endif

@Suite("Daemon end to end (real process, socket, SQLite, HTTP)", .serialized)
struct EndToEndTests {
    @Test func registeredTokenIsLoggedOffAtExpiryAndAudited() async throws {
        let fake = try await FakeProviderServer.start()
        let sandbox = try DaemonSandbox()
        defer { sandbox.remove() }
        try sandbox.writeConfig(fake: fake)
        let daemon = try await DaemonProcess(sandbox: sandbox)
        fake.issue("e2e-token-1")
        let body = #"{"provider":"fogbugz","account":"fb","token":"e2e-token-1","ttl_seconds":1,"labels":{"app":"billing"}}"#
        let created = try await daemon.client.request("POST", "/v1/tokens", json: Data(body.utf8))
        #expect(created.status == 201)
        let id = try #require(created.object["id"] as? String)
        let revoked = try await eventually(timeout: .seconds(5)) {
            try await daemon.client.request("GET", "/v1/tokens/\(id)").object["state"] as? String == "revoked"
        }
        #expect(revoked)
        #expect(fake.logoffCount(of: "e2e-token-1") == 1)
        #expect(!fake.isLive("e2e-token-1"))
        let audit = try await daemon.client.request("GET", "/v1/audit", query: [("token_id", id)])
        let actions = (audit.object["events"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
        #expect(actions == ["revoked", "attempt", "revoke_requested", "registered"])
        // Metrics from the engine (swift-metrics) and from the control API share one registry without clashes.
        for _ in 0..<2 {
            let metrics = try await daemon.client.request("GET", "/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.text.contains("tokend_revocations_total"))
            #expect(metrics.text.contains("tokend_attempt_duration_seconds"))
            #expect(metrics.text.contains("tokend_tokens"))
            #expect(metrics.text.contains("tokend_backlog_due"))
        }
        #expect(try await daemon.client.request("GET", "/v1/status").status == 200)
        #expect(await daemon.stop() == 0)
        try await fake.shutdown()
    }

    /// `revoke` with `wait: true` answers with the final outcome (200), not the queued state.
    @Test func revokeWithWaitAnswersTheOutcome() async throws {
        let fake = try await FakeProviderServer.start()
        let sandbox = try DaemonSandbox()
        defer { sandbox.remove() }
        try sandbox.writeConfig(fake: fake)
        let daemon = try await DaemonProcess(sandbox: sandbox)
        fake.issue("wait-token")
        fake.setDelay(.milliseconds(300))
        let created = try await daemon.client.request(
            "POST", "/v1/tokens", json: Data(#"{"provider":"fogbugz","account":"fb","token":"wait-token","ttl_seconds":3600}"#.utf8))
        let id = try #require(created.object["id"] as? String)
        let revoked = try await daemon.client.request(
            "POST", "/v1/tokens/\(id)/revoke", json: Data(#"{"wait":true,"reason":"leaving"}"#.utf8))
        #expect(revoked.status == 200)
        #expect(revoked.object["state"] as? String == "revoked")
        #expect(revoked.object["revocation_reason"] as? String == "requested")
        #expect(revoked.object["revocation_note"] as? String == "leaving")
        #expect(fake.logoffCount(of: "wait-token") == 1)
        // Without wait the answer is 202 at once; a second revoke of a revoked token is 200 (idempotent).
        let again = try await daemon.client.request("POST", "/v1/tokens/\(id)/revoke")
        #expect(again.status == 200)
        #expect(await daemon.stop() == 0)
        try await fake.shutdown()
    }

    @Test func badConfigExits78AndNamesFileLineAndKey() throws {
        let sandbox = try DaemonSandbox()
        defer { sandbox.remove() }
        let text = """
            [daemon]
            database = "\(sandbox.database)"
            key_file = "\(sandbox.keyFile)"
            bogus = 1

            [control]
            socket = "\(sandbox.socket)"
            """
        try text.write(to: sandbox.config, atomically: true, encoding: .utf8)
        let result = try run(BuiltProducts.tokend, ["serve", "--config", sandbox.config.path])
        #expect(result.status == 78)
        #expect(result.output.contains("\(sandbox.config.path):4:"))
        #expect(result.output.contains("daemon.bogus"))
        #expect(!FileManager.default.fileExists(atPath: sandbox.socket))
        #expect(!FileManager.default.fileExists(atPath: sandbox.database))
    }

    @Test func rawTokensNeverReachTheDiskOrTheLogs() async throws {
        let fake = try await FakeProviderServer.start()
        let sandbox = try DaemonSandbox()
        defer { sandbox.remove() }
        try sandbox.writeConfig(fake: fake)
        let daemon = try await DaemonProcess(sandbox: sandbox)
        var raws: [String] = []
        for index in 0..<40 {
            let raw = "RAWSECRET\(UUID().uuidString.replacingOccurrences(of: "-", with: ""))\(index)"
            raws.append(raw)
            fake.issue(raw)
            let ttl = index % 2 == 0 ? 1 : 3600
            let account = index % 4 < 2 ? #""provider":"fogbugz","account":"fb""# : #""provider":"box","account":"bx""#
            let response = try await daemon.client.request(
                "POST", "/v1/tokens", json: Data(#"{\#(account),"token":"\#(raw)","ttl_seconds":\#(ttl)}"#.utf8))
            #expect(response.status == 201)
        }
        // Lookups send the raw token too; they must not leave it anywhere either.
        let lookup = try await daemon.client.request("POST", "/v1/tokens:lookup", json: Data(#"{"token":"\#(raws[1])"}"#.utf8))
        #expect(lookup.status == 200)
        _ = await eventually(timeout: .seconds(6)) { raws.enumerated().allSatisfy { $0.offset % 2 == 1 || !fake.isLive($0.element) } }
        func scan(_ label: String) throws {
            for file in [sandbox.database, sandbox.database + "-wal", sandbox.database + "-shm", sandbox.log.path] {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                for raw in raws {
                    #expect(data.range(of: Data(raw.utf8)) == nil, "\(label): raw token found in \(file)")
                }
            }
        }
        try scan("while running")
        #expect(await daemon.stop() == 0)
        try scan("after shutdown")
        try await fake.shutdown()
    }
}
