import CMallocTuning

/// Two glibc malloc arenas instead of up to eight per core, applied before `main` by `CMallocTuning` (an
/// operator's own `MALLOC_ARENA_MAX` wins). The daemon's NIO, GRDB and Swift concurrency threads all allocate,
/// and with the default a busy spell left RSS far above idle: a 50,000-token bulk job peaked at 1.40–1.45×
/// idle RSS with the default and at 1.22–1.23× with two arenas (`tokend-bench bulk`, two runs each).
enum MallocTuning {
    /// The cap in force (0: the environment's or glibc's own).
    static var arenaLimit: Int { Int(tokend_malloc_arena_limit()) }
}
