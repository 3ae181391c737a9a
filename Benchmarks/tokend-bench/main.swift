import Foundation
import Logging
import TokendCore
import TokendFakeProviders
import TokendSQLite
import TokendStore

// tokend-bench [quick] — prints every figure of issues 5, 6 and 8 side by side from one run.
// `quick` shrinks the sizes (for CI smoke runs); figures in the README come from a full run in release mode.
let quick = CommandLine.arguments.contains("quick")
let scale = quick ? 0.02 : 1.0
let binaryDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
let tokend = binaryDirectory.appendingPathComponent("tokend").path
LoggingSystem.bootstrap { _ in SwiftLogNoOpLogHandler() }

func line(_ label: String, _ value: String) { print(label.padding(toLength: 52, withPad: " ", startingAt: 0) + value) }
func f(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }
func describe(_ rate: Rate, _ unit: String) -> String {
    "\(f(rate.perSecond, 0)) \(unit)/s, \(f(rate.cpuMicros, 0)) µs CPU each, cores \(f(rate.utilisation * 100, 0)) % busy"
}

/// Fills `sandbox`'s store directly (daemon stopped) with `count` tokens of `owners` owners, expiring over a day
/// from 30 days on, so that none falls due during a run.
func populate(_ sandbox: DaemonBenchmark.Sandbox, count: Int, owners: Int, prefix: String) async throws {
    let store = try sandbox.openStore()
    let far = Date().addingTimeInterval(30 * 86_400)
    try await EngineBenchmark.populate(store, fake: nil, count: count, prefix: prefix, owner: { "owner-\($0 % owners)" }) { i in
        far.addingTimeInterval(Double(i % 86_400))
    }
    try store.checkpoint()
}

/// Raw capacity of the fake provider, then end-to-end revocations of `count` due tokens, side by side.
func engineFigures(rawSeconds: Double, count: Int) async throws -> FakeProviderServer {
    let fake = try await FakeProviderServer.start(FakeProviderOptions(recordCalls: false))
    let raw = await EngineBenchmark.rawCapacity(fake: fake, seconds: rawSeconds)
    let e2e = try await EngineBenchmark.endToEnd(fake: fake, count: count)
    line("fake provider raw capacity (\(EngineBenchmark.concurrency) in flight)", describe(raw, "calls"))
    line("end-to-end revocations", describe(e2e, "revocations") + "  (ratio \(f(e2e.perSecond / raw.perSecond, 2)) of raw)")
    return fake
}

/// The control-API figures against a running daemon, each with the daemon's CPU per operation.
func apiFigures(_ daemon: DaemonBenchmark.Daemon, socket: String, seconds: Double, owners: Int, tokens: String) async throws {
    func cpu(since start: Double, operations: Double) -> String {
        "daemon \(f((daemon.cpuSeconds - start) * 1e6 / operations, 0)) µs CPU each"
    }
    var start = daemon.cpuSeconds
    let single = try await DaemonBenchmark.registerSingle(socket: socket, seconds: seconds, tag: UUID().uuidString)
    line("durable registrations, single, 8 connections", "\(f(single.perSecond, 0))/s, p50 \(f(single.p50 * 1000, 2)) ms, p99 \(f(single.p99 * 1000, 2)) ms, \(cpu(since: start, operations: single.perSecond * seconds))")
    start = daemon.cpuSeconds
    let batch = try await DaemonBenchmark.registerBatch(socket: socket, seconds: seconds, tag: UUID().uuidString)
    line("durable registrations, batch of 1000, 8 conns", "\(f(batch.perSecond, 0)) tokens/s, p50 \(f(batch.p50 * 1000, 1)) ms/batch, \(cpu(since: start, operations: batch.perSecond * seconds))")
    start = daemon.cpuSeconds
    let list = try await DaemonBenchmark.listByOwner(socket: socket, seconds: seconds, owners: owners)
    line("list by owner (100 rows), \(tokens) tokens", "\(f(list.perSecond, 0))/s, p50 \(f(list.p50 * 1000, 2)) ms, p99 \(f(list.p99 * 1000, 2)) ms, \(cpu(since: start, operations: list.perSecond * seconds))")
    // One client: the latency of a listing itself, without seven others queued on the two cores.
    start = daemon.cpuSeconds
    let alone = try await DaemonBenchmark.listByOwner(socket: socket, seconds: seconds, owners: owners, connections: 1)
    line("list by owner (100 rows), 1 connection", "\(f(alone.perSecond, 0))/s, p50 \(f(alone.p50 * 1000, 2)) ms, p99 \(f(alone.p99 * 1000, 2)) ms, \(cpu(since: start, operations: alone.perSecond * seconds))")
}

func benchmark() async throws {
    print("tokend benchmark — \(ProcessInfo.processInfo.activeProcessorCount) cores, \(quick ? "quick" : "full") run, \(Date())")

    if CommandLine.arguments.contains("audit") {
        try await AuditBenchmark.run(
            rounds: 4, perRound: Int(25_000 * scale), verifyRows: quick ? 20_000 : 1_000_000,
            verifyOnly: CommandLine.arguments.contains("verify-only"),
            chainOnly: CommandLine.arguments.contains("chain-only"))
        return
    }
    if CommandLine.arguments.contains("cluster") {
        let env = ProcessInfo.processInfo.environment
        try await ClusterBenchmark.run(
            count: Int(env["BENCH_CLUSTER_COUNT"] ?? "") ?? (quick ? 1_000 : 6_000),
            apiTokens: Int(env["BENCH_PG_TOKENS"] ?? "") ?? (quick ? 20_000 : 1_000_000), binary: tokend)
        return
    }
    if CommandLine.arguments.contains("bulk") {
        let count = Int(ProcessInfo.processInfo.environment["BENCH_BULK_COUNT"] ?? "") ?? (quick ? 20_000 : 1_000_000)
        try await BulkBenchmark.run(count: count, binary: tokend)
        return
    }
    if CommandLine.arguments.contains("api") {
        // Just the control API against an empty store (for profiling).
        let sandbox = try DaemonBenchmark.Sandbox("api")
        defer { Scratch.remove(sandbox.root) }
        let daemon = try await DaemonBenchmark.Daemon(sandbox, binary: tokend)
        print("daemon pid \(daemon.process.processIdentifier)")
        let cpu = daemon.cpuSeconds
        let single = try await DaemonBenchmark.registerSingle(socket: sandbox.socket, seconds: 10, tag: "p")
        let perRequest = (daemon.cpuSeconds - cpu) * 1e6 / (single.perSecond * 10)
        line("durable registrations, single, 8 connections", "\(f(single.perSecond, 0))/s, p50 \(f(single.p50 * 1000, 2)) ms, p99 \(f(single.p99 * 1000, 2)) ms, daemon \(f(perRequest, 0)) µs CPU each")
        daemon.stop()
        return
    }
    if CommandLine.arguments.contains("list") {
        let sandbox = try DaemonBenchmark.Sandbox("list")
        defer { Scratch.remove(sandbox.root) }
        try await populate(sandbox, count: 100_000, owners: 1_000, prefix: "l")
        let daemon = try await DaemonBenchmark.Daemon(sandbox, binary: tokend)
        let list = try await DaemonBenchmark.listByOwner(socket: sandbox.socket, seconds: 8, owners: 1_000)
        line("list by owner (100 rows), 100000 tokens", "\(f(list.perSecond, 0))/s, p50 \(f(list.p50 * 1000, 2)) ms, p99 \(f(list.p99 * 1000, 2)) ms")
        daemon.stop()
        return
    }
    if CommandLine.arguments.contains("loaded") {
        // The control-API figures at 1M tokens only. BENCH_TEMPLATE=DIR keeps the populated store (database and
        // key) there and reuses it on later runs, so that experiments skip the 100-second population.
        let sandbox = try DaemonBenchmark.Sandbox("loaded")
        defer { Scratch.remove(sandbox.root) }
        let fm = FileManager.default
        let template = ProcessInfo.processInfo.environment["BENCH_TEMPLATE"]
        if let template, fm.fileExists(atPath: template + "/tokend.sqlite3") {
            for name in ["tokend.sqlite3", "master.key"] {
                try? fm.removeItem(atPath: sandbox.root.path + "/" + name)
                try fm.copyItem(atPath: template + "/" + name, toPath: sandbox.root.path + "/" + name)
            }
        } else {
            try await populate(sandbox, count: 1_000_000, owners: 10_000, prefix: "big")
            if let template {
                try fm.createDirectory(atPath: template, withIntermediateDirectories: true)
                for name in ["tokend.sqlite3", "master.key"] {
                    try fm.copyItem(atPath: sandbox.root.path + "/" + name, toPath: template + "/" + name)
                }
            }
        }
        try StoreSize.report(database: sandbox.database, tokens: 1_000_000)
        let daemon = try await DaemonBenchmark.Daemon(sandbox, binary: tokend)
        try await apiFigures(daemon, socket: sandbox.socket, seconds: 8, owners: 10_000, tokens: "1000000+")
        daemon.stop()
        return
    }
    if CommandLine.arguments.contains("e2e") {
        let count = Int(ProcessInfo.processInfo.environment["BENCH_E2E_COUNT"] ?? "50000") ?? 50_000
        try await engineFigures(rawSeconds: 5, count: count).shutdown()
        return
    }
    let storeCount = Int(ProcessInfo.processInfo.environment["BENCH_STORE_COUNT"] ?? "") ?? (quick ? 20_000 : 100_000)
    try await StoreBenchmark.run(count: storeCount, owners: 1)
    try await StoreBenchmark.run(count: storeCount, owners: 10_000)
    if CommandLine.arguments.contains("store") { return }

    // Engine (issue 5)
    let fake = try await engineFigures(rawSeconds: quick ? 2 : 5, count: Int(50_000 * scale))
    let late = try await EngineBenchmark.lateness(fake: fake, count: Int(100_000 * scale), window: quick ? 5 : 60)
    line("expiry lateness, \(Int(100_000 * scale)) due within \(quick ? 5 : 60) s", "p50 \(f(late.0 * 1000)) ms, p99 \(f(late.1 * 1000)) ms, max \(f(late.2 * 1000)) ms")
    try await fake.shutdown()

    // Daemon start-up and RSS, empty vs large store (issue 8)
    let big = Int(1_000_000 * scale)
    let empty = try DaemonBenchmark.Sandbox("empty")
    let loaded = try DaemonBenchmark.Sandbox("loaded")
    defer { Scratch.remove(empty.root); Scratch.remove(loaded.root) }
    let started = ContinuousClock.now
    try await populate(loaded, count: big, owners: 10_000, prefix: "big")
    line("store populated directly", "\(big) tokens in \(f((ContinuousClock.now - started).seconds)) s")
    try StoreSize.report(database: loaded.database, tokens: big)
    // Warm the page cache and binary once so both runs compare like with like.
    try await DaemonBenchmark.Daemon(empty, binary: tokend).stop()
    var startEmpty: [Double] = [], startLoaded: [Double] = [], rssEmpty = 0.0, rssLoaded = 0.0
    for _ in 0..<3 {
        let a = try await DaemonBenchmark.Daemon(empty, binary: tokend)
        startEmpty.append(a.readyAfter)
        rssEmpty = a.rssMB
        a.stop()
        let b = try await DaemonBenchmark.Daemon(loaded, binary: tokend)
        startLoaded.append(b.readyAfter)
        rssLoaded = b.rssMB
        b.stop()
    }
    let se = startEmpty.sorted()[1], sl = startLoaded.sorted()[1]
    line("start-up to ready, 0 tokens (median of 3)", "\(f(se * 1000)) ms, RSS \(f(rssEmpty)) MB")
    line("start-up to ready, \(big) tokens (median of 3)", "\(f(sl * 1000)) ms, RSS \(f(rssLoaded)) MB")
    line("ratios loaded/empty", "start-up \(f(sl / se, 2)), RSS \(f(rssLoaded / rssEmpty, 2))")

    // Control API with the large store (issue 6)
    let daemon = try await DaemonBenchmark.Daemon(loaded, binary: tokend)
    try await apiFigures(daemon, socket: loaded.socket, seconds: quick ? 2 : 8, owners: 10_000, tokens: "\(big)+")
    line("RSS after the API load", "\(f(daemon.rssMB)) MB")
    daemon.stop()
}

do {
    try await benchmark()
} catch {
    print("benchmark failed: \(error)")
    exit(1)
}
