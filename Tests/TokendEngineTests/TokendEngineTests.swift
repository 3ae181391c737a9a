// placeholder for TokendEngineTests
