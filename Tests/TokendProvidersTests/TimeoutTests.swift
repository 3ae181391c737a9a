import Testing
import TokendCore
@testable import TokendProviders

/// Connect and read timeouts belong to each account, not to the largest among the accounts.
@Suite("Per-account timeouts", .serialized)
struct TimeoutTests {
    static func account(_ name: String, _ url: String, connect: Duration, timeout: Duration = .seconds(10))
        -> Configuration.Account
    {
        Configuration.Account(
            name: name, api: .fogbugzJSON, baseURL: url, timeout: timeout, connectTimeout: connect)
    }

    @Test func shortConnectTimeoutFailsFastBesideALongerOne() async throws {
        let hole = try BlackHoleListener()
        defer { hole.close() }
        let quick = Self.account("quick", hole.url, connect: .milliseconds(200))
        let patient = Self.account("patient", hole.url, connect: .seconds(2))
        let clients = ProviderClients(accounts: [quick, patient], logger: Harness.quietLogger)
        async let patientResult = clients.logoff(account: patient, token: "t-patient")
        let quickResult = await clients.logoff(account: quick, token: "t-quick")
        let slowResult = await patientResult
        try await clients.shutdown()

        #expect(quickResult.outcome.name == "transient")
        #expect(quickResult.outcome.detail == "timeout: connect timeout")
        #expect(quickResult.duration < .milliseconds(1_000), "the 10 s read timeout or 2 s connect timeout applied")
        #expect(slowResult.outcome.name == "transient")
        #expect(slowResult.outcome.detail == "timeout: connect timeout")
        #expect(slowResult.duration >= .milliseconds(1_800), "the 200 ms connect timeout applied to the other account")
        #expect(slowResult.duration < .seconds(5))
    }

    @Test func accountsSharingTimeoutsShareAClient() async throws {
        let a = Self.account("a", "https://a.example", connect: .seconds(1))
        let b = Self.account("b", "https://b.example", connect: .seconds(1))
        let c = Self.account("c", "https://c.example", connect: .seconds(3))
        let clients = ProviderClients(accounts: [a, b, c], logger: Harness.quietLogger)
        #expect(clients.clientCount == 2)
        try await clients.shutdown()
        // After shutdown no client is created for a new timeout pair; the call fails as a transient outcome.
        let late = await clients.logoff(account: Self.account("d", "http://127.0.0.1:9", connect: .seconds(4)), token: "t")
        #expect(late.outcome.name == "transient")
        #expect(clients.clientCount == 2)
    }
}
