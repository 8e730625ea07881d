//! What the model costs in memory, counted by a counting allocator (no timing):
//! - a folded thread pool builds no row for its members, so a process of 10,000 pooled
//!   threads costs far less than a `Row` per thread at the peak of `Model::rows` (every
//!   thread's row was built and kept in a scratch list before: 13 MB at the peak);
//! - the CPU history grows by what a tick needs, not by doubling (13.7 MB of slots for
//!   25,000 tasks on a busy machine, heaptrack, twice what they held).

mod fixture;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Arc;

use fixture::*;
use threadtop::model::placement::HISTORY_TICKS;
use threadtop::model::{Model, Placement, Row, RowKind, ViewOptions};

thread_local! {
    // Counted per thread: the test harness's other threads do not disturb the figures.
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

struct Counting;

fn moved(delta: isize) {
    // `try_with`: the thread's counters may already be gone while it exits.
    let _ = LIVE.try_with(|l| {
        let now = l.get() + delta;
        l.set(now);
        let _ = PEAK.try_with(|p| p.set(p.get().max(now)));
    });
}

// SAFETY: every call is passed on to the system allocator unchanged; only sizes are counted.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        moved(layout.size() as isize);
        // SAFETY: the caller's layout, as given.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        moved(-(layout.size() as isize));
        // SAFETY: allocated by `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        moved(new_size as isize - layout.size() as isize);
        // SAFETY: as given by the caller.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Bytes allocated at the peak of `f`, above what was live before it.
fn peak_of<R>(f: impl FnOnce() -> R) -> (R, isize) {
    let before = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(before));
    let r = f();
    (r, PEAK.with(Cell::get) - before)
}

const THREADS: u32 = 10_000;

fn big_pool(at_secs: u64) -> fixture::P {
    let mut tasks = vec![t(1000, b"server", b'S', at_secs * 1_000_000)];
    tasks.extend((1..THREADS).map(|i| t(1000 + i, b"worker", b'S', at_secs * u64::from(i))));
    p(1000, 1, b"server", tasks)
}

#[test]
fn a_folded_pool_of_ten_thousand_threads_builds_no_row_per_thread() {
    let prev = Arc::new(snap(10, vec![big_pool(10)]));
    let cur = Arc::new(snap(11, vec![big_pool(11)]));
    let model = Model::new(Some(prev), cur);
    let opts = ViewOptions::default();
    let (rows, peak) = peak_of(|| model.rows(&opts));
    eprintln!(
        "rows of {THREADS} threads: peak {peak} bytes ({} a Row)",
        std::mem::size_of::<Row>()
    );
    // The process, one folded pool of the 9,999 workers (the busiest, so first by CPU)
    // and the main thread.
    let kinds: Vec<(RowKind, &str, u32)> = rows
        .iter()
        .map(|r| (r.kind, r.name.as_str(), r.threads))
        .collect();
    assert_eq!(
        kinds,
        [
            (RowKind::Process, "server", THREADS),
            (RowKind::Pool, "worker", THREADS - 1),
            (RowKind::Thread, "server", 1),
        ]
    );
    // The pool's sums are every member's: thread i ran i ns in the second (i * 1e-7 %).
    let pool = &rows[1];
    let want: f64 = (1..THREADS).map(|i| f64::from(i) * 1e-7).sum();
    let got = pool.cpu_percent.unwrap_or(f64::NAN);
    assert!((got - want).abs() < 1e-6 * want, "pool CPU {got} != {want}");
    // Lowest TID first: the pool's TID does not move with its members' CPU use.
    assert_eq!(pool.tid, 1001);
    // The next tick with the same threads and names reuses the grouping: no name or
    // skeleton string per thread (about 80 bytes a thread when grouped again).
    let (again, peak_again) = peak_of(|| model.rows(&opts));
    eprintln!("the same rows again: peak {peak_again} bytes");
    assert_eq!(again, rows);
    let bound_again = isize::try_from(THREADS).unwrap_or(isize::MAX) * 48;
    assert!(
        peak_again < bound_again,
        "the same pool's rows again peaked at {peak_again} bytes (bound {bound_again}): \
         grouped again?"
    );
    let per_row = std::mem::size_of::<Row>() as isize;
    let bound = isize::try_from(THREADS).unwrap_or(isize::MAX) * per_row / 2;
    assert!(
        peak < bound,
        "building the rows peaked at {peak} bytes: half a row ({per_row} bytes) per thread \
         is {bound}; a folded pool's members must not get rows"
    );
}

fn pool_of(n: u32) -> fixture::P {
    let mut tasks = vec![t(1000, b"server", b'S', 0)];
    tasks.extend((1..n).map(|i| t(1000 + i, b"worker", b'S', 0)));
    p(1000, 1, b"server", tasks)
}

#[test]
fn the_cpu_history_grows_by_what_a_tick_needs_not_by_doubling() {
    let first = snap(10, vec![pool_of(THREADS)]);
    // A thousand threads more: a tenth more slots, not twice as many.
    let next = snap(11, vec![pool_of(THREADS + 1000)]);
    let history = Placement::default().advance(&first);
    let before = LIVE.with(Cell::get);
    let history = history.advance(&next);
    let grown = LIVE.with(Cell::get) - before;
    assert_eq!(history.len(), (THREADS + 1000) as usize);
    let slot = (HISTORY_TICKS * 2) as isize;
    let bound = THREADS as isize * slot / 4;
    eprintln!("history of {THREADS} tasks grew by {grown} bytes for 1,000 more");
    assert!(
        grown < bound,
        "the history grew by {grown} bytes for 1,000 tasks more (a quarter of the slots is \
         {bound}): it must not double"
    );
}
