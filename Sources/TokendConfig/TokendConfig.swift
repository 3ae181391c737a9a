// placeholder for TokendConfig
