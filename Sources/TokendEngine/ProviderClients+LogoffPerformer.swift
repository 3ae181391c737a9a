import TokendProviders

// The engine asks for "something that logs a token off"; the provider clients are that thing.
extension ProviderClients: LogoffPerformer {}
