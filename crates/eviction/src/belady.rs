//! `belady`: the offline optimum — evict what is needed farthest in the
//! future.
//!
//! ```text
//! on insert(x) / access(x):  next(x) = logical time of x's next request
//!                            (∞ if never requested again)
//! victim():                  the unpinned object with the largest next(x)
//!
//! size_aware:                sample up to 64 unpinned objects (seeded,
//!                            deterministic); evict the one with the largest
//!                            size(x) × (next(x) − now), never-again objects
//!                            first (largest first)
//! ```
//!
//! L. A. Belady, "A study of replacement algorithms for a virtual-storage
//! computer", IBM Systems Journal 5(2), 1966. With unit sizes, evicting the
//! farthest next use minimises misses among demand-paging policies, which
//! makes it the yardstick for every online policy (a property test checks
//! that none beats it). With variable sizes exact optimisation is NP-hard;
//! the size-aware variant is the sampled heuristic of libCacheSim's
//! `BeladySize` (the ranking `size × distance` changes as time passes, so no
//! static ordered index can keep it exact).
//!
//! Needs `AccessCtx::next_access` on every insert and access: it is given
//! by the oracle-general trace format, or by a pre-pass over a trace.
//! Without it every object looks never-used-again and the policy degrades
//! to evicting the largest id… so the scenario loader rejects `belady` where
//! the future is unknown.
//!
//! Cost: O(log n) insert, access, remove and `victim` (plus pinned objects
//! skipped); the size-aware `victim` is O(64).

use mmesim_core::{AccessCtx, Evictor, ObjectMeta};
use mmesim_engine::{RngStreams, SimRng, Stream};
use rand::Rng;
use std::collections::BTreeSet;

const NEVER: u64 = u64::MAX;
const SAMPLES: usize = 64;

/// Belady's MIN (or its sampled size-aware variant). See the module notes.
pub struct Belady {
    size_aware: bool,
    next: Vec<u64>,
    size: Vec<u64>,
    present: Vec<bool>,
    /// (next use, id), for the exact variant.
    order: BTreeSet<(u64, u32)>,
    /// Cached ids and each id's position, for sampling.
    ids: Vec<u32>,
    pos: Vec<u32>,
    now: u64,
    rng: SimRng,
}

impl Belady {
    /// Exact (`size_aware = false`) or sampled size-aware Belady.
    pub fn new(size_aware: bool) -> Self {
        Belady {
            size_aware,
            next: Vec::new(),
            size: Vec::new(),
            present: Vec::new(),
            order: BTreeSet::new(),
            ids: Vec::new(),
            pos: Vec::new(),
            now: 0,
            rng: RngStreams::new(0x00BE_1AD7).stream(Stream::Eviction),
        }
    }

    fn set_next(&mut self, id: u32, ctx: AccessCtx) {
        let i = id as usize;
        let next = ctx.next_access.unwrap_or(NEVER);
        self.order.remove(&(self.next[i], id));
        self.next[i] = next;
        self.order.insert((next, id));
        self.now = ctx.vtime;
    }

    fn check(&self, id: u32, what: &str) {
        if !self.present.get(id as usize).copied().unwrap_or(false) {
            panic!("BUG: belady: {what} of absent object {id}");
        }
    }

    fn sampled_victim(&mut self, pinned: &dyn Fn(u32) -> bool) -> Option<u32> {
        let n = self.ids.len();
        if n == 0 {
            return None;
        }
        let score = |s: &Self, id: u32| -> (bool, u128) {
            let i = id as usize;
            if s.next[i] == NEVER {
                (true, s.size[i] as u128)
            } else {
                (false, s.size[i] as u128 * s.next[i].saturating_sub(s.now) as u128)
            }
        };
        let mut best: Option<((bool, u128), u32)> = None;
        let consider = |s: &Self, id: u32, best: &mut Option<((bool, u128), u32)>| {
            if !pinned(id) {
                let k = score(s, id);
                if best.is_none_or(|(bk, bid)| (k, std::cmp::Reverse(id)) > (bk, std::cmp::Reverse(bid))) {
                    *best = Some((k, id));
                }
            }
        };
        if n <= SAMPLES {
            for j in 0..n {
                consider(self, self.ids[j], &mut best);
            }
        } else {
            for _ in 0..SAMPLES {
                let j = self.rng.random_range(0..n);
                consider(self, self.ids[j], &mut best);
            }
            if best.is_none() {
                // Every sample pinned: scan (rare; pins are few).
                for j in 0..n {
                    consider(self, self.ids[j], &mut best);
                }
            }
        }
        best.map(|(_, id)| id)
    }
}

impl Evictor for Belady {
    fn name(&self) -> &str {
        "belady"
    }

    fn on_insert(&mut self, id: u32, meta: ObjectMeta, ctx: AccessCtx) {
        let i = id as usize;
        if i >= self.present.len() {
            self.present.resize(i + 1, false);
            self.next.resize(i + 1, NEVER);
            self.size.resize(i + 1, 0);
            self.pos.resize(i + 1, 0);
        }
        if self.present[i] {
            panic!("BUG: belady: object {id} inserted twice");
        }
        self.present[i] = true;
        self.size[i] = meta.size.0;
        self.next[i] = NEVER;
        self.order.insert((NEVER, id));
        self.pos[i] = self.ids.len() as u32;
        self.ids.push(id);
        self.set_next(id, ctx);
    }

    fn on_access(&mut self, id: u32, ctx: AccessCtx) {
        self.check(id, "access");
        self.set_next(id, ctx);
    }

    fn on_remove(&mut self, id: u32) {
        self.check(id, "removal");
        let i = id as usize;
        self.present[i] = false;
        self.order.remove(&(self.next[i], id));
        let p = self.pos[i] as usize;
        self.ids.swap_remove(p);
        if let Some(&moved) = self.ids.get(p) {
            self.pos[moved as usize] = p as u32;
        }
    }

    fn victim(&mut self, pinned: &dyn Fn(u32) -> bool) -> Option<u32> {
        if self.size_aware {
            return self.sampled_victim(pinned);
        }
        self.order.iter().rev().map(|&(_, id)| id).find(|&id| !pinned(id))
    }

    fn len(&self) -> usize {
        self.ids.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SizedCache;
    use mmesim_core::Bytes;
    use mmesim_engine::SimTime;

    /// Next-access indices of a trace (None = never again).
    fn futures(trace: &[u32]) -> Vec<Option<u64>> {
        let mut next = vec![None; trace.len()];
        let mut seen = std::collections::BTreeMap::new();
        for (i, &x) in trace.iter().enumerate().rev() {
            next[i] = seen.insert(x, i as u64);
        }
        next
    }

    fn misses(trace: &[u32], capacity: u64, ev: Box<dyn Evictor>) -> u64 {
        let fut = futures(trace);
        let mut c = SizedCache::new(Bytes(capacity), ev);
        for (i, &x) in trace.iter().enumerate() {
            c.access(x, 1, SimTime::ZERO, fut[i]);
        }
        c.stats().misses
    }

    /// The textbook example: a b c d a b e a b c d e with 3 frames.
    /// MIN: a, b, c miss (3); d misses and evicts c (next uses a@4, b@5,
    /// c@9) (4); a, b hit; e misses and evicts d (a@7, b@8, d@10) (5); a, b
    /// hit; c misses and evicts a never-again object (6); d misses and
    /// evicts the other (7); e hits. LRU: 10 misses.
    #[test]
    fn textbook_trace() {
        let t: Vec<u32> = "abcdabeabcde".bytes().map(|b| (b - b'a') as u32).collect();
        assert_eq!(misses(&t, 3, Box::new(Belady::new(false))), 7);
        assert_eq!(misses(&t, 3, Box::new(crate::Lru::new())), 10);
    }

    #[test]
    fn farthest_next_use_and_pins() {
        let mut b = Belady::new(false);
        let m = ObjectMeta { size: Bytes(1), reload_cost: 1.0 };
        let ctx = |v, n| AccessCtx { now: SimTime::ZERO, vtime: v, next_access: n };
        b.on_insert(1, m, ctx(0, Some(10)));
        b.on_insert(2, m, ctx(1, Some(5)));
        b.on_insert(3, m, ctx(2, None));
        assert_eq!(b.victim(&|_| false), Some(3)); // never used again
        assert_eq!(b.victim(&|x| x == 3), Some(1)); // next use at 10
        b.on_access(2, ctx(5, Some(20)));
        assert_eq!(b.victim(&|x| x == 3), Some(2));
        b.on_remove(3);
        assert_eq!(b.len(), 2);
    }

    /// Size-aware: with room for 10 bytes, a 9-byte object used again soon
    /// and two 1-byte objects used later — the exact variant keeps distance
    /// order, the size-aware one evicts the big object first.
    #[test]
    fn size_aware_weighs_size() {
        let m = |s| ObjectMeta { size: Bytes(s), reload_cost: 1.0 };
        let ctx = |n| AccessCtx { now: SimTime::ZERO, vtime: 0, next_access: Some(n) };
        for (aware, expect) in [(false, 2), (true, 0)] {
            let mut b = Belady::new(aware);
            b.on_insert(0, m(9), ctx(4)); // 9 × 4 = 36
            b.on_insert(1, m(1), ctx(6)); // 6
            b.on_insert(2, m(1), ctx(8)); // 8
            assert_eq!(b.victim(&|_| false), Some(expect), "size_aware = {aware}");
        }
    }
}
