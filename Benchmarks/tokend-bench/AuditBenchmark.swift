import Foundation
import TokendAudit
import TokendCore
import TokendFakeProviders
import TokendSQLite
import TokendStore

/// Issue 16's cost figures: registrations/s and revocations/s (store part: claim + record outcome) with the
/// audit chain and without, interleaved in one run; then `verify-audit`'s walk over a large chain in rows/s.
enum AuditBenchmark {
    static func run(rounds: Int, perRound: Int, verifyRows: Int, verifyOnly: Bool = false, chainOnly: Bool = false) async throws {
        if !verifyOnly {
            try await chainCost(rounds: rounds, perRound: perRound)
            if chainOnly { return }
            try await endToEndCost(rounds: rounds, perRound: perRound)
        }
        try await verify(rows: verifyRows)
    }

    /// Registrations and store-side revocations with the chain on and off, interleaved.
    static func chainCost(rounds: Int, perRound: Int) async throws {
        var totals: [Bool: (register: Double, revoke: Double, count: Int)] = [true: (0, 0, 0), false: (0, 0, 0)]
        for round in 0..<rounds {
            // Alternate which goes first, so drift on a shared box hits both alike.
            for chained in round % 2 == 0 ? [true, false] : [false, true] {
                SQLiteTokenStore.auditChainEnabled.store(chained, ordering: .relaxed)
                let directory = try Scratch.make("audit-\(chained)")
                defer { Scratch.remove(directory) }
                let store = try EngineBenchmark.makeStore(directory)
                var started = ContinuousClock.now
                try await EngineBenchmark.populate(store, fake: nil, count: perRound, prefix: "a\(round)", owner: { "owner-\($0 % 100)" }) { _ in
                    Date().addingTimeInterval(-1)
                }
                let register = (ContinuousClock.now - started).seconds
                started = ContinuousClock.now
                let result = AttemptResult(outcome: .revoked, httpStatus: 200, duration: .milliseconds(1))
                var revoked = 0
                while true {
                    let claims = try await store.claimDue(account: "fb", limit: 500)
                    if claims.isEmpty { break }
                    _ = try await store.recordAttempts(claims.map { AttemptRecord(claim: $0, result: result, decision: .done(.revoked)) })
                    revoked += claims.count
                }
                let revoke = (ContinuousClock.now - started).seconds
                let previous = totals[chained]!
                totals[chained] = (previous.register + register, previous.revoke + revoke, previous.count + revoked)
                await store.close()
            }
        }
        SQLiteTokenStore.auditChainEnabled.store(true, ordering: .relaxed)
        let tokens = Double(rounds * perRound)
        let on = totals[true]!
        let off = totals[false]!
        line("registrations, batch, chain on / off", "\(f(tokens / on.register, 0))/s vs \(f(tokens / off.register, 0))/s  (chain costs \(f((on.register / off.register - 1) * 100, 1)) %)")
        line("revocations (claim + outcome), chain on / off", "\(f(Double(on.count) / on.revoke, 0))/s vs \(f(Double(off.count) / off.revoke, 0))/s  (chain costs \(f((on.revoke / off.revoke - 1) * 100, 1)) %)")
    }

    /// Revocations as the daemon makes them — scheduler, provider HTTP to the fake, outcomes — with the chain on
    /// and off, interleaved: what the chain costs a revocation in the whole path, in throughput and in this
    /// process's CPU per revocation (the fake runs in it too, alike in both).
    static func endToEndCost(rounds: Int, perRound: Int) async throws {
        let fake = try await FakeProviderServer.start(FakeProviderOptions(recordCalls: false))
        var totals: [Bool: (seconds: Double, cpu: Double, count: Int)] = [true: (0, 0, 0), false: (0, 0, 0)]
        for round in 0..<rounds {
            for chained in round % 2 == 0 ? [true, false] : [false, true] {
                SQLiteTokenStore.auditChainEnabled.store(chained, ordering: .relaxed)
                let rate = try await EngineBenchmark.endToEnd(fake: fake, count: perRound)
                let previous = totals[chained]!
                totals[chained] = (
                    previous.seconds + Double(perRound) / rate.perSecond,
                    previous.cpu + rate.cpuMicros * Double(perRound), previous.count + perRound
                )
            }
        }
        SQLiteTokenStore.auditChainEnabled.store(true, ordering: .relaxed)
        try await fake.shutdown()
        let on = totals[true]!
        let off = totals[false]!
        line(
            "end-to-end revocations, chain on / off",
            "\(f(Double(on.count) / on.seconds, 0))/s vs \(f(Double(off.count) / off.seconds, 0))/s  (chain costs "
                + "\(f((on.seconds / off.seconds - 1) * 100, 1)) %); CPU \(f(on.cpu / Double(on.count), 0)) vs "
                + "\(f(off.cpu / Double(off.count), 0)) µs each (\(f((on.cpu / off.cpu - 1) * 100, 1)) %)")
    }

    /// A chain of `rows` rows (one registration each), a checkpoint, then the verifier's walk.
    static func verify(rows verifyRows: Int) async throws {
        // A chain of `verifyRows` rows (one registration each), a checkpoint, then the verifier's walk.
        let directory = try Scratch.make("audit-verify")
        defer { Scratch.remove(directory) }
        let store = try EngineBenchmark.makeStore(directory)
        try await EngineBenchmark.populate(store, fake: nil, count: verifyRows, prefix: "v", owner: { "owner-\($0 % 100)" }) { _ in
            Date().addingTimeInterval(86_400)
        }
        let signer = CheckpointSigner()
        _ = try await store.appendCheckpoint(kind: .manual, minimumAge: .zero, signer: signer)
        try store.checkpoint()
        await store.close()
        let reader = try SQLiteAuditReader(path: directory.appendingPathComponent("bench.sqlite3").path)
        let started = ContinuousClock.now
        var verifier = ChainVerifier(checkpoints: try await reader.auditCheckpoints(), publicKey: signer.publicKey)
        _ = try await reader.walk(after: 0, into: &verifier)
        let report = verifier.finish(strict: true)
        let seconds = (ContinuousClock.now - started).seconds
        line("verify-audit walk, \(report.rowsChecked) rows", "\(f(Double(report.rowsChecked) / seconds, 0)) rows/s, \(report.intact ? "intact" : "NOT intact: \(report.problems.first?.description ?? "")")")
    }
}
