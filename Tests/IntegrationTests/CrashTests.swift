import Foundation
import GRDB
import Testing
import TokendClient
import TokendFakeProviders

#if canImport(Glibc)
import Glibc
#endif

@Suite("Crash safety", .serialized)
struct CrashTests {
    /// SIGKILL the daemon again and again during a mass revocation; at the end every token has exactly one
    /// terminal event and every revoked token was logged off at the provider.
    @Test func repeatedSIGKILLDuringMassRevocation() async throws {
        let count = Int(ProcessInfo.processInfo.environment["TOKEND_CRASH_TOKENS"] ?? "") ?? 2_000
        let fake = try await FakeProviderServer.start()
        fake.setDelay(.milliseconds(2))
        let sandbox = try DaemonSandbox()
        defer { sandbox.remove() }
        try sandbox.writeConfig(fake: fake, schedule: "breaker_due_threshold = 1000000", rate: 400)
        var daemon = try await DaemonProcess(sandbox: sandbox)
        var raws: [String] = []
        for chunk in stride(from: 0, to: count, by: 500) {
            var items: [String] = []
            for index in chunk..<min(chunk + 500, count) {
                let raw = "crash-\(index)-\(UUID().uuidString)"
                raws.append(raw)
                fake.issue(raw)
                let account = index % 2 == 0 ? #""provider":"fogbugz","account":"fb""# : #""provider":"box","account":"bx""#
                items.append(#"{\#(account),"token":"\#(raw)","ttl_seconds":1}"#)
            }
            let response = try await daemon.client.request(
                "POST", "/v1/tokens:batch", json: Data(#"{"tokens":[\#(items.joined(separator: ","))]}"#.utf8))
            #expect(response.status == 200)
        }
        var kills = 0
        while true {
            try await Task.sleep(for: .milliseconds(Int64.random(in: 150...500)))
            let status = try await daemon.client.request("GET", "/v1/status").object
            let counts = status["counts"] as? [String: Any] ?? [:]
            let byState = counts["by_state"] as? [String: Int] ?? status["by_state"] as? [String: Int] ?? [:]
            let live = (byState["active"] ?? 0) + (byState["revoking"] ?? 0)
            if live == 0 || kills >= 12 { break }
            await daemon.stop(signal: SIGKILL)
            kills += 1
            daemon = try await DaemonProcess(sandbox: sandbox)
        }
        let drained = try await eventually(timeout: .seconds(60)) {
            let body = try await daemon.client.request("GET", "/v1/tokens", query: [("state", "active"), ("limit", "1")])
            let revoking = try await daemon.client.request("GET", "/v1/tokens", query: [("state", "revoking"), ("limit", "1")])
            return (body.object["tokens"] as? [Any])?.isEmpty == true && (revoking.object["tokens"] as? [Any])?.isEmpty == true
        }
        #expect(drained)
        #expect(await daemon.stop() == 0)
        #expect(kills >= 3, "the run was too short to kill the daemon mid-revocation")

        let db = try DatabaseQueue(path: sandbox.database)
        try await db.read { db in
            let multiple = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM (SELECT token_id, episode FROM audit
                WHERE action IN ('revoked','already_revoked','failed','forgotten')
                GROUP BY token_id, episode HAVING count(*) <> 1)
                """) ?? -1
            #expect(multiple == 0)
            let withoutTerminal = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM tokens t WHERE NOT EXISTS (SELECT 1 FROM audit a WHERE a.token_id = t.id
                AND a.episode = t.episode AND a.action IN ('revoked','already_revoked','failed','forgotten'))
                """) ?? -1
            #expect(withoutTerminal == 0)
            let mismatched = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM tokens t JOIN audit a ON a.token_id = t.id AND a.episode = t.episode
                AND a.action IN ('revoked','already_revoked','failed','forgotten') WHERE a.action <> t.state
                """) ?? -1
            #expect(mismatched == 0)
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM tokens") ?? 0
            #expect(total == count)
        }
        // Every token is dead at the provider: revoked ones were logged off by us.
        let stillLive = raws.filter { fake.isLive($0) }
        #expect(stillLive.isEmpty, "\(stillLive.count) tokens still live at the provider")
        print("crash test: \(count) tokens, \(kills) SIGKILLs, provider calls \(fake.callCount)")
        try await fake.shutdown()
    }
}
