// placeholder for IntegrationTests
