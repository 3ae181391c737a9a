// placeholder for TokendProviders
