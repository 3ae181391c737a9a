// placeholder for TokendCoreTests
