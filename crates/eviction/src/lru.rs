//! LRU: least recently used.
//!
//! ```text
//! on insert(x):  push x at the head (most recent)
//! on access(x):  move x to the head
//! victim():      walk from the tail (least recent) towards the head,
//!                return the first x that is not pinned
//! on remove(x):  unlink x
//! ```
//!
//! The classic; the default of both tiers, and what SageMaker multi-model
//! endpoints do. Reference: e.g. A. Dan, D. Towsley, "An approximate
//! analysis of the LRU and FIFO buffer replacement schemes",
//! SIGMETRICS 1990; its hit ratio under independent references is
//! predicted by Che's approximation (H. Che, Y. Tung, Z. Wang, IEEE JSAC
//! 2002).
//!
//! Cost: O(1) insert, access and remove (an intrusive doubly linked list
//! over a dense array indexed by object id); `victim` is O(1 + pinned
//! objects skipped at the tail).

use mmesim_core::{AccessCtx, Evictor, ObjectMeta};
use mmesim_engine::IdList;

/// Least-recently-used eviction. See the module notes for the rule.
#[derive(Clone)]
pub struct Lru {
    /// Front: most recently used.
    list: IdList,
    /// Name in `BUG:` messages (the list also serves `fifo` and `ttl`).
    name: &'static str,
}

impl Default for Lru {
    fn default() -> Self {
        Lru::new()
    }
}

impl Lru {
    /// An empty LRU list.
    pub fn new() -> Self {
        Self::named("lru")
    }

    /// An empty list that names itself `name` in protocol-violation panics
    /// (for policies built on it).
    pub(crate) fn named(name: &'static str) -> Self {
        Lru { list: IdList::new(), name }
    }

    /// Whether `id` is in the list.
    #[inline]
    pub(crate) fn contains(&self, id: u32) -> bool {
        self.list.contains(id)
    }

    /// The least recently used object that `pinned` does not reject.
    pub fn lru_unpinned(&self, pinned: &dyn Fn(u32) -> bool) -> Option<u32> {
        self.list.iter_rev().find(|&x| !pinned(x))
    }

    /// Ids from most to least recently used (for tests and inspection).
    pub fn order(&self) -> Vec<u32> {
        self.list.iter().collect()
    }
}

impl Evictor for Lru {
    fn name(&self) -> &str {
        "lru"
    }

    fn on_insert(&mut self, id: u32, _meta: ObjectMeta, _ctx: AccessCtx) {
        if self.list.contains(id) {
            panic!("BUG: {}: object {id} inserted twice", self.name);
        }
        self.list.push_front(id);
    }

    fn on_access(&mut self, id: u32, _ctx: AccessCtx) {
        if !self.list.contains(id) {
            panic!("BUG: {}: access to absent object {id}", self.name);
        }
        self.list.move_to_front(id);
    }

    fn on_remove(&mut self, id: u32) {
        if !self.list.remove(id) {
            panic!("BUG: {}: removal of absent object {id}", self.name);
        }
    }

    fn victim(&mut self, pinned: &dyn Fn(u32) -> bool) -> Option<u32> {
        self.lru_unpinned(pinned)
    }

    fn len(&self) -> usize {
        self.list.len()
    }

    #[inline]
    fn prefetch(&self, id: u32) -> u64 {
        self.list.touch(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{ctx, meta};

    /// Hand trace: insert 1 2 3, access 1, victim is 2; pin 2, victim is 3;
    /// remove 3, access 2, victim is 1.
    #[test]
    fn hand_trace() {
        let mut l = Lru::new();
        for id in [1, 2, 3] {
            l.on_insert(id, meta(), ctx());
        }
        l.on_access(1, ctx());
        assert_eq!(l.order(), vec![1, 3, 2]);
        assert_eq!(l.victim(&|_| false), Some(2));
        assert_eq!(l.victim(&|x| x == 2), Some(3));
        l.on_remove(3);
        l.on_access(2, ctx());
        assert_eq!(l.order(), vec![2, 1]);
        assert_eq!(l.victim(&|_| false), Some(1));
        assert_eq!(l.victim(&|_| true), None);
        assert_eq!(l.len(), 2);
        l.on_remove(1);
        l.on_remove(2);
        assert_eq!(l.victim(&|_| false), None);
        assert!(l.is_empty());
        assert_eq!(Lru::default().victim(&|_| false), None);
    }
}
