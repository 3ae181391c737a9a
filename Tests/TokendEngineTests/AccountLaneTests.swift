import Foundation
import Synchronization
import Testing
import TokendCore
import TokendSQLite
import TokendStore

@testable import TokendEngine

/// The lane's two kinds of slot: provider calls (`concurrency`) and outcomes waiting for their commit.
@Suite struct AccountLaneTests {
    /// Counts calls and holds every call and every record until the test opens them.
    final class Probe: Sendable {
        struct State {
            var started = 0
            var recorded = 0
            var callsOpen = false
            var recordsOpen = false
        }
        let state = Mutex(State())
        var started: Int { state.withLock { $0.started } }
        var recorded: Int { state.withLock { $0.recorded } }
        func openCalls() { state.withLock { $0.callsOpen = true } }
        func openRecords() { state.withLock { $0.recordsOpen = true } }

        /// Claims whose provider call returns at once, whatever `callsOpen` says.
        let instant: Set<String>
        init(instant: Set<String> = []) { self.instant = instant }

        func call(_ claim: Claim) async {
            state.withLock { $0.started += 1 }
            if instant.contains(claim.id) { return }
            while !state.withLock({ $0.callsOpen }) { try? await Task.sleep(for: .milliseconds(2)) }
        }
        func record() async {
            while !state.withLock({ $0.recordsOpen }) { try? await Task.sleep(for: .milliseconds(2)) }
            state.withLock { $0.recorded += 1 }
        }
    }

    private func claims(_ count: Int) -> [Claim] {
        (0..<count).map { Claim(id: "tok_\($0)", provider: .fogbugz, account: "fb", episode: 1, attempts: 0, token: "raw-\($0)") }
    }

    private func lane(concurrency: Int) -> AccountLane {
        AccountLane(account: Configuration.Account(
            name: "fb", api: .fogbugzXML, baseURL: "http://127.0.0.1:9", apiPath: "api.asp?", concurrency: concurrency,
            ratePerSecond: 1_000_000))
    }

    private func waitUntil(_ condition: @Sendable () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while !condition() && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
    }

    @Test func callsAreBoundedByConcurrencyAndUnrecordedOutcomesToo() async throws {
        let lane = lane(concurrency: 2)
        let probe = Probe(instant: ["tok_0"])
        lane.enqueue(claims(10))
        let run = Task { await lane.run { claim, _ in await probe.call(claim); return { await probe.record() } } }
        // tok_0's call returns at once but its outcome cannot be committed: its provider slot is free again, so
        // tok_2 starts while tok_1 is still in flight.
        try await waitUntil { probe.started == 3 }
        try await Task.sleep(for: .milliseconds(50))
        #expect(probe.started == 3, "two calls in flight plus one outcome waiting")
        // Every call finishes, no outcome commits: a next call starts only while fewer outcomes than the
        // concurrency wait, so at most concurrency + concurrency attempts are unrecorded, then nothing starts.
        probe.openCalls()
        try await Task.sleep(for: .milliseconds(100))
        let stalled = probe.started
        #expect(stalled >= 3 && stalled <= 4, "\(stalled) calls started")
        try await Task.sleep(for: .milliseconds(100))
        #expect(probe.started == stalled, "no call starts while outcomes wait")
        #expect(probe.recorded == 0)
        probe.openRecords()
        try await waitUntil { probe.recorded == 10 }
        #expect(probe.started == 10)
        #expect(probe.recorded == 10)
        #expect(lane.stop().isEmpty)
        await run.value
    }

    @Test func aClosedGateStartsNoCall() async throws {
        let lane = lane(concurrency: 4)
        let probe = Probe()
        probe.openCalls()
        probe.openRecords()
        let gate = Mutex(false)
        lane.enqueue(claims(3))
        let run = Task {
            await lane.run(gate: { gate.withLock { $0 } }) { claim, _ in await probe.call(claim); return { await probe.record() } }
        }
        try await Task.sleep(for: .milliseconds(150))
        #expect(probe.started == 0)
        gate.withLock { $0 = true }
        try await waitUntil { probe.recorded == 3 }
        #expect(probe.recorded == 3)
        _ = lane.stop()
        await run.value
    }

    @Test func stopReturnsQueuedClaimsAndWaitsForStartedRecords() async throws {
        let lane = lane(concurrency: 1)
        let probe = Probe()
        probe.openCalls()
        lane.enqueue(claims(5))
        let run = Task { await lane.run { claim, _ in await probe.call(claim); return { await probe.record() } } }
        try await waitUntil { probe.started == 1 }
        try await Task.sleep(for: .milliseconds(50))  // its outcome waits; the recording slot is full
        #expect(probe.started == 1)
        let leftovers = lane.stop()
        #expect(leftovers.count + probe.started == 5)
        let finished = Task { await run.value }
        try await Task.sleep(for: .milliseconds(50))
        #expect(probe.recorded == 0, "run() is still waiting for the started attempts' records")
        probe.openRecords()
        await finished.value
        #expect(probe.recorded == probe.started)
    }
}
