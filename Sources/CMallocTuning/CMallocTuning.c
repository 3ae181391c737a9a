#include "CMallocTuning.h"
#include <stdlib.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

// glibc gives threads that allocate at the same time their own arenas (up to eight per core), and an arena
// keeps the pages it once used. The cap has to be in place before the runtime starts its threads, hence a
// constructor: set from Swift at the top of `tokend serve`, it left RSS as it was (1.38-1.42x idle during a
// 50,000-token bulk job), while MALLOC_ARENA_MAX=2 in the environment gave 1.22-1.23x.
static int applied = 0;

__attribute__((constructor)) static void tokend_malloc_limit_arenas(void) {
#if defined(__GLIBC__)
    if (getenv("MALLOC_ARENA_MAX") != NULL) return;
    if (mallopt(M_ARENA_MAX, 2) == 1) applied = 2;
#endif
}

int tokend_malloc_arena_limit(void) { return applied; }
