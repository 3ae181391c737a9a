import Foundation
import TokendCore
import TokendSQLite
import TokendStore

/// In-process store figures: where the time of a registration or a revocation goes.
enum StoreBenchmark {
    /// Tokens are spread over `owners` owners: per-owner live counts are kept on every registration and outcome.
    static func run(count: Int, owners: Int) async throws {
        let directory = try Scratch.make("store")
        defer { Scratch.remove(directory) }
        let store = try EngineBenchmark.makeStore(directory)
        var started = ContinuousClock.now
        try await EngineBenchmark.populate(store, fake: nil, count: count, prefix: "s", owner: { "owner-\($0 % owners)" }) { _ in Date().addingTimeInterval(-1) }
        let register = Double(count) / (ContinuousClock.now - started).seconds
        started = ContinuousClock.now
        var claims: [Claim] = []
        while true {
            let batch = try await store.claimDue(account: "fb", limit: 2_000)
            if batch.isEmpty { break }
            claims += batch
        }
        let claim = Double(claims.count) / (ContinuousClock.now - started).seconds
        started = ContinuousClock.now
        let result = AttemptResult(outcome: .revoked, httpStatus: 200, duration: .milliseconds(1))
        for chunk in stride(from: 0, to: claims.count, by: 500) {
            let items = claims[chunk..<min(chunk + 500, claims.count)].map {
                AttemptRecord(claim: $0, result: result, decision: .done(.revoked))
            }
            _ = try await store.recordAttempts(items)
        }
        let record = Double(claims.count) / (ContinuousClock.now - started).seconds
        print("store (in-process, \(owners) owner\(owners == 1 ? "" : "s")): register batch \(Int(register))/s, claim \(Int(claim))/s, record outcome \(Int(record))/s")
    }
}
