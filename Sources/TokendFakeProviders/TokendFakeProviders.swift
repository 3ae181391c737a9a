// placeholder for TokendFakeProviders
