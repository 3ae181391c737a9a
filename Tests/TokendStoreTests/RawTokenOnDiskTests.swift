import Foundation
import Logging
import Testing
import TokendCore

@testable import TokendSQLite
@testable import TokendStore

/// (e) A raw token never reaches the disk or the logs: only its AES-GCM seal and HMAC fingerprint do.
@Suite struct RawTokenOnDiskTests {
    static func hits(_ needle: String, in file: String) -> Int {
        hits(Data(needle.utf8), in: file)
    }

    static func hits(_ pattern: Data, in file: String) -> Int {
        guard let data = FileManager.default.contents(atPath: file) else { return 0 }
        var count = 0
        var start = data.startIndex
        while let range = data.range(of: pattern, in: start..<data.endIndex) {
            count += 1
            start = range.upperBound
        }
        return count
    }

    @Test func rawTokensNeverAppearInFilesOrLogs() async throws {
        let lines = CapturedLines()
        var logger = Logger(label: "test.store") { _ in CapturingLogHandler(lines: lines) }
        logger.logLevel = .trace
        let h = try StoreHarness(logger: logger)
        defer { h.cleanup() }
        let marker = UUID().uuidString.replacingOccurrences(of: "-", with: "")
        let raws = (0..<12).map { "RAWTOKEN\(marker)N\($0)Z" }
        var ids: [String] = []
        for (index, raw) in raws.enumerated() {
            let account = index.isMultiple(of: 2) ? "acme" : "main"
            let provider: ProviderKind = index.isMultiple(of: 2) ? .fogbugz : .box
            ids.append(
                try await h.register(raw, provider: provider, account: account, labels: ["n": "\(index)"]).id)
        }
        _ = try await h.store.registerBatch(
            raws.prefix(3).map { h.newToken($0) } + [h.newToken("RAWTOKEN\(marker)BATCH")], actor: StoreHarness.client)
        // Exercise every transition that rewrites rows.
        _ = try await h.store.renew(id: ids[0], expiresAt: h.clock.now().adding(.seconds(99)), actor: StoreHarness.client)
        _ = try await h.store.forget(id: ids[1], note: nil, actor: StoreHarness.client)
        _ = try await h.store.requestRevoke(id: ids[2], reason: .requested, note: "n", actor: StoreHarness.client)
        try await h.finish(ids[4], as: .done(.revoked))
        try await h.fail(ids[6])
        _ = try await h.store.retry(id: ids[6], actor: StoreHarness.operatorActor)
        h.clock.advance(by: .seconds(7200))
        for account in ["acme", "main"] {
            for claim in try await h.store.claimDue(account: account, limit: 100) {
                #expect(claim.token.contains(marker))
                try await h.store.recordAttempt(
                    claim,
                    result: AttemptResult(outcome: .transient(detail: "503", retryAfter: nil), httpStatus: 503, duration: .zero),
                    decision: .retry(at: h.clock.now().adding(.seconds(10))))
            }
        }
        for raw in raws { #expect(try await h.store.lookup(rawToken: raw).isEmpty == false) }

        let files = [h.path, h.path + "-wal", h.path + "-shm"]
        #expect(FileManager.default.fileExists(atPath: h.path + "-wal"))
        #expect((try FileManager.default.attributesOfItem(atPath: h.path + "-wal")[.size] as? NSNumber)?.intValue ?? 0 > 0)
        for file in files {
            #expect(Self.hits(marker, in: file) == 0, "raw token bytes found in \(file) before checkpoint")
        }
        try h.sqlite.checkpoint()
        for file in files {
            #expect(Self.hits(marker, in: file) == 0, "raw token bytes found in \(file) after checkpoint")
        }
        // The needle search itself works: the seal is there, the fingerprint is there, the raw is not.
        let sample = try #require(try await h.store.token(id: ids[3]))
        // The store keeps the fingerprint as its MAC (table row + UNIQUE index), the record shows it as text.
        let mac = try #require(Sealer.fingerprintMAC(text: sample.fingerprint))
        #expect(Self.hits(Data(mac), in: h.path) >= 1)
        #expect(lines.all.allSatisfy { !$0.contains(marker) })
        for file in try FileManager.default.contentsOfDirectory(atPath: h.directory.path) {
            #expect(Self.hits(marker, in: h.directory.appendingPathComponent(file).path) == 0, "\(file)")
        }
    }

    @Test func searchHelperFindsPlantedBytes() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("needle-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data("xxNEEDLExxNEEDLE".utf8).write(to: url)
        #expect(Self.hits("NEEDLE", in: url.path) == 2)
    }
}
