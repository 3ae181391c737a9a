import Glibc
import Logging
import ServiceLifecycle
import Synchronization
import Testing
@testable import TokendSystemd

@Suite("services in a ServiceGroup")
struct ServiceGroupTests {
    @Test("graceful shutdown sends STOPPING=1 first, and every systemd service returns")
    func stoppingOnGracefulShutdown() async throws {
        let receiver = try NotifyReceiver(abstract: true)
        let notifier = SystemdNotifier(socketAddress: receiver.address)
        let heartbeat = Heartbeat()
        let group = ServiceGroup(
            services: [
                WatchdogService(period: .seconds(60), heartbeat: heartbeat, notifier: notifier),
                StatusService(interval: .seconds(60), notifier: notifier) { "serving: 0 active" },
                StoppingNotifier(notifier: notifier),  // last: shut down first
            ],
            gracefulShutdownSignals: [],
            logger: Logger(label: "test")
        )
        let running = Task { try await group.run() }

        var startup = [await receiver.next(), await receiver.next()].compactMap { $0 }
        startup.sort()
        #expect(startup == ["STATUS=serving: 0 active", "WATCHDOG=1"])

        await group.triggerGracefulShutdown()
        #expect(await receiver.next() == "STOPPING=1\nSTATUS=shutting down")
        try await running.value
        #expect(receiver.drain().isEmpty)
    }

    @Test("StatusService publishes at its interval and skips nil")
    func statusUpdates() async throws {
        let receiver = try NotifyReceiver(abstract: false)
        let counter = Counter()
        let service = StatusService(interval: .milliseconds(50), notifier: SystemdNotifier(socketAddress: receiver.address)) {
            let n = counter.next()
            return n == 2 ? nil : "serving: \(n) active"
        }
        let running = Task { try await service.run() }
        #expect(await receiver.next() == "STATUS=serving: 1 active")
        #expect(await receiver.next() == "STATUS=serving: 3 active")
        running.cancel()
        try await running.value
    }
}

final class Counter: Sendable {
    private let value = Synchronization.Atomic<Int>(0)
    func next() -> Int { value.add(1, ordering: .relaxed).newValue }
}
