#ifndef CSQLITE_TUNING_H
#define CSQLITE_TUNING_H

/// Process-wide SQLite settings that must be applied before the library initialises (sqlite3_config is
/// variadic, so Swift cannot call it directly): multi-thread mode, no memory statistics, a 2 MiB statement-journal
/// spill threshold. Returns 0 when applied, or the SQLite error code (e.g.
/// SQLITE_MISUSE when SQLite was already initialised, which is harmless: the defaults stay).
int tokend_sqlite_configure(void);

#endif
