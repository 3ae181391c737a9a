import Glibc
import Testing
@testable import TokendSystemd

@Suite("watchdog")
struct WatchdogTests {
    let pid = getpid()

    @Test("WATCHDOG_USEC and WATCHDOG_PID follow sd_watchdog_enabled(3)")
    func period() throws {
        #expect(try Watchdog.period(environment: [:], processID: pid) == nil)
        #expect(try Watchdog.period(environment: ["WATCHDOG_USEC": "0"], processID: pid) == nil)
        #expect(try Watchdog.period(environment: ["WATCHDOG_USEC": "20000000"], processID: pid) == .seconds(20))
        #expect(try Watchdog.period(environment: ["WATCHDOG_USEC": "200000", "WATCHDOG_PID": "\(pid)"], processID: pid)
            == .milliseconds(200))
        #expect(try Watchdog.period(environment: ["WATCHDOG_USEC": "200000", "WATCHDOG_PID": "\(pid + 1)"], processID: pid)
            == nil)
        #expect(throws: SystemdError.invalidEnvironment(name: "WATCHDOG_USEC", value: "10s")) {
            try Watchdog.period(environment: ["WATCHDOG_USEC": "10s"], processID: pid)
        }
        #expect(throws: SystemdError.invalidEnvironment(name: "WATCHDOG_PID", value: "me")) {
            try Watchdog.period(environment: ["WATCHDOG_USEC": "1", "WATCHDOG_PID": "me"], processID: pid)
        }
    }

    @Test("a heartbeat ages until beat() and starts fresh")
    func heartbeat() async throws {
        let heartbeat = Heartbeat()
        #expect(heartbeat.isFresh(within: .seconds(1)))
        try await Task.sleep(for: .milliseconds(60))
        #expect(heartbeat.age >= .milliseconds(50))
        #expect(!heartbeat.isFresh(within: .milliseconds(50)))
        heartbeat.beat()
        #expect(heartbeat.isFresh(within: .milliseconds(50)))
    }

    @Test("pings at half the period, only while the heartbeat is fresher than the period")
    func decision() {
        let service = WatchdogService(period: .seconds(10), heartbeat: Heartbeat(), notifier: SystemdNotifier(environment: [:]))
        #expect(service.interval == .seconds(5))
        #expect(service.shouldPing(heartbeatAge: .seconds(9)))
        #expect(!service.shouldPing(heartbeatAge: .seconds(10)))
        let custom = WatchdogService(
            period: .seconds(10), heartbeat: Heartbeat(), notifier: SystemdNotifier(environment: [:]),
            staleAfter: .seconds(3)
        )
        #expect(!custom.shouldPing(heartbeatAge: .seconds(4)))
    }

    @Test("a stalled scheduler stops the pings; a recovered one resumes them (200 ms period)")
    func stalledSchedulerStopsPings() async throws {
        let receiver = try NotifyReceiver(abstract: true)
        let heartbeat = Heartbeat()
        let service = WatchdogService(
            period: .milliseconds(200), heartbeat: heartbeat,
            notifier: SystemdNotifier(socketAddress: receiver.address)
        )
        let watchdog = Task { try await service.run() }
        defer { watchdog.cancel() }

        // A healthy scheduler loop beats every 20 ms: pings every ~100 ms.
        let scheduler = Task {
            while !Task.isCancelled {
                heartbeat.beat()
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        try await Task.sleep(for: .milliseconds(700))
        let healthy = receiver.drain()
        #expect(healthy.count >= 3, "expected pings while healthy, got \(healthy.count)")
        #expect(healthy.allSatisfy { $0 == "WATCHDOG=1" })

        // The scheduler stalls: no more beats. After the heartbeat exceeds the period (200 ms) plus one ping
        // interval, nothing more may arrive.
        scheduler.cancel()
        _ = await scheduler.value
        try await Task.sleep(for: .milliseconds(400))
        _ = receiver.drain()
        try await Task.sleep(for: .milliseconds(600))
        #expect(receiver.drain().isEmpty, "pings continued although the scheduler stalled")

        // The loop recovers: pings resume.
        heartbeat.beat()
        let resumed = await receiver.next(timeout: .milliseconds(500))
        #expect(resumed == "WATCHDOG=1")

        watchdog.cancel()
        try await watchdog.value  // returns promptly on cancellation, without throwing
    }
}
