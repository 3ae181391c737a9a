import Glibc
import Synchronization
import Testing
@testable import TokendSystemd

@Suite("reload on signal", .serialized)
struct SignalServiceTests {
    @Test("a signal runs the reload between RELOADING=1 and READY=1; a failing reload keeps serving")
    func reloadSignal() async throws {
        let receiver = try NotifyReceiver(abstract: true)
        let attempts = Atomic<Int>(0)
        let service = ReloadSignalService(
            notifier: SystemdNotifier(socketAddress: receiver.address),
            signal: SIGUSR2
        ) {
            if attempts.add(1, ordering: .relaxed).newValue == 2 { throw TestFailure("tokend.toml:3: unknown key 'x'") }
        }
        let running = Task { try await service.run() }
        defer { running.cancel() }
        try await Task.sleep(for: .milliseconds(200))  // let the signal source install

        kill(getpid(), SIGUSR2)
        #expect(await receiver.next()?.hasPrefix("RELOADING=1\nMONOTONIC_USEC=") == true)
        #expect(await receiver.next() == "READY=1\nSTATUS=reload complete")

        kill(getpid(), SIGUSR2)
        #expect(await receiver.next()?.hasPrefix("RELOADING=1\n") == true)
        #expect(await receiver.next() == "READY=1\nSTATUS=reload failed; previous configuration kept")
        #expect(attempts.load(ordering: .relaxed) == 2)

        running.cancel()
        try await running.value
    }
}
