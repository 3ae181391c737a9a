import TokendProviders

// The engine asks for "something that logs a token off" (and the control API for one that also logs on); the
// provider clients are that thing.
extension ProviderClients: LogonPerformer {}
