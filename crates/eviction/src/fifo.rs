//! FIFO: first in, first out.
//!
//! ```text
//! on insert(x):  push x at the head (newest)
//! on access(x):  nothing (a hit does not change the order)
//! victim():      walk from the tail (oldest) towards the head,
//!                return the first x that is not pinned
//! on remove(x):  unlink x
//! ```
//!
//! The simplest replacement policy: an object's place in line is fixed when
//! it enters, so hits cost nothing to record. Reference: A. Dan,
//! D. Towsley, "An approximate analysis of the LRU and FIFO buffer
//! replacement schemes", SIGMETRICS 1990 (FIFO and LRU compared under
//! independent references).
//!
//! Cost: O(1) insert, access and remove (an intrusive doubly linked list
//! over a dense array indexed by object id); `victim` is O(1 + pinned
//! objects skipped at the tail).

use crate::Lru;
use mmesim_core::{AccessCtx, Evictor, ObjectMeta};

/// First-in-first-out eviction. See the module notes for the rule.
///
/// The queue is [`Lru`]'s intrusive list with accesses left out: an
/// object's place is fixed when it enters.
#[derive(Clone)]
pub struct Fifo {
    list: Lru,
}

impl Default for Fifo {
    fn default() -> Self {
        Self::new()
    }
}

impl Fifo {
    /// An empty FIFO queue.
    pub fn new() -> Self {
        Fifo { list: Lru::named("fifo") }
    }

    /// Ids from oldest to newest, i.e. in eviction order (for tests and
    /// inspection).
    pub fn order(&self) -> Vec<u32> {
        let mut v = self.list.order();
        v.reverse();
        v
    }
}

impl Evictor for Fifo {
    fn name(&self) -> &str {
        "fifo"
    }

    fn on_insert(&mut self, id: u32, meta: ObjectMeta, ctx: AccessCtx) {
        self.list.on_insert(id, meta, ctx);
    }

    fn on_access(&mut self, id: u32, _ctx: AccessCtx) {
        if !self.list.contains(id) {
            panic!("BUG: fifo: access to absent object {id}");
        }
    }

    fn on_remove(&mut self, id: u32) {
        self.list.on_remove(id);
    }

    fn victim(&mut self, pinned: &dyn Fn(u32) -> bool) -> Option<u32> {
        self.list.lru_unpinned(pinned)
    }

    fn len(&self) -> usize {
        self.list.len()
    }

    #[inline]
    fn prefetch(&self, id: u32) -> u64 {
        self.list.prefetch(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_protocol_panics, ctx, meta};

    /// Hand trace: insert 1 2 3, access 1 and 3 (no effect): order 1 2 3,
    /// victim 1. Remove 1, insert 4, access 2: order 2 3 4, victim 2.
    /// Remove 3 (never proposed), insert 1 again: order 2 4 1; removing
    /// victims one by one gives 2, 4, 1.
    #[test]
    fn hand_trace() {
        let mut f = Fifo::new();
        for id in [1, 2, 3] {
            f.on_insert(id, meta(), ctx());
        }
        f.on_access(1, ctx());
        f.on_access(3, ctx());
        assert_eq!(f.order(), vec![1, 2, 3]);
        assert_eq!(f.victim(&|_| false), Some(1));
        assert_eq!(f.victim(&|_| false), Some(1), "proposing does not forget");
        f.on_remove(1);
        f.on_insert(4, meta(), ctx());
        f.on_access(2, ctx());
        assert_eq!(f.order(), vec![2, 3, 4]);
        assert_eq!(f.victim(&|_| false), Some(2));
        f.on_remove(3);
        f.on_insert(1, meta(), ctx());
        assert_eq!(f.order(), vec![2, 4, 1]);
        assert_eq!(f.len(), 3);
        let mut evicted = Vec::new();
        while let Some(v) = f.victim(&|_| false) {
            f.on_remove(v);
            evicted.push(v);
        }
        assert_eq!(evicted, vec![2, 4, 1]);
        assert!(f.is_empty());
    }

    /// Pinned objects are skipped in age order; all pinned gives `None`.
    #[test]
    fn skips_pinned() {
        let mut f = Fifo::new();
        for id in [5, 0, 9] {
            f.on_insert(id, meta(), ctx());
        }
        assert_eq!(f.victim(&|x| x == 5), Some(0));
        assert_eq!(f.victim(&|x| x != 9), Some(9));
        assert_eq!(f.victim(&|_| true), None);
        assert_eq!(f.len(), 3);
    }

    /// Inserting twice, accessing an absent object and removing twice are
    /// caller bugs and panic.
    #[test]
    fn protocol_violations_panic() {
        assert_protocol_panics(Fifo::new, meta(), "access to", [2, 7, 2]);
    }
}
