// placeholder for TokendConfigTests
