import Glibc
import Testing
@testable import TokendSystemd

@Suite("sd_notify")
struct SystemdNotifierTests {
    @Test("without NOTIFY_SOCKET every send is a no-op")
    func disabled() throws {
        let notifier = SystemdNotifier(environment: [:])
        #expect(!notifier.isEnabled)
        #expect(try notifier.send([.ready]) == false)
        #expect(notifier.ready() == false)
        #expect(!SystemdNotifier(environment: ["NOTIFY_SOCKET": ""]).isEnabled)
    }

    @Test("READY, STATUS, WATCHDOG, STOPPING reach a socket bound to a path", arguments: [false, true])
    func lifecycleMessages(abstract: Bool) throws {
        let receiver = try NotifyReceiver(abstract: abstract)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": receiver.address])
        #expect(notifier.isEnabled)

        #expect(notifier.ready(status: "serving; 3 active tokens"))
        #expect(receiver.receive() == "READY=1\nSTATUS=serving; 3 active tokens")
        #expect(notifier.status("12 active"))
        #expect(receiver.receive() == "STATUS=12 active")
        #expect(notifier.watchdog())
        #expect(receiver.receive() == "WATCHDOG=1")
        #expect(notifier.stopping(status: "shutting down"))
        #expect(receiver.receive() == "STOPPING=1\nSTATUS=shutting down")
        #expect(try notifier.send([.ready, .mainPID(getpid())]))
        #expect(receiver.receive() == "READY=1\nMAINPID=\(getpid())")
    }

    @Test("RELOADING=1 carries MONOTONIC_USEC from CLOCK_MONOTONIC")
    func reloading() throws {
        let receiver = try NotifyReceiver(abstract: true)
        let notifier = SystemdNotifier(socketAddress: receiver.address)
        let before = NotifyState.monotonicNow()
        #expect(notifier.reloading(status: "reloading"))
        let after = NotifyState.monotonicNow()
        let lines = try #require(receiver.receive()).split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0] == "RELOADING=1")
        #expect(lines[2] == "STATUS=reloading")
        let usec = try #require(UInt64(lines[1].dropFirst("MONOTONIC_USEC=".count)))
        #expect(lines[1].hasPrefix("MONOTONIC_USEC="))
        #expect(usec >= before && usec <= after)
    }

    @Test("withReloading sends READY=1 after success and after failure")
    func withReloading() async throws {
        let receiver = try NotifyReceiver(abstract: false)
        let notifier = SystemdNotifier(socketAddress: receiver.address)

        let value = await notifier.withReloading { 42 }
        #expect(value == 42)
        #expect(receiver.receive()?.hasPrefix("RELOADING=1\nMONOTONIC_USEC=") == true)
        #expect(receiver.receive() == "READY=1\nSTATUS=reload complete")

        await #expect(throws: TestFailure.self) {
            try await notifier.withReloading { throw TestFailure("bad config") }
        }
        #expect(receiver.receive()?.hasPrefix("RELOADING=1\n") == true)
        #expect(receiver.receive() == "READY=1\nSTATUS=reload failed; previous configuration kept")
    }

    @Test("a STATUS cannot smuggle extra assignments with a newline")
    func statusIsOneLine() throws {
        let receiver = try NotifyReceiver(abstract: true)
        let notifier = SystemdNotifier(socketAddress: receiver.address)
        notifier.status("ok\nREADY=1\rWATCHDOG=trigger")
        #expect(receiver.receive() == "STATUS=ok READY=1 WATCHDOG=trigger")
    }

    @Test("relative and over-long NOTIFY_SOCKET values are rejected")
    func invalidAddress() {
        #expect(throws: SystemdError.invalidNotifySocket("relative.sock")) {
            try SystemdNotifier(socketAddress: "relative.sock").send([.ready])
        }
        let long = "/" + String(repeating: "x", count: 200)
        #expect(throws: SystemdError.invalidNotifySocket(long)) {
            try SystemdNotifier(socketAddress: long).send([.ready])
        }
        #expect(SystemdNotifier(socketAddress: "relative.sock").notify(.ready) == false)
    }

    @Test("a missing receiver is reported as a failed sendto")
    func noReceiver() throws {
        let directory = try TemporaryDirectory()
        #expect(throws: SystemdError.self) {
            try SystemdNotifier(socketAddress: directory.file("absent.sock")).send([.watchdog])
        }
    }

    @Test("state lines follow sd_notify(3)")
    func lines() {
        #expect(NotifyState.message([.ready, .status("x")]) == "READY=1\nSTATUS=x")
        #expect(NotifyState.watchdogTrigger.line == "WATCHDOG=trigger")
        #expect(NotifyState.errno(5).line == "ERRNO=5")
        #expect(NotifyState.extendTimeoutMicroseconds(5_000_000).line == "EXTEND_TIMEOUT_USEC=5000000")
    }
}
