#include "CSQLiteTuning.h"
#include <sqlite3.h>

int tokend_sqlite_configure(void) {
    // Multi-thread mode: GRDB already serialises each connection, so SQLite's per-call connection mutex is
    // pure overhead. No memory statistics: they take a global mutex on every sqlite3_malloc.
    int rc = sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
    if (rc != SQLITE_OK) return rc;
    rc = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    if (rc != SQLITE_OK) return rc;
    // Statement journals (kept for every write that fires the count triggers) spill to a temporary file past
    // 64 KiB by default, and one registration or transition at 1M tokens touches 12-19 pages (50-80 KiB):
    // a temp file created, written and deleted per statement. 2 MiB keeps those in memory while a bulk
    // statement touching thousands of pages still spills instead of growing the heap.
    return sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, 2 * 1024 * 1024);
}
