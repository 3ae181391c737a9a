// placeholder for TokendStoreTests
