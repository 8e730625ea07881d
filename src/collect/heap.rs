//! How glibc's allocator is set up for a monitor whose big buffers are made on one
//! thread and freed on another, a tick or two later.

/// Makes every allocation of 1 MiB or more its own mapping, returned to the kernel when
/// freed; lets up to 2 MiB stay free at the top of the heap; and keeps one arena for all
/// threads. Called first thing in `main` (arenas are made at a thread's first
/// allocation) and again when a collector starts (for library users; it is idempotent).
///
/// Thresholds: a tick's big buffers (at 10,000 tasks: 1.8 MiB of tasks per snapshot,
/// 1.2 MiB of rates) are freed a tick or two later on another thread. glibc raises its
/// mmap threshold the first time such a block is freed, then serves them from the heap,
/// where the freed space stays in the process and fragments: measured at 10,000 threads,
/// RSS 22.9 -> 24.2 MiB over 10 s with a 29 MiB peak; with fixed thresholds 16.7 -> 16.8
/// MiB. Setting them also turns the dynamic raise off. A lower mmap threshold (128 KiB)
/// kept RSS as flat but sent the 1,000-thread tick's quarter-MiB buffers through mmap and
/// page faults every tick.
///
/// One arena: by default each thread that allocates gets its own (the collector's held
/// 3.4 MiB beside the main thread's 4.0), and what one thread frees of another's goes back
/// to the other's arena, so both keep free space. At 10,000 waking threads with the
/// events, one arena took the peak RSS from 19.7 to 18.9 MiB and the steady RSS from 18.6
/// to 17.7 (`GLIBC_TUNABLES=glibc.malloc.arena_max=1`, same build, one run each). The
/// threads that allocate every tick are two (collector and display), so the arena's lock
/// is rarely contended.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only tunes glibc's allocator and is safe to call at any time, from
    // any thread; a failure (return 0) leaves the default behaviour.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 2 * 1024 * 1024);
    }
}
