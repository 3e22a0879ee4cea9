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
//! over a dense array indexed by object id); `victim` is amortised
//! O(log n).
//!
//! Pinned objects are set aside, not walked past again (issue 15). An
//! endpoint under pressure keeps many pinned objects at the least-recent
//! end — models with requests queued, artifacts of loaded models (a hit in
//! memory does not touch the disk tier's order) — and a walk past them on
//! every `victim` call made eviction O(pinned). Instead, `victim` *parks*
//! each pinned object it meets at the tail: it leaves the list for a side
//! set whose members are all older than everything still listed, ranked
//! in the order parked (oldest first). The caller reports each pinned
//! object that becomes unpinned ([`Evictor::on_unpin`]); a parked object
//! so reported is a candidate again, and older than any listed one, so
//! `victim` proposes the oldest of those first. An access moves a parked
//! object back to the head, as it would move a listed one. The order, and
//! so every proposal, is exactly the plain walk's.
//!
//! ```text
//! victim():  for (rank, x) in unpinned parked objects, oldest first:
//!                if x is still parked with that rank and not pinned: return x
//!            while the tail t of the list is pinned: park t (rank: next)
//!            return the tail (None if the list is empty)
//! on_unpin(x): if x is parked: x is a candidate again
//! ```

use mmesim_core::{AccessCtx, Evictor, ObjectMeta};
use mmesim_engine::IdList;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Least-recently-used eviction. See the module notes for the rule.
#[derive(Clone)]
pub struct Lru {
    /// Front: most recently used. Parked objects are not in it.
    list: IdList,
    /// Name in `BUG:` messages (the list also serves `fifo` and `ttl`).
    name: &'static str,
    /// Whether `victim` parks pinned objects (plain `lru`; `fifo` and
    /// `ttl`, whose callers may not report unpins, walk).
    parks: bool,
    /// Per object id: 1 + its parking rank, or 0 if not parked.
    parked: Vec<u64>,
    /// Objects parked.
    parked_len: usize,
    /// The next parking rank (ranks only grow: a higher rank is younger).
    next_rank: u64,
    /// Parked objects reported unpinned, `(rank, id)`, oldest first; an
    /// entry is stale if the object left the side set or was parked again
    /// since (its rank differs), or is pinned again (dropped when met).
    unpinned: BinaryHeap<Reverse<(u64, u32)>>,
}

impl Default for Lru {
    fn default() -> Self {
        Lru::new()
    }
}

impl Lru {
    /// An empty LRU list.
    pub fn new() -> Self {
        Lru { parks: true, ..Self::named("lru") }
    }

    pub(crate) fn named(name: &'static str) -> Self {
        Lru {
            list: IdList::new(),
            name,
            parks: false,
            parked: Vec::new(),
            parked_len: 0,
            next_rank: 0,
            unpinned: BinaryHeap::new(),
        }
    }

    #[inline]
    fn is_parked(&self, id: u32) -> bool {
        self.parked.get(id as usize).is_some_and(|&r| r != 0)
    }

    /// Takes `id` out of the side set.
    #[inline]
    fn unpark(&mut self, id: u32) {
        self.parked[id as usize] = 0;
        self.parked_len -= 1;
        if self.parked_len == 0 {
            self.unpinned.clear();
        }
    }

    #[inline]
    pub(crate) fn contains(&self, id: u32) -> bool {
        self.list.contains(id) || self.is_parked(id)
    }

    /// The least recently used listed object not `pinned`, without
    /// changing anything: a walk from the tail, for `fifo` and `ttl`,
    /// which never park (on a plain `lru`, objects `victim` parked are not
    /// listed: ask `victim`).
    pub fn lru_unpinned(&self, pinned: &dyn Fn(u32) -> bool) -> Option<u32> {
        self.list.iter_rev().find(|&x| !pinned(x))
    }

    /// Objects from most to least recently used (parked ones last, in
    /// their order).
    pub fn order(&self) -> Vec<u32> {
        let mut parked: Vec<(u64, u32)> = (0..self.parked.len() as u32)
            .filter(|&x| self.is_parked(x))
            .map(|x| (self.parked[x as usize], x))
            .collect();
        parked.sort_unstable_by_key(|&(r, _)| Reverse(r));
        self.list.iter().chain(parked.into_iter().map(|(_, x)| x)).collect()
    }

    /// Objects set aside by `victim` as pinned (for tests).
    pub fn parked(&self) -> usize {
        self.parked_len
    }
}

impl Evictor for Lru {
    fn name(&self) -> &str {
        "lru"
    }

    fn on_insert(&mut self, id: u32, _meta: ObjectMeta, _ctx: AccessCtx) {
        if self.contains(id) {
            panic!("BUG: {}: object {id} inserted twice", self.name);
        }
        self.list.push_front(id);
    }

    fn on_access(&mut self, id: u32, _ctx: AccessCtx) {
        if self.is_parked(id) {
            self.unpark(id);
            self.list.push_front(id);
            return;
        }
        if !self.list.contains(id) {
            panic!("BUG: {}: access to absent object {id}", self.name);
        }
        self.list.move_to_front(id);
    }

    fn on_remove(&mut self, id: u32) {
        if self.is_parked(id) {
            self.unpark(id);
            return;
        }
        if !self.list.remove(id) {
            panic!("BUG: {}: removal of absent object {id}", self.name);
        }
    }

    fn on_unpin(&mut self, id: u32) {
        if self.parked_len == 0 {
            return; // the usual case: nothing parked, no table to read
        }
        if let Some(&r) = self.parked.get(id as usize) {
            if r != 0 {
                self.unpinned.push(Reverse((r, id)));
                if self.unpinned.len() > 2 * self.parked_len + 64 {
                    // Reports of objects pinned and unpinned again while
                    // parked pile up: keep one live entry per object.
                    let parked = &self.parked;
                    let mut live: Vec<_> =
                        self.unpinned.drain().filter(|Reverse((r, x))| parked[*x as usize] == *r).collect();
                    live.sort_unstable();
                    live.dedup();
                    self.unpinned = live.into();
                }
            }
        }
    }

    fn victim(&mut self, pinned: &dyn Fn(u32) -> bool) -> Option<u32> {
        if !self.parks {
            return self.lru_unpinned(pinned);
        }
        // Parked objects are older than every listed one: the oldest of
        // them not pinned goes first.
        while let Some(&Reverse((r, x))) = self.unpinned.peek() {
            if self.parked[x as usize] == r && !pinned(x) {
                return Some(x);
            }
            // Stale, or pinned again: its next unpin reports it anew.
            self.unpinned.pop();
        }
        while let Some(t) = self.list.back() {
            if !pinned(t) {
                return Some(t);
            }
            self.list.remove(t);
            if t as usize >= self.parked.len() {
                self.parked.resize(t as usize + 1, 0);
            }
            self.next_rank += 1;
            self.parked[t as usize] = self.next_rank;
            self.parked_len += 1;
        }
        None
    }

    fn len(&self) -> usize {
        self.list.len() + self.parked_len
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
    use proptest::prelude::*;

    /// Pinned objects at the tail are parked once, not walked past on
    /// every call; an unpin makes a parked object the first candidate (it
    /// is older than every listed one); an access puts it back at the head.
    #[test]
    fn pinned_tail_is_parked_and_unpins_come_back_in_order() {
        let mut l = Lru::new();
        for id in 0..6 {
            l.on_insert(id, meta(), ctx());
        }
        // Order 5 4 3 2 1 0; 0, 1 and 2 pinned.
        let calls = std::cell::Cell::new(0);
        let pinned = |x: u32| {
            calls.set(calls.get() + 1);
            x <= 2
        };
        assert_eq!(l.victim(&pinned), Some(3));
        assert_eq!((l.parked(), calls.get()), (3, 4));
        calls.set(0);
        assert_eq!(l.victim(&pinned), Some(3));
        assert_eq!(calls.get(), 1, "the parked objects are not asked again");
        assert_eq!(l.order(), vec![5, 4, 3, 2, 1, 0]);
        // 1 then 0 unpinned: 0 is the oldest, it goes first, then 1.
        l.on_unpin(1);
        l.on_unpin(0);
        let pinned = |x: u32| x == 2;
        assert_eq!(l.victim(&pinned), Some(0));
        l.on_remove(0);
        assert_eq!(l.victim(&pinned), Some(1));
        // An access brings a parked object back to the head.
        l.on_access(2, ctx());
        assert_eq!(l.order(), vec![2, 5, 4, 3, 1]);
        assert_eq!((l.parked(), l.len()), (1, 5));
        // Pinned again before it was proposed: dropped, reported anew.
        assert_eq!(l.victim(&|x| x == 1 || x == 3), Some(4));
        l.on_unpin(1);
        assert_eq!(l.victim(&|_| false), Some(1));
        // fifo and ttl walk (their callers need not report unpins).
        let mut f = Lru::named("fifo");
        f.on_insert(0, meta(), ctx());
        f.on_insert(1, meta(), ctx());
        assert_eq!(f.victim(&|x| x == 0), Some(1));
        assert_eq!((f.parked(), f.victim(&|_| false)), (0, Some(0)));
    }

    proptest! {
        /// Parking never changes a proposal: against a plain list walked
        /// from the tail, under random inserts, accesses, removals, pins
        /// and unpins (reported), and proposals acted on or not.
        #[test]
        fn parking_proposes_what_the_walk_does(ops in proptest::collection::vec((0u8..6, 0u32..16), 1..400)) {
            let mut l = Lru::new();
            let mut order: Vec<u32> = Vec::new(); // front = most recent
            let mut pinned = [false; 16];
            for (op, id) in ops {
                let cached = order.contains(&id);
                match op {
                    0 if !cached => {
                        l.on_insert(id, meta(), ctx());
                        order.insert(0, id);
                    }
                    0 | 1 if cached => {
                        l.on_access(id, ctx());
                        order.retain(|&x| x != id);
                        order.insert(0, id);
                    }
                    2 if cached => {
                        l.on_remove(id);
                        order.retain(|&x| x != id);
                        pinned[id as usize] = false;
                    }
                    3 if cached => {
                        pinned[id as usize] = !pinned[id as usize];
                        if !pinned[id as usize] {
                            l.on_unpin(id);
                        }
                    }
                    4 | 5 => {
                        let p = pinned;
                        let want = order.iter().rev().copied().find(|&x| !p[x as usize]);
                        prop_assert_eq!(l.victim(&|x| p[x as usize]), want);
                        if let (Some(v), 5) = (want, op) {
                            l.on_remove(v);
                            order.retain(|&x| x != v);
                        }
                    }
                    _ => {}
                }
                prop_assert_eq!(l.len(), order.len());
                prop_assert_eq!(l.order(), order.clone());
            }
        }
    }

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
