#ifndef CMALLOC_TUNING_H
#define CMALLOC_TUNING_H

/// The malloc arena cap this process applied before `main` (0: none, because `MALLOC_ARENA_MAX` was set in the
/// environment or this is not glibc). Calling it also keeps the constructor that applies the cap linked in.
int tokend_malloc_arena_limit(void);

#endif
