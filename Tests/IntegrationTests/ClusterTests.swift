import Foundation
import Testing
import TokendClient
import TokendFakeProviders

#if canImport(Glibc)
import Glibc
#endif

/// Several real daemons on one real PostgreSQL database: take-over after SIGKILL, a PostgreSQL crash-restart,
/// and the cluster-wide rate.
@Suite("Cluster on PostgreSQL", .serialized, .enabled(if: ClusterSandbox.enabled), .timeLimit(.minutes(10)))
struct ClusterTests {
    static let lease = 5.0

    /// 3 instances, 20,000 tokens due, one instance SIGKILLed mid-run, three times.
    @Test func failoverAfterSIGKILL() async throws {
        let perRound = Int(ProcessInfo.processInfo.environment["TOKEND_FAILOVER_TOKENS"] ?? "") ?? 20_000
        let fake = try await FakeProviderServer.start()
        fake.setDelay(.milliseconds(5))
        let cluster = try ClusterSandbox.make(instances: 3)
        defer { cluster.remove() }
        try cluster.writeConfigs(fake: fake, lease: "\(Int(Self.lease))s", rate: 5_000,
                                 schedule: "breaker_due_threshold = 1000000")
        var daemons: [DaemonProcess] = []
        for sandbox in cluster.instances { daemons.append(try await DaemonProcess(sandbox: sandbox)) }
        var allRaws: [String] = []
        for round in 0..<3 {
            let victimIndex = round % 3
            let survivor = daemons[(victimIndex + 1) % 3]
            let raws = try await registerDue(perRound, prefix: "fo\(round)", on: survivor, fake: fake)
            allRaws += raws
            // Kill once a fifth of the round is done.
            let started = await eventually(timeout: .seconds(60)) {
                guard let live = await liveCount(survivor) else { return false }
                return live <= perRound * 4 / 5
            }
            #expect(started, "round \(round): revocation did not start")
            let victim = daemons[victimIndex]
            let status = try await victim.client.request("GET", "/v1/status").object
            let instances = status["instances"] as? [[String: Any]] ?? []
            #expect(instances.count == 3)
            let victimID = try #require(
                instances.first { ($0["pid"] as? Int) == Int(victim.pid) }?["id"] as? String)
            let callsBefore = fake.callCount
            await victim.stop(signal: SIGKILL)
            let killedAt = ContinuousClock.now
            let leased = try cluster.scalar(
                "SELECT count(*) FROM tokens WHERE lease_owner = '\(victimID)' AND state = 'revoking'")
            let takenOver = await eventually(timeout: .seconds(30)) {
                (try? cluster.scalar(
                    "SELECT count(*) FROM tokens WHERE lease_owner = '\(victimID)' AND state = 'revoking'")) == 0
            }
            let takeOver = ContinuousClock.now - killedAt
            #expect(takenOver)
            #expect(takeOver <= .seconds(2 * Self.lease), "take-over took \(takeOver)")
            let drained = await eventually(timeout: .seconds(180)) { await liveCount(survivor) == 0 }
            #expect(drained, "round \(round): not every token ended")
            try cluster.expectExactlyOneTerminalEach(expectedTokens: allRaws.count)
            // No `revoked` without the provider's ack: every token of the round is dead at the fake.
            #expect(raws.filter { fake.isLive($0) }.isEmpty)
            let duplicates = raws.reduce(0) { $0 + max(0, fake.logoffCount(of: $1) - 1) }
            #expect(duplicates <= leased, "round \(round): \(duplicates) duplicate calls, \(leased) claims held at the kill")
            print("failover round \(round): \(perRound) tokens, killed instance \(victimIndex) holding \(leased) claims "
                + "after \(callsBefore) calls; taken over in \(takeOver); \(duplicates) duplicate provider calls")
            daemons[victimIndex] = try await DaemonProcess(sandbox: cluster.instances[victimIndex])
        }
        for daemon in daemons { #expect(await daemon.stop() == 0) }
        try await fake.shutdown()
    }

    /// PostgreSQL crash-stopped and started mid-run: 503 meanwhile, no provider call, everything resumes.
    @Test func postgresRestartMidRun() async throws {
        let count = 4_000
        let fake = try await FakeProviderServer.start()
        fake.setDelay(.milliseconds(2))
        let cluster = try ClusterSandbox.make(instances: 2)
        defer { cluster.remove() }
        try cluster.writeConfigs(fake: fake, rate: 400, schedule: "breaker_due_threshold = 1000000")
        var daemons: [DaemonProcess] = []
        for sandbox in cluster.instances { daemons.append(try await DaemonProcess(sandbox: sandbox)) }
        let raws = try await registerDue(count, prefix: "pgr", on: daemons[0], fake: fake)
        #expect(await eventually(timeout: .seconds(60)) { (await liveCount(daemons[0]) ?? count) < count * 3 / 4 })

        try pgCluster("kill", cluster.socketDirectory)
        var restarted = false
        defer { if !restarted { _ = try? pgCluster("start", cluster.socketDirectory) } }
        for daemon in daemons {
            #expect(await eventually(timeout: .seconds(15)) {
                (try? await daemon.client.request("GET", "/healthz"))?.status == 503
            })
        }
        let register = try await daemons[1].client.request(
            "POST", "/v1/tokens", json: Data(#"{"provider":"fogbugz","account":"fb","token":"during-outage","ttl_seconds":60}"#.utf8))
        #expect(register.status == 503)
        #expect(String(decoding: register.body, as: UTF8.self).contains("\"unavailable\""))
        // Calls already on the wire when the database went away may still land; none may start afterwards.
        try await Task.sleep(for: .milliseconds(300))
        let callsAtOutage = fake.callCount
        try await Task.sleep(for: .seconds(3))
        #expect(fake.callCount == callsAtOutage, "provider calls made while the database was down")

        try pgCluster("start", cluster.socketDirectory)
        restarted = true
        for daemon in daemons {
            #expect(await eventually(timeout: .seconds(30)) {
                (try? await daemon.client.request("GET", "/healthz"))?.status == 200
            })
        }
        #expect(await eventually(timeout: .seconds(120)) { await liveCount(daemons[0]) == 0 })
        try cluster.expectExactlyOneTerminalEach(expectedTokens: count)
        #expect(raws.filter { fake.isLive($0) }.isEmpty)
        for daemon in daemons { #expect(await daemon.stop() == 0) }
        try await fake.shutdown()
    }

    /// One account at `rate_per_second = 100` on 3 instances: the provider sees at most 110 calls in any second.
    @Test func rateHoldsForTheWholeCluster() async throws {
        let count = 1_500
        let fake = try await FakeProviderServer.start()
        let cluster = try ClusterSandbox.make(instances: 3)
        defer { cluster.remove() }
        try cluster.writeConfigs(fake: fake, rate: 100, schedule: "breaker_due_threshold = 1000000")
        var daemons: [DaemonProcess] = []
        for sandbox in cluster.instances { daemons.append(try await DaemonProcess(sandbox: sandbox)) }
        _ = try await registerDue(count, prefix: "rate", on: daemons[0], fake: fake)
        #expect(await eventually(timeout: .seconds(60)) { await liveCount(daemons[0]) == 0 })
        let times = fake.calls.filter(\.endpoint.isLogoff).map(\.receivedAt).sorted()
        #expect(times.count >= count)
        var worst = 0
        var start = 0
        for end in times.indices {
            while times[end] - times[start] >= .seconds(1) { start += 1 }
            worst = max(worst, end - start + 1)
        }
        let span = times.last! - times.first!
        print("cluster rate: \(times.count) calls over \(span), busiest second \(worst) calls")
        #expect(worst <= 110, "busiest one-second window had \(worst) calls")
        // Not starved either: three instances together still use most of the rate.
        #expect(span <= .seconds(Double(count) / 100 * 2 + 5))
        try cluster.expectExactlyOneTerminalEach(expectedTokens: count)
        for daemon in daemons { #expect(await daemon.stop() == 0) }
        try await fake.shutdown()
    }

    /// Every instance lists the others; `store` says postgres.
    @Test func statusListsTheLiveInstances() async throws {
        let fake = try await FakeProviderServer.start()
        let cluster = try ClusterSandbox.make(instances: 2)
        defer { cluster.remove() }
        try cluster.writeConfigs(fake: fake)
        let a = try await DaemonProcess(sandbox: cluster.instances[0])
        let b = try await DaemonProcess(sandbox: cluster.instances[1])
        let status = try await a.client.request("GET", "/v1/status").object
        #expect(status["store"] as? String == "postgres")
        let pids = Set((status["instances"] as? [[String: Any]] ?? []).compactMap { $0["pid"] as? Int })
        #expect(pids == [Int(a.pid), Int(b.pid)])
        #expect(await a.stop() == 0)
        #expect(await b.stop() == 0)
        try await fake.shutdown()
    }
}

/// Runs `scripts/pg-cluster CMD DIR`.
func pgCluster(_ command: String, _ dir: String) throws {
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/pg-cluster").path
    let result = try run(script, [command, dir])
    if result.status != 0 { throw ClusterSandbox.PSQLFailure(output: "pg-cluster \(command): \(result.output)") }
}
