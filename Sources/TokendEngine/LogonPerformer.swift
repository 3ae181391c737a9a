import TokendCore

/// Performs one provider logon (FogBugz `cmd=logon`) and classifies it. Never throws: every failure is an
/// outcome. A logon performer also logs off: a token obtained but not taken into custody (the database refused
/// the write) is logged off again at once rather than left alive.
///
/// `TokendProviders` supplies the real implementation; tests inject fakes.
public protocol LogonPerformer: LogoffPerformer {
    func logon(account: Configuration.Account, email: String, password: String) async -> LogonOutcome
}
