// placeholder for TokendControlTests
