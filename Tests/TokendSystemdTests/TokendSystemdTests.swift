// placeholder for TokendSystemdTests
