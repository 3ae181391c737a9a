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
    // 64 KiB by default, and one registration or transition at 1M tokens touches 12-19 pages (50-80 KiB): the
    // page images went to that file one pwrite each (strace of `tokend-bench store` with 2 x 5,000 tokens
    // registered, claimed and recorded: 258,026 pwrites, 17,379 with this setting). 2 MiB keeps them in memory,
    // while a bulk statement touching thousands of pages still spills instead of growing the heap.
    return sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, 2 * 1024 * 1024);
}
