// placeholder for TokendControl
