//! One instance's model residencies, sparse: memory proportional to the
//! models the instance holds, not to the model population (issue 15).
//!
//! ```text
//! find(model):        index[model]                      O(1) (hash, `slotindex.rs`)
//! find_or_add(model): index[model], or a free slot (LIFO), or a new one
//! release(slot):      forget index[model]; the slot goes on the free list
//! ```
//!
//! A *slot* is a small dense id, local to the instance, naming one model
//! there while the instance has anything to do with it: loaded, loading,
//! unloading, on disk, downloading, waited for, or remembered by an evictor
//! (a ghost). Everything per (instance, model) is indexed by slot — the
//! [`Residency`], the evictors' and the recency list's links — so those
//! structures are as large as the most models the instance ever held at
//! once, however many models the endpoint hosts. Only `find` pays for the
//! sparsity (one hash probe per routed request); a request keeps its slot
//! (`Req::slot`) for everything after.
//!
//! `cache.rs` decides when a slot is idle and not remembered, and releases
//! it. Slots are handed out lowest-freed-last (a stack), and nothing
//! iterates the hash map, so the run stays deterministic.

use super::cache::Residency;
use super::slotindex::SlotIndex;
use super::state::NIL;

/// One instance's residencies by slot, and the slot of each model.
#[derive(Default)]
pub(super) struct SlotTable {
    /// By slot; a free slot has `model == NIL`.
    slots: Vec<Residency>,
    /// Model id → slot, for the slots in use.
    index: SlotIndex,
    /// Free slots, the last freed on top.
    free: Vec<u32>,
}

impl SlotTable {
    /// The slot of `model`, if the instance has one for it.
    #[inline]
    pub(super) fn find(&self, model: u32) -> Option<u32> {
        self.index.get(model)
    }

    /// Starts reading the table's header (where `find` and `get` start).
    #[inline(always)]
    pub(super) fn prefetch_header(&self) {
        mmesim_engine::prefetch_ref(&self.index);
        mmesim_engine::prefetch_ref(&self.slots);
    }

    /// Starts reading the residency in `slot`.
    #[inline(always)]
    pub(super) fn prefetch_slot(&self, slot: u32) {
        mmesim_engine::prefetch(&self.slots, slot as usize);
    }

    /// The slot of `model`, made (absent everywhere, of `memory` and
    /// `artifact` bytes) if there is none.
    pub(super) fn find_or_add(&mut self, model: u32, memory: u64, artifact: u64) -> u32 {
        if let Some(s) = self.find(model) {
            return s;
        }
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(Residency::FREE);
                (self.slots.len() - 1) as u32
            }
        };
        self.slots[slot as usize] = Residency::absent(model, memory, artifact);
        self.index.insert(model, slot);
        slot
    }

    /// Forgets the model of `slot` and frees the slot; panics with `BUG:`
    /// unless the slot is in use.
    pub(super) fn release(&mut self, slot: u32) {
        let model = self.slots[slot as usize].model;
        if model == NIL || self.index.remove(model) != Some(slot) {
            panic!("BUG: release of slot {slot}, which holds no model");
        }
        self.slots[slot as usize] = Residency::FREE;
        self.free.push(slot);
    }

    /// The residency in `slot`.
    #[inline]
    pub(super) fn get(&self, slot: u32) -> &Residency {
        &self.slots[slot as usize]
    }

    /// The residency in `slot`, to change.
    #[inline]
    pub(super) fn get_mut(&mut self, slot: u32) -> &mut Residency {
        &mut self.slots[slot as usize]
    }

    /// Every residency by slot, free slots included (`model == NIL`).
    #[inline]
    pub(super) fn all(&self) -> &[Residency] {
        &self.slots
    }

    /// `(slot, residency)` of the slots in use, by slot.
    pub(super) fn in_use(&self) -> impl Iterator<Item = (u32, &Residency)> + '_ {
        self.slots.iter().enumerate().filter(|(_, r)| r.model != NIL).map(|(i, r)| (i as u32, r))
    }

    /// Slots in use.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.index.len()
    }

    /// Slots ever made (in use or free): what the instance's per-slot
    /// arrays are sized to.
    #[cfg(test)]
    pub(super) fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Drops everything (a lost instance), returning the memory.
    pub(super) fn clear(&mut self) {
        *self = SlotTable::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn slots_are_reused_last_freed_first_and_the_index_follows() {
        let mut t = SlotTable::default();
        let (a, b, c) = (t.find_or_add(700, 0, 0), t.find_or_add(3, 0, 0), t.find_or_add(1_000_000, 0, 0));
        assert_eq!((a, b, c), (0, 1, 2));
        assert_eq!(t.find_or_add(3, 0, 0), 1, "an existing model keeps its slot");
        assert_eq!((t.find(700), t.find(5)), (Some(0), None));
        assert_eq!(t.get(c).model, 1_000_000);
        t.release(a);
        t.release(c);
        assert_eq!((t.len(), t.capacity(), t.find(700), t.get(a).model), (1, 3, None, NIL));
        // Last freed (2), then 0; then a new slot.
        assert_eq!((t.find_or_add(8, 0, 0), t.find_or_add(9, 0, 0), t.find_or_add(10, 0, 0)), (2, 0, 3));
        assert_eq!(t.in_use().map(|(s, r)| (s, r.model)).collect::<Vec<_>>(), [(0, 9), (1, 3), (2, 8), (3, 10)]);
        t.clear();
        assert_eq!((t.len(), t.capacity(), t.find(3)), (0, 0, None));
    }

    #[test]
    #[should_panic(expected = "BUG: release of slot 0, which holds no model")]
    fn releasing_a_free_slot_is_a_bug() {
        let mut t = SlotTable::default();
        let s = t.find_or_add(4, 0, 0);
        t.release(s);
        t.release(s);
    }

    proptest! {
        /// Against a model of the table (a map model → slot): `find` agrees,
        /// slots in use are distinct and hold their model, and the table
        /// never has more slots than the most models held at once.
        #[test]
        fn the_table_matches_a_map_and_stays_as_small_as_the_peak(
            ops in proptest::collection::vec((any::<bool>(), 0u32..40), 1..400)
        ) {
            let mut t = SlotTable::default();
            let mut model = std::collections::BTreeMap::new();
            let mut peak = 0;
            for (add, m) in ops {
                if add {
                    let s = t.find_or_add(m, 0, 0);
                    prop_assert_eq!(*model.entry(m).or_insert(s), s);
                } else if let Some(s) = model.remove(&m) {
                    t.release(s);
                }
                peak = peak.max(model.len());
                prop_assert_eq!(t.len(), model.len());
                prop_assert!(t.capacity() <= peak);
                for m in 0..40 {
                    prop_assert_eq!(t.find(m), model.get(&m).copied());
                }
                for (s, r) in t.in_use() {
                    prop_assert_eq!(model.get(&r.model), Some(&s));
                }
            }
        }
    }
}
