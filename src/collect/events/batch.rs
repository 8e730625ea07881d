//! Reads the events' task map in batches (`BPF_MAP_LOOKUP_BATCH`, kernel 5.6+): a system
//! call per 256 entries, where aya 0.14's iterator makes two per entry (the next key, then
//! its value). At 10,000 threads that wake ten times a second every task has an entry,
//! and the two calls an entry were about 20,000 system calls a tick, the biggest part of
//! the collector's tick with the events on (README, Performance).

use std::os::fd::{AsFd, AsRawFd};

use aya::maps::MapData;

use super::layout::TaskVal;

const BPF_MAP_LOOKUP_BATCH: libc::c_long = 24;

/// Entries a call asks for. A hash map hands out whole buckets: a bucket with more
/// entries than room left fails with ENOSPC, and the room is then doubled.
const CHUNK: usize = 256;

#[repr(C)]
#[derive(Default)]
struct BatchAttr {
    in_batch: u64,
    out_batch: u64,
    keys: u64,
    values: u64,
    count: u32,
    map_fd: u32,
    elem_flags: u64,
    flags: u64,
}

#[derive(Default)]
pub struct BatchReader {
    keys: Vec<u32>,
    vals: Vec<TaskVal>,
    /// System calls made by the last `for_each`, for the test that batches are batches.
    pub calls: u32,
}

impl BatchReader {
    /// Calls `f` for every entry of `map` (a hash of u32 keys to `TaskVal`). `Err` when
    /// the kernel refuses batches at the first call (then nothing was visited: fall back
    /// to reading entry by entry); a failure after the first batch ends the pass early,
    /// as an entry deleted under aya's iterator does: the rest come next tick.
    pub fn for_each(
        &mut self,
        map: &MapData,
        mut f: impl FnMut(u32, &TaskVal),
    ) -> Result<(), std::io::Error> {
        let fd = map.fd().as_fd().as_raw_fd();
        let mut room = CHUNK;
        let (mut token_in, mut token_out) = (0u32, 0u32);
        let mut first = true;
        self.calls = 0;
        loop {
            if self.keys.len() < room {
                self.keys.resize(room, 0);
                self.vals.resize(room, TaskVal::ZERO);
            }
            let mut attr = BatchAttr {
                in_batch: if first {
                    0
                } else {
                    &token_in as *const u32 as u64
                },
                out_batch: &mut token_out as *mut u32 as u64,
                keys: self.keys.as_mut_ptr() as u64,
                values: self.vals.as_mut_ptr() as u64,
                count: room as u32,
                map_fd: fd as u32,
                ..Default::default()
            };
            // `keys` and `values` have room for `count` u32 keys and `TaskVal`s (the map's
            // key and value sizes, which aya checked at load), and the tokens are u32 as a
            // hash map's batch tokens are.
            let err = crate::collect::bpf_sys::bpf(BPF_MAP_LOOKUP_BATCH, &mut attr).err();
            self.calls += 1;
            let n = (attr.count as usize).min(room);
            match &err {
                Some(e) if e.raw_os_error() == Some(libc::ENOSPC) && n == 0 => {
                    // A bucket bigger than the room: more room, the same batch again.
                    room *= 2;
                    continue;
                }
                Some(e) if e.raw_os_error() != Some(libc::ENOENT) && n == 0 => {
                    return if first {
                        Err(std::io::Error::from_raw_os_error(
                            e.raw_os_error().unwrap_or(0),
                        ))
                    } else {
                        Ok(())
                    };
                }
                _ => {}
            }
            for i in 0..n {
                f(self.keys[i], &self.vals[i]);
            }
            // ENOENT: that was the last batch (its entries, if any, are in `n`).
            if err.is_some() {
                return Ok(());
            }
            token_in = token_out;
            first = false;
        }
    }
}
