import Foundation
import GRDB
import Synchronization
import Testing
import TokendClient
import TokendFakeProviders

#if canImport(Glibc)
import Glibc
#endif

@Suite("Daemon faults: restore from backup, crowds of clients (issue 8)", .serialized)
struct DaemonFaultTests {
    /// A database restored from an old backup holds many tokens whose expiry passed while it sat on tape:
    /// the breaker holds instead of revoking them all, says why in status, and resumes only when told.
    @Test func restoredBackupTripsTheBreaker() async throws {
        let fake = try await FakeProviderServer.start()
        let sandbox = try DaemonSandbox()
        defer { sandbox.remove() }
        try sandbox.writeConfig(fake: fake, schedule: "breaker_due_threshold = 50")
        var daemon = try await DaemonProcess(sandbox: sandbox)
        var items: [String] = []
        for index in 0..<120 {
            fake.issue("backup-\(index)")
            items.append(#"{"provider":"fogbugz","account":"fb","token":"backup-\#(index)","ttl_seconds":3600}"#)
        }
        let batch = try await daemon.client.request("POST", "/v1/tokens:batch", json: Data(#"{"tokens":[\#(items.joined(separator: ","))]}"#.utf8))
        #expect(batch.status == 200)
        #expect(await daemon.stop() == 0)

        // "Restore": the same rows, but the clock has moved on by two hours since the backup was taken.
        let db = try DatabaseQueue(path: sandbox.database)
        try await db.write { db in try db.execute(sql: "UPDATE tokens SET expires_at = expires_at - 7200000") }
        _ = try? db.close()

        daemon = try await DaemonProcess(sandbox: sandbox)
        let status = try await daemon.client.request("GET", "/v1/status").object
        #expect(status["hold"] as? Bool == true)
        #expect((status["hold_reason"] as? String)?.contains("120 tokens due") == true)
        try await Task.sleep(for: .milliseconds(800))
        #expect(fake.callCount == 0, "the breaker let provider calls through")

        let resumed = try await daemon.client.request("POST", "/v1/resume")
        #expect(resumed.status == 200)
        let drained = await eventually(timeout: .seconds(15)) { fake.liveCount == 0 }
        #expect(drained)
        #expect(await daemon.stop() == 0)
        try await fake.shutdown()
    }

    /// 1,000 concurrent connections, a share of them slow-loris clients, while a normal client keeps working.
    @Test func aThousandClientsAndSlowOnesDoNotStarveOthers() async throws {
        let fake = try await FakeProviderServer.start()
        let sandbox = try DaemonSandbox()
        defer { sandbox.remove() }
        try sandbox.writeConfig(fake: fake, extra: "\n[limits]\nmax_connections = 2000\n")
        let daemon = try await DaemonProcess(sandbox: sandbox)
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        if limit.rlim_cur < 4096 {
            limit.rlim_cur = min(limit.rlim_max, 8192)
            setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        }
        // 300 slow clients: half a request head, then silence.
        var slow: [Int32] = []
        for _ in 0..<300 {
            let fd = try rawConnect(sandbox.socket)
            _ = Array("GET /v1/status HTTP/1.1\r\nHost: x\r\n".utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            slow.append(fd)
        }
        // 700 concurrent clients each doing a few requests.
        let failures = SharedFailures()
        let probe = ControlClient(socketPath: sandbox.socket, requestTimeout: .seconds(5))
        var probeLatencies: [Duration] = []
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<700 {
                group.addTask {
                    let client = ControlClient(socketPath: sandbox.socket, requestTimeout: .seconds(30), maxIdleConnections: 1)
                    for index in 0..<3 {
                        do {
                            let response = try await client.request(
                                "POST", "/v1/tokens",
                                json: Data(#"{"provider":"box","account":"bx","token":"crowd-\#(worker)-\#(index)","ttl_seconds":3600}"#.utf8))
                            if response.status != 201 { failures.add("HTTP \(response.status) \(response.text)") }
                        } catch {
                            failures.add("\(error)")
                        }
                    }
                    await client.close()
                }
            }
            // Meanwhile one ordinary client must keep getting answers.
            for _ in 0..<20 {
                let started = ContinuousClock.now
                let response = try await probe.request("GET", "/v1/status")
                #expect(response.status == 200)
                probeLatencies.append(ContinuousClock.now - started)
                try await Task.sleep(for: .milliseconds(50))
            }
            try await group.waitForAll()
        }
        #expect(failures.count == 0, "\(failures.sample)")
        let sorted = probeLatencies.sorted()
        #expect(sorted[sorted.count / 2] < .seconds(2), "status answered slowly under load: \(sorted)")
        #expect(try await daemon.client.request("GET", "/healthz").status == 200)
        let counts = try await daemon.client.request("GET", "/v1/tokens", query: [("account", "bx"), ("limit", "1000")])
        #expect((counts.object["tokens"] as? [Any])?.count == 1000)
        for fd in slow { close(fd) }
        await probe.close()
        #expect(await daemon.stop() == 0)
        try await fake.shutdown()
    }
}

final class SharedFailures: Sendable {
    private let value = Mutex<[String]>([])
    func add(_ why: String) { value.withLock { $0.append(why) } }
    var count: Int { value.withLock { $0.count } }
    var sample: [String] { value.withLock { Array(Set($0).prefix(5)) } }
}

func rawConnect(_ path: String) throws -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
    let result = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard result == 0 else { throw POSIXError(.ECONNREFUSED) }
    return fd
}
