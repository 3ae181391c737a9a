// placeholder for TokendSystemd
