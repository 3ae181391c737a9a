import Foundation
import GRDB
import Testing
import TokendCore
import TokendSQLite
import TokendStore

@testable import TokendEngine

/// The breaker's hold must not depend on the store accepting its audit row.
@Suite("Breaker while the store refuses the hold's write")
struct BreakerStoreFailureTests {
    /// Every `hold` audit insert fails from now on, as on a full or read-only disk; everything else still works.
    private static func refuseHoldWrites(_ harness: EngineHarness) throws {
        let raw = try DatabaseQueue(path: harness.databasePath)
        try raw.write { db in
            try db.execute(sql: """
                CREATE TRIGGER test_refuse_hold BEFORE INSERT ON audit WHEN NEW.action = 'hold'
                BEGIN SELECT RAISE(ABORT, 'hold refused by test'); END
                """)
        }
        try raw.close()
    }

    @Test func aTripAtStartUpHoldsAndTheSchedulerKeepsRunning() async throws {
        let harness = try EngineHarness()
        defer { harness.cleanup() }
        for index in 0..<12 { try await harness.register("due-\(index)") }
        try Self.refuseHoldWrites(harness)
        var schedule = EngineHarness.schedule()
        schedule.breakerDueThreshold = 10
        let loops = Counter()
        let scheduler = harness.scheduler(schedule: schedule, onLoop: loops.increment)
        let task = Task { try await scheduler.run() }
        // The loop starts after the start-up breaker: it passing at all means the failed write did not end run().
        let looping = await harness.eventually { loops.value >= 3 }
        let holdDuringRun = scheduler.status().hold
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        _ = try? await task.value
        #expect(looping)
        #expect(holdDuringRun)
        #expect(scheduler.status().holdReason?.contains("start-up") == true)
        #expect(harness.performer.totalCalls == 0)
        #expect(try await harness.store.audit(AuditQuery(action: .hold)).events.isEmpty, "the write was refused")
    }

    @Test func aClockJumpHoldsThoughTheWriteFails() async throws {
        let clock = ManualClock(Date())
        let harness = try EngineHarness(clock: clock)
        defer { harness.cleanup() }
        for index in 0..<20 { try await harness.register("later-\(index)", expiresIn: .seconds(86_400)) }
        var schedule = EngineHarness.schedule()
        schedule.breakerDueThreshold = 10
        let loops = Counter()
        let scheduler = harness.scheduler(schedule: schedule, clock: clock, onLoop: loops.increment)
        try await withRunning(scheduler) {
            _ = await harness.eventually { loops.value >= 2 }
            #expect(!scheduler.status().hold)
            try Self.refuseHoldWrites(harness)
            clock.advance(by: .seconds(2 * 86_400))  // a restore / NTP step two days ahead
            let held = await harness.eventually(timeout: .seconds(2)) { scheduler.status().hold }
            #expect(held)
            let before = loops.value
            let stillLooping = await harness.eventually { loops.value > before + 2 }
            #expect(stillLooping)
        }
        #expect(scheduler.status().holdReason?.contains("clock jump") == true)
        #expect(harness.performer.totalCalls == 0)
        #expect(try await harness.store.audit(AuditQuery(action: .hold)).events.isEmpty, "the write was refused")
    }
}
