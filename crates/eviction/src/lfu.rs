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

use mmesim_core::{AccessCtx, Evictor, ObjectMeta};

use crate::keyed::KeyedOrder;

/// Least-frequently-used eviction. See the module notes for the rule.
#[derive(Clone)]
pub struct Lfu {
    /// Every cached object keyed by its frequency; equal frequencies go by
    /// the time of the last insertion or access.
    order: KeyedOrder<u64>,
}

impl Default for Lfu {
    fn default() -> Self {
        Self::new()
    }
}

impl Lfu {
    /// An empty LFU cache.
    pub fn new() -> Self {
        Lfu { order: KeyedOrder::new("lfu") }
    }

    /// The frequency of `id`, if cached (for tests and inspection).
    pub fn frequency(&self, id: u32) -> Option<u64> {
        self.order.key(id)
    }

    /// Ids in eviction order, first victim first (for tests and inspection).
    pub fn order(&self) -> Vec<u32> {
        self.order.ids().collect()
    }
}

impl Evictor for Lfu {
    fn name(&self) -> &str {
        "lfu"
    }

    fn on_insert(&mut self, id: u32, _meta: ObjectMeta, _ctx: AccessCtx) {
        self.order.insert(id, 1, ());
    }

    fn on_access(&mut self, id: u32, _ctx: AccessCtx) {
        self.order.rekey(id, |freq, _| freq.saturating_add(1));
    }

    fn on_remove(&mut self, id: u32) {
        self.order.remove(id);
    }

    fn victim(&mut self, pinned: &dyn Fn(u32) -> bool) -> Option<u32> {
        self.order.first_unpinned(pinned)
    }

    fn len(&self) -> usize {
        self.order.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_protocol_panics, ctx, meta};

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

    /// Inserting twice, accessing an absent object and removing twice are
    /// caller bugs and panic.
    #[test]
    fn protocol_violations_panic() {
        assert_protocol_panics(Lfu::new, meta(), "access to", [2, 9, 2]);
    }
}
