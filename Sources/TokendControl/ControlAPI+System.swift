import Foundation
import HTTPTypes
import Hummingbird
import TokendCore
import TokendEngine
import TokendStore

extension ControlAPI {
    /// `POST /v1/sweep` (operator): run the scheduler now.
    @Sendable func sweep(_ request: Request, context: ControlContext) async throws -> Response {
        let caller = try context.requireCaller()
        try require(.operator, caller)
        _ = try await readObject(request, context: context, optional: true).finish()
        engine.sweep()
        return JSONResponse.make(.accepted, .object(["sweep": .string("started")]))
    }

    /// `POST /v1/hold` (admin): no provider calls until resumed; 200 with the status body.
    @Sendable func hold(_ request: Request, context: ControlContext) async throws -> Response {
        let caller = try context.requireCaller()
        try require(.admin, caller)
        var object = try await readObject(request, context: context, optional: true)
        let reason = try object.string("reason", maxBytes: InputLimits.maxReasonBytes)
        try object.finish()
        try await engine.hold(reason: reason ?? "held by uid \(caller.uid)", actor: caller.actor)
        return JSONResponse.make(.ok, try await statusBody())
    }

    /// `POST /v1/resume` (admin): leave hold; 200 with the status body.
    @Sendable func resume(_ request: Request, context: ControlContext) async throws -> Response {
        let caller = try context.requireCaller()
        try require(.admin, caller)
        _ = try await readObject(request, context: context, optional: true).finish()
        try await engine.resume(actor: caller.actor)
        engine.wake()
        return JSONResponse.make(.ok, try await statusBody())
    }

    /// `GET /v1/status` (client).
    @Sendable func status(_ request: Request, context: ControlContext) async throws -> Response {
        _ = try context.requireCaller()
        try QueryParameters(request).finish()
        return JSONResponse.make(.ok, try await statusBody())
    }

    func statusBody() async throws -> JSON {
        let configuration = settings.snapshot.configuration
        let engineStatus = engine.status()
        let counts = try await store.stateCounts()
        let backlog = try await store.backlog(
            accounts: configuration.accounts.map(\.name), revokeBeforeExpiry: configuration.schedule.revokeBeforeExpiry)
        let instances = try await store.instances()
        let now = clock.now()
        func stateObject(_ states: [TokenState: Int]) -> JSON {
            .object(TokenState.allCases.map { JSON.Member($0.rawValue, .int(states[$0] ?? 0)) })
        }
        return .object([
            "version": .string(version),
            "started_at": .date(startedAt),
            "uptime_seconds": .double((now.timeIntervalSince(startedAt) * 1_000).rounded() / 1_000),
            "hold": .bool(engineStatus.hold),
            "hold_reason": .optional(engineStatus.holdReason),
            "counts": .object([
                "by_state": stateObject(counts.byState),
                "by_provider": .object(ProviderKind.allCases.map { JSON.Member($0.rawValue, stateObject(counts.byState(provider: $0))) }),
                "quarantined": .int(counts.quarantined),
            ]),
            "backlog": .object([
                "due_now": .int(backlog.due),
                "oldest_overdue_seconds": backlog.oldest.map { .double(max(0, now.timeIntervalSince($0).rounded())) } ?? .null,
            ]),
            "providers": .array(
                engineStatus.accounts.map { health in
                    .object([
                        "provider": .string(health.provider.rawValue),
                        "account": .string(health.account),
                        "last_success_at": .date(health.lastSuccessAt),
                        "last_error_at": .date(health.lastErrorAt),
                        "last_error": .optional(health.lastError),
                        "recent_error_rate": .double(health.recentErrorRate),
                        "in_flight": .int(health.inFlight),
                    ])
                }),
            "scheduler_last_loop_at": .date(engineStatus.lastLoopAt),
            "store": .string(store.kind),
            "instances": .array(
                instances.map { instance in
                    .object([
                        "id": .string(instance.id),
                        "host": .string(instance.host),
                        "pid": .int(Int(instance.pid)),
                        "started_at": .date(instance.startedAt),
                        "last_heartbeat_at": .date(instance.lastHeartbeatAt),
                        "in_flight": .int(instance.inFlight),
                    ])
                }),
            "db_size_bytes": .int(await store.databaseSize()),
        ])
    }

    /// `GET /metrics` (client): Prometheus text.
    @Sendable func metricsText(_ request: Request, context: ControlContext) async throws -> Response {
        _ = try context.requireCaller()
        let configuration = settings.snapshot.configuration
        let engineStatus = engine.status()
        let now = clock.now()
        let counts = try await store.stateCounts()
        let backlog = try await store.backlog(
            accounts: configuration.accounts.map(\.name), revokeBeforeExpiry: configuration.schedule.revokeBeforeExpiry)
        metrics.refreshGauges(
            counts: counts, backlog: backlog, now: now, hold: engineStatus.hold, dbSize: await store.databaseSize(),
            uptime: now.timeIntervalSince(startedAt))
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.render())))
    }

    /// `GET /healthz` (any uid): 200 `ok` when the database is writable and the scheduler is alive, else 503.
    @Sendable func healthz(_ request: Request, context: ControlContext) async throws -> Response {
        let configuration = settings.snapshot.configuration
        let now = clock.now()
        guard await store.probeWritable() else {
            throw APIError(.serviceUnavailable, code: "unavailable", "the database is not writable")
        }
        let stale = max(configuration.schedule.sweepInterval * 10, .seconds(30))
        let lastLoop = engine.status().lastLoopAt
        let alive =
            if let lastLoop { now.timeIntervalSince(lastLoop) <= stale.seconds } else { now.timeIntervalSince(startedAt) <= stale.seconds }
        guard alive else {
            throw APIError(.serviceUnavailable, code: "unavailable", "the scheduler has not completed a pass recently")
        }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: "ok")))
    }
}
