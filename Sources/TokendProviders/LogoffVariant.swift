import TokendCore

/// One wire variant of a provider's logoff call: a pure request builder and a pure response classifier.
///
/// Neither function performs I/O, throws or traps, so both can be unit-tested and fuzzed directly;
/// ``ProviderClients`` does the HTTP.
public protocol LogoffVariant: Sendable {
    /// The variant's configuration name.
    var api: ProviderAPI { get }
    /// Builds the logoff request for `token` on `account`.
    func makeRequest(account: Configuration.Account, token: String) -> ProviderRequest
    /// Classifies the provider's answer (providers.md §0 and the variant's section).
    func classify(_ response: ProviderResponse) -> ProviderOutcome
}

extension LogoffVariant {
    /// Classifies `(status, headers, body)`.
    public func classify(status: Int, headers: [HeaderField] = [], body: [UInt8], receivedAt: Int64 = 0) -> ProviderOutcome {
        classify(ProviderResponse(status: status, headers: headers, body: body, receivedAt: receivedAt))
    }
}
