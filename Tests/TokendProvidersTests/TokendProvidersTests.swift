// placeholder for TokendProvidersTests
