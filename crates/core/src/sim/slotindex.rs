//! One instance's map from model id to slot: an open-addressing hash
//! table whose key and value share one 8-byte entry.
//!
//! ```text
//! home(m)    = (m · 2⁶⁴/φ) >> (64 − bits)           Fibonacci hashing
//! find(m):     i ← home(m); while entry[i].model ∉ {m, EMPTY}: i ← i + 1 (mod 2^bits)
//! insert(m,s): the first EMPTY from home(m); the table doubles rather than
//!              be more than half full
//! remove(m):   empty m's entry, then shift back the entries after it that
//!              may move (Knuth's Algorithm R: no tombstones)
//! ```
//!
//! Why not `FxHashMap<u32, u32>`: hashbrown keeps its control bytes and its
//! buckets in two places, so with thousands of instances or a million
//! models — where an instance's table is cold whenever a request reaches
//! it — one lookup costs two misses to main memory. Here a lookup reads
//! one entry (and, at most half full, rarely the next). Most requests do
//! not even look: they go to an instance holding a copy of their model,
//! and the routing view keeps the slot beside the copy (`CopyList`).
//!
//! Nothing iterates the table, so its order never reaches a decision.

use super::state::NIL;

/// An empty entry (no model id is `NIL`).
const EMPTY: Entry = Entry { model: NIL, slot: NIL };

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    model: u32,
    slot: u32,
}

/// Model id → slot, for one instance.
#[derive(Clone, Debug, Default)]
pub(super) struct SlotIndex {
    /// `2^bits` entries (none until the first insert).
    entries: Box<[Entry]>,
    bits: u32,
    len: u32,
}

impl SlotIndex {
    #[inline(always)]
    fn home(&self, model: u32) -> usize {
        (u64::from(model).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - self.bits)) as usize
    }

    #[inline(always)]
    fn mask(&self) -> usize {
        self.entries.len() - 1
    }

    /// The slot of `model`, if it has one.
    #[inline]
    pub(super) fn get(&self, model: u32) -> Option<u32> {
        if self.len == 0 {
            return None;
        }
        let mask = self.mask();
        let mut i = self.home(model);
        loop {
            let e = self.entries[i];
            if e.model == model {
                return Some(e.slot);
            }
            if e.model == NIL {
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    /// Maps `model` (not present, not `NIL`) to `slot`.
    pub(super) fn insert(&mut self, model: u32, slot: u32) {
        debug_assert!(model != NIL && self.get(model).is_none());
        if 2 * (self.len as usize + 1) > self.entries.len() {
            self.grow();
        }
        self.place(Entry { model, slot });
        self.len += 1;
    }

    fn place(&mut self, e: Entry) {
        let mask = self.mask();
        let mut i = self.home(e.model);
        while self.entries[i].model != NIL {
            i = (i + 1) & mask;
        }
        self.entries[i] = e;
    }

    fn grow(&mut self) {
        let old = std::mem::take(&mut self.entries);
        self.bits = if old.is_empty() { 3 } else { self.bits + 1 };
        self.entries = vec![EMPTY; 1 << self.bits].into_boxed_slice();
        for e in old.iter().filter(|e| e.model != NIL) {
            self.place(*e);
        }
    }

    /// Unmaps `model`, returning its slot if it had one.
    pub(super) fn remove(&mut self, model: u32) -> Option<u32> {
        if self.len == 0 || model == NIL {
            return None;
        }
        let mask = self.mask();
        let mut i = self.home(model);
        while self.entries[i].model != model {
            if self.entries[i].model == NIL {
                return None;
            }
            i = (i + 1) & mask;
        }
        let slot = self.entries[i].slot;
        // Algorithm R: the hole at `i` takes the first later entry of the
        // run whose home is not cyclically in (i, j]; repeat from there.
        let mut j = i;
        loop {
            j = (j + 1) & mask;
            let e = self.entries[j];
            if e.model == NIL {
                break;
            }
            let k = self.home(e.model);
            let stays = if i <= j { i < k && k <= j } else { i < k || k <= j };
            if !stays {
                self.entries[i] = e;
                i = j;
            }
        }
        self.entries[i] = EMPTY;
        self.len -= 1;
        Some(slot)
    }

    /// Models mapped.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.len as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_run_of_collisions_closes_up_after_a_removal() {
        let mut t = SlotIndex::default();
        t.insert(1, 10);
        // Two more models with model 1's home in the 8-entry table: they
        // sit in the two entries after it.
        let home = t.home(1);
        let same: Vec<u32> = (2..).filter(|&m| t.home(m) == home).take(2).collect();
        t.insert(same[0], 11);
        t.insert(same[1], 12);
        let run: Vec<u32> = (0..3).map(|d| t.entries[(home + d) & 7].model).collect();
        assert_eq!((t.entries.len(), run), (8, vec![1, same[0], same[1]]));
        assert_eq!(t.remove(1), Some(10));
        assert_eq!(t.remove(1), None);
        // Both moved back one entry, so the run starts at the home again.
        let run: Vec<u32> = (0..3).map(|d| t.entries[(home + d) & 7].model).collect();
        assert_eq!(run, vec![same[0], same[1], NIL]);
        assert_eq!((t.get(same[0]), t.get(same[1]), t.get(1), t.len()), (Some(11), Some(12), None, 2));
        // Four fill the table half; the fifth doubles it.
        t.insert(1, 13);
        t.insert(99, 14);
        assert_eq!(t.entries.len(), 8);
        t.insert(100, 15);
        assert_eq!((t.entries.len(), t.get(99), t.get(1), t.get(100)), (16, Some(14), Some(13), Some(15)));
    }

    proptest! {
        /// Against a `BTreeMap` under inserts and removals, over key spaces
        /// small (long collision runs, many shifts) and large.
        #[test]
        fn matches_a_map(
            span in prop_oneof![Just(16u32), Just(200u32), Just(u32::MAX - 1)],
            ops in proptest::collection::vec((any::<bool>(), any::<u32>()), 1..600),
        ) {
            let mut t = SlotIndex::default();
            let mut map = std::collections::BTreeMap::new();
            for (k, (add, x)) in ops.into_iter().enumerate() {
                let m = x % span;
                if add && !map.contains_key(&m) {
                    t.insert(m, k as u32);
                    map.insert(m, k as u32);
                } else if !add {
                    prop_assert_eq!(t.remove(m), map.remove(&m));
                }
                prop_assert_eq!(t.len(), map.len());
                prop_assert!(2 * t.len() <= t.entries.len().max(1));
                for (&m, &s) in &map {
                    prop_assert_eq!(t.get(m), Some(s));
                }
                prop_assert_eq!(t.get(m), map.get(&m).copied());
            }
        }
    }
}
