// placeholder for TokendEngine
