//! LFU: least frequently used, ties broken by recency.
//!
//! ```text
//! state:         a clock t, counting insertions and accesses
//! on insert(x):  freq[x] = 1; last[x] = t++
//! on access(x):  freq[x] += 1; last[x] = t++
//! victim():      walk the objects by (freq, last) ascending,
//!                return the first x that is not pinned
//! on remove(x):  forget x (a re-inserted object starts again at 1)
//! ```
//!
//! Frequency counts the requests since the object entered the cache (the
//! insertion counts 1); among equal frequencies the least recently used
//! goes first. Reference: e.g. J. T. Robinson, M. V. Devarakonda, "Data
//! cache management using frequency-based replacement", SIGMETRICS 1990;
//! in-cache LFU as a web-cache baseline in M. Arlitt, L. Cherkasova,
//! J. Dilley, R. Friedrich, T. Jin, "Evaluating content management
//! techniques for Web proxy caches", ACM SIGMETRICS Performance Evaluation
//! Review 27(4), 2000.
//!
//! Cost: O(log n) insert, access and remove (an ordered set of
//! `(freq, last, id)` plus per-id state in dense arrays); `victim` is
//! O(log n + pinned objects skipped).

use std::collections::BTreeSet;

use mmesim_core::{AccessCtx, Evictor, ObjectMeta};

#[derive(Clone, Copy, Default)]
struct Entry {
    freq: u64,
    /// Clock value at the last insertion or access.
    last: u64,
    present: bool,
}

/// Least-frequently-used eviction. See the module notes for the rule.
#[derive(Clone, Default)]
pub struct Lfu {
    entries: Vec<Entry>,
    /// `(freq, last, id)` of every cached object.
    order: BTreeSet<(u64, u64, u32)>,
    clock: u64,
}

impl Lfu {
    /// An empty LFU cache.
    pub fn new() -> Self {
        Lfu::default()
    }

    fn is_present(&self, id: u32) -> bool {
        self.entries.get(id as usize).is_some_and(|e| e.present)
    }

    fn tick(&mut self) -> u64 {
        let t = self.clock;
        self.clock += 1;
        t
    }

    /// The frequency of `id`, if cached (for tests and inspection).
    pub fn frequency(&self, id: u32) -> Option<u64> {
        self.is_present(id).then(|| self.entries[id as usize].freq)
    }

    /// Ids in eviction order, first victim first (for tests and inspection).
    pub fn order(&self) -> Vec<u32> {
        self.order.iter().map(|&(_, _, id)| id).collect()
    }
}

impl Evictor for Lfu {
    fn name(&self) -> &str {
        "lfu"
    }

    fn on_insert(&mut self, id: u32, _meta: ObjectMeta, _ctx: AccessCtx) {
        let i = id as usize;
        if i >= self.entries.len() {
            self.entries.resize(i + 1, Entry::default());
        }
        if self.entries[i].present {
            panic!("BUG: lfu: object {id} inserted twice");
        }
        let e = Entry { freq: 1, last: self.tick(), present: true };
        self.entries[i] = e;
        self.order.insert((e.freq, e.last, id));
    }

    fn on_access(&mut self, id: u32, _ctx: AccessCtx) {
        if !self.is_present(id) {
            panic!("BUG: lfu: access to absent object {id}");
        }
        let t = self.tick();
        let e = &mut self.entries[id as usize];
        self.order.remove(&(e.freq, e.last, id));
        e.freq = e.freq.saturating_add(1);
        e.last = t;
        self.order.insert((e.freq, e.last, id));
    }

    fn on_remove(&mut self, id: u32) {
        if !self.is_present(id) {
            panic!("BUG: lfu: removal of absent object {id}");
        }
        let e = std::mem::take(&mut self.entries[id as usize]);
        self.order.remove(&(e.freq, e.last, id));
    }

    fn victim(&mut self, pinned: &dyn Fn(u32) -> bool) -> Option<u32> {
        self.order.iter().map(|&(_, _, id)| id).find(|&id| !pinned(id))
    }

    fn len(&self) -> usize {
        self.order.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmesim_core::Bytes;
    use mmesim_engine::SimTime;

    fn ctx() -> AccessCtx {
        AccessCtx { now: SimTime::ZERO, vtime: 0, next_access: None }
    }
    fn meta() -> ObjectMeta {
        ObjectMeta { size: Bytes(1), reload_cost: 1.0 }
    }

    /// Hand trace ((freq, clock) after each step):
    /// insert 1 2 3 → 1:(1,0) 2:(1,1) 3:(1,2); access 1 → 1:(2,3);
    /// access 2 → 2:(2,4); access 1 → 1:(3,5). Order 3 2 1, victim 3.
    /// Remove 3; insert 4 → 4:(1,6): the newest, yet the victim (freq 1).
    /// Remove 4; insert 5 → (1,7), access 5 → (2,8): 2 and 5 tie at freq 2,
    /// 2 is less recent → victim 2. Access 2 → (3,9): victim 5; pin 5 →
    /// 1 (freq 3, older than 2).
    #[test]
    fn hand_trace() {
        let mut l = Lfu::new();
        for id in [1, 2, 3] {
            l.on_insert(id, meta(), ctx());
        }
        for id in [1, 2, 1] {
            l.on_access(id, ctx());
        }
        assert_eq!(l.order(), vec![3, 2, 1]);
        assert_eq!(l.frequency(1), Some(3));
        assert_eq!(l.victim(&|_| false), Some(3));
        l.on_remove(3);
        assert_eq!(l.frequency(3), None);
        l.on_insert(4, meta(), ctx());
        assert_eq!(l.victim(&|_| false), Some(4));
        l.on_remove(4);
        l.on_insert(5, meta(), ctx());
        l.on_access(5, ctx());
        assert_eq!(l.order(), vec![2, 5, 1]);
        assert_eq!(l.victim(&|_| false), Some(2));
        l.on_access(2, ctx());
        assert_eq!(l.victim(&|_| false), Some(5));
        assert_eq!(l.victim(&|x| x == 5), Some(1));
        assert_eq!(l.len(), 3);
    }

    /// A removed object loses its count: re-inserted, it starts at 1.
    #[test]
    fn reinsert_starts_over() {
        let mut l = Lfu::new();
        l.on_insert(1, meta(), ctx());
        for _ in 0..5 {
            l.on_access(1, ctx());
        }
        l.on_insert(2, meta(), ctx());
        l.on_access(2, ctx());
        assert_eq!(l.victim(&|_| false), Some(2));
        l.on_remove(1);
        l.on_insert(1, meta(), ctx());
        assert_eq!(l.frequency(1), Some(1));
        assert_eq!(l.victim(&|_| false), Some(1));
    }

    /// Pinned objects are skipped in (freq, recency) order; all pinned
    /// gives `None`.
    #[test]
    fn skips_pinned() {
        let mut l = Lfu::new();
        for id in [0, 1, 2] {
            l.on_insert(id, meta(), ctx());
        }
        l.on_access(0, ctx());
        // Order: 1 (1), 2 (1), 0 (2).
        assert_eq!(l.victim(&|x| x == 1), Some(2));
        assert_eq!(l.victim(&|x| x != 0), Some(0));
        assert_eq!(l.victim(&|_| true), None);
        while let Some(v) = l.victim(&|_| false) {
            l.on_remove(v);
        }
        assert!(l.is_empty());
    }

    #[test]
    #[should_panic(expected = "BUG: lfu: object 2 inserted twice")]
    fn double_insert_panics() {
        let mut l = Lfu::new();
        l.on_insert(2, meta(), ctx());
        l.on_insert(2, meta(), ctx());
    }

    #[test]
    #[should_panic(expected = "BUG: lfu: access to absent object 9")]
    fn absent_access_panics() {
        Lfu::new().on_access(9, ctx());
    }

    #[test]
    #[should_panic(expected = "BUG: lfu: removal of absent object 2")]
    fn absent_remove_panics() {
        let mut l = Lfu::new();
        l.on_insert(2, meta(), ctx());
        l.on_remove(2);
        l.on_remove(2);
    }
}
