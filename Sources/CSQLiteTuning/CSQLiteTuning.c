#include "CSQLiteTuning.h"
#include <sqlite3.h>

int tokend_sqlite_configure(void) {
    // Multi-thread mode: GRDB already serialises each connection, so SQLite's per-call connection mutex is
    // pure overhead. No memory statistics: they take a global mutex on every sqlite3_malloc.
    int rc = sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
    if (rc != SQLITE_OK) return rc;
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
