// placeholder for TokendClient
