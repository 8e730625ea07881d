//! One tick's per-task event figures, kept as a vector sorted by task key.
//!
//! Why not a HashMap: at 10,000 waking threads the map had 16,384 buckets of 216 bytes
//! (3.5 MB) and grew by rehashing while filled (old and new table alive together), and up
//! to three ticks are alive at once (the collector's next one, the model's previous and
//! current): heaptrack put 8.9 MB of the 23 MB heap peak there. Sorted and sized to what
//! the kernel map held, one tick is 2.2 MB, and a lookup is a binary search.

use super::TaskEvents;
use crate::collect::snapshot::TaskKey;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct EventTasks(Vec<(TaskKey, TaskEvents)>);

impl EventTasks {
    pub fn new() -> Self {
        Self::default()
    }

    /// From entries in any order; a key given twice is kept once (which of the two is
    /// not said: a batched read of the kernel map repeats an entry only when an update
    /// moved it during the read, and both readings are of that one pass).
    pub fn from_unsorted(mut v: Vec<(TaskKey, TaskEvents)>) -> Self {
        // In place: a stable sort's scratch was half the vector again (1.1 MB at 10,000
        // threads) at the tick's peak.
        v.sort_unstable_by_key(|(k, _)| *k);
        v.dedup_by_key(|(k, _)| *k);
        v.shrink_to_fit();
        Self(v)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn find(&self, key: &TaskKey) -> Result<usize, usize> {
        self.0.binary_search_by_key(key, |(k, _)| *k)
    }

    pub fn get(&self, key: &TaskKey) -> Option<&TaskEvents> {
        self.find(key).ok().map(|i| &self.0[i].1)
    }

    pub fn get_mut(&mut self, key: &TaskKey) -> Option<&mut TaskEvents> {
        self.find(key).ok().map(|i| &mut self.0[i].1)
    }

    pub fn contains_key(&self, key: &TaskKey) -> bool {
        self.find(key).is_ok()
    }

    /// Sets `key`'s figures (replacing any). O(n), but O(1) when keys come in order, as
    /// they do from a recording.
    pub fn insert(&mut self, key: TaskKey, e: TaskEvents) {
        match self.find(&key) {
            Ok(i) => self.0[i].1 = e,
            Err(i) => self.0.insert(i, (key, e)),
        }
    }

    /// `key`'s figures, inserted from `make` when it has none.
    pub fn get_or_insert_with(
        &mut self,
        key: TaskKey,
        make: impl FnOnce() -> TaskEvents,
    ) -> &mut TaskEvents {
        let i = match self.find(&key) {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (key, make()));
                i
            }
        };
        &mut self.0[i].1
    }

    /// Keeps the tasks `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(&TaskKey, &TaskEvents) -> bool) {
        self.0.retain(|(k, e)| keep(k, e));
    }

    /// In key order.
    pub fn iter(&self) -> impl Iterator<Item = (&TaskKey, &TaskEvents)> {
        self.0.iter().map(|(k, e)| (k, e))
    }

    /// In key order.
    pub fn keys(&self) -> impl Iterator<Item = &TaskKey> {
        self.0.iter().map(|(k, _)| k)
    }
}

impl FromIterator<(TaskKey, TaskEvents)> for EventTasks {
    fn from_iter<I: IntoIterator<Item = (TaskKey, TaskEvents)>>(it: I) -> Self {
        Self::from_unsorted(it.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(tid: u32, start: u64) -> TaskKey {
        TaskKey {
            tid,
            start_ticks: start,
        }
    }

    fn ev(waits: u32) -> TaskEvents {
        TaskEvents {
            waits,
            ..TaskEvents::default()
        }
    }

    #[test]
    fn lookups_insertions_and_duplicates_behave_as_a_map() {
        let mut t = EventTasks::from_unsorted(vec![
            (key(30, 1), ev(3)),
            (key(10, 1), ev(1)),
            (key(20, 1), ev(2)),
            (key(10, 1), ev(9)),
        ]);
        assert_eq!(t.len(), 3);
        // One of the two readings.
        assert!(matches!(t.get(&key(10, 1)).map(|e| e.waits), Some(1 | 9)));
        assert_eq!(t.get(&key(10, 2)), None, "same TID, another task");
        assert!(t.contains_key(&key(20, 1)));
        t.insert(key(15, 1), ev(5));
        t.insert(key(30, 1), ev(7));
        t.get_or_insert_with(key(5, 1), || ev(4)).waits += 1;
        t.get_or_insert_with(key(20, 1), || ev(0)).waits += 1;
        let mut all: Vec<(u32, u32)> = t.iter().map(|(k, e)| (k.tid, e.waits)).collect();
        assert_eq!(all.len(), 5);
        assert!(matches!(all[1], (10, 1 | 9)), "{all:?}");
        all.remove(1);
        assert_eq!(all, vec![(5, 5), (15, 5), (20, 3), (30, 7)]);
    }

    #[test]
    fn built_to_size_without_spare_room() {
        let v: Vec<(TaskKey, TaskEvents)> =
            (0..10_000u32).rev().map(|i| (key(i, 0), ev(i))).collect();
        let t = EventTasks::from_unsorted(v);
        assert_eq!(t.0.capacity(), 10_000);
        assert!(t.keys().zip(t.keys().skip(1)).all(|(a, b)| a < b));
    }
}
