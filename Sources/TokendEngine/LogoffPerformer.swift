import TokendCore

/// Performs one provider logoff and classifies it. Never throws: every failure is an outcome.
///
/// `TokendProviders` supplies the real implementation; tests inject fakes.
public protocol LogoffPerformer: Sendable {
    func logoff(account: Configuration.Account, token: String) async -> AttemptResult
}
