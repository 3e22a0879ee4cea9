//! SIEVE: a FIFO queue with a visited bit and a moving hand.
//!
//! ```text
//! on insert(x):  push x at the head (newest), visited[x] = false
//! on access(x):  visited[x] = true                 (x does not move)
//! victim():      o = hand, or the tail (oldest) if the hand is unset
//!                loop:
//!                  if pinned(o):       pass over it (visited[o] untouched)
//!                  else if visited[o]: visited[o] = false
//!                  else:               hand = o; return o
//!                  o = the next newer object, or the tail past the head
//! on remove(x):  if hand == x: hand = the object newer than x (unset if
//!                x was the head, so the next sweep wraps to the tail)
//!                unlink x
//! ```
//!
//! Reference: Y. Zhang, J. Yang, Y. Yue, Y. Vigfusson, K. V. Rashmi,
//! "SIEVE is Simpler than LRU: an Efficient Turn-Key Eviction Algorithm for
//! Web Caches", NSDI 2024. Objects are never moved on a hit ("lazy
//! promotion"); survivors stay in place while the hand sweeps past them
//! ("quick demotion" of new objects the hand reaches before they are hit).
//!
//! Adaptations:
//! * **Propose, then remove.** The paper's eviction moves the hand to the
//!   victim's newer neighbour and removes it in one step. Here `victim`
//!   leaves the hand *on* the victim; `on_remove(victim)` then moves it to
//!   the newer neighbour, which is exactly the paper's state. If the victim
//!   is not removed, the next `victim` call starts on it again and proposes
//!   it again (unless it has been hit meanwhile). Any other removal of the
//!   object under the hand moves the hand the same way.
//! * **Pinning.** The hand passes over pinned objects without clearing
//!   their visited bit: a pinned object is in use, and the sweep that skips
//!   it should not cost it its second chance.
//! * **Sizes** are ignored: like the paper, SIEVE is an object-count
//!   policy; the caller asks for victims until enough bytes are free.
//!
//! Cost: O(1) insert, access and remove (an intrusive doubly linked list
//! over a dense array indexed by object id). `victim` is O(1) amortised
//! (each visited bit it clears was set by one access) plus the pinned
//! objects passed over; with everything pinned it stops after one full
//! sweep and returns `None`.

use mmesim_core::{AccessCtx, Evictor, ObjectMeta};
use mmesim_engine::IdLists;

const NIL: u32 = u32::MAX;
/// The queue: the one list of `list`.
const Q: usize = 0;

/// SIEVE eviction. See the module notes for the rule.
#[derive(Clone)]
pub struct Sieve {
    /// Front: the newest object (the head); back: the oldest (the tail).
    /// Each id's data: hit since the hand last passed (meaningful while it
    /// is in the queue), kept next to its links.
    list: IdLists<bool, 1>,
    /// Where the next sweep starts; `NIL` = at the tail.
    hand: u32,
}

impl Default for Sieve {
    fn default() -> Self {
        Self::new()
    }
}

impl Sieve {
    /// An empty SIEVE queue.
    pub fn new() -> Self {
        Sieve { list: IdLists::with_lists(1), hand: NIL }
    }

    #[inline]
    fn check_present(&self, id: u32, what: &str) {
        if !self.list.contains(id) {
            panic!("BUG: sieve: {what} of absent object {id}");
        }
    }

    /// Ids from newest (head) to oldest (tail), for tests and inspection.
    pub fn order(&self) -> Vec<u32> {
        self.list.iter(Q).collect()
    }

    /// The object the next sweep starts on (`None`: the tail).
    pub fn hand(&self) -> Option<u32> {
        (self.hand != NIL).then_some(self.hand)
    }

    /// Whether `id` is cached and has been hit since the hand last passed.
    pub fn visited(&self, id: u32) -> bool {
        self.list.contains(id) && self.list.data(id) == Some(&true)
    }

    /// The object after `x` in the hand's direction (towards the head),
    /// wrapping to the tail.
    #[inline]
    fn step(&self, x: u32) -> u32 {
        match self.list.prev(x) {
            Some(n) => n,
            None => self.list.back(Q).unwrap_or(NIL),
        }
    }
}

impl Evictor for Sieve {
    fn name(&self) -> &str {
        "sieve"
    }

    fn on_insert(&mut self, id: u32, _meta: ObjectMeta, _ctx: AccessCtx) {
        if self.list.contains(id) {
            panic!("BUG: sieve: object {id} inserted twice");
        }
        *self.list.relink_front(id, None, Some(Q)) = false;
    }

    fn on_access(&mut self, id: u32, _ctx: AccessCtx) {
        self.check_present(id, "access");
        *self.list.data_mut(id) = true;
    }

    fn on_remove(&mut self, id: u32) {
        self.check_present(id, "removal");
        if self.hand == id {
            self.hand = self.list.prev(id).unwrap_or(NIL);
        }
        self.list.remove(Q, id);
    }

    fn victim(&mut self, pinned: &dyn Fn(u32) -> bool) -> Option<u32> {
        let len = self.list.len(Q);
        let mut o = match (self.hand, self.list.back(Q)) {
            (_, None) => return None,
            (NIL, Some(tail)) => tail,
            (hand, _) => hand,
        };
        let mut seen_unpinned = false;
        // One sweep clears every unpinned visited bit, so an unpinned object
        // is found within two sweeps; a sweep that meets none means all are
        // pinned (the hand is then back where it started).
        let mut steps = 0;
        loop {
            if steps == len && !seen_unpinned {
                return None;
            }
            steps += 1;
            if !pinned(o) {
                seen_unpinned = true;
                let v = self.list.data_mut(o);
                if !*v {
                    self.hand = o;
                    return Some(o);
                }
                *v = false;
            }
            o = self.step(o);
        }
    }

    fn len(&self) -> usize {
        self.list.len(Q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_protocol_panics, check_random_protocol, ctx, meta};
    use crate::SizedCache;
    use mmesim_core::Bytes;
    use mmesim_engine::SimTime;

    fn filled(ids: &[u32]) -> Sieve {
        let mut s = Sieve::new();
        for &id in ids {
            s.on_insert(id, meta(), ctx());
        }
        s
    }

    /// Hand trace (queue written newest first):
    /// insert 1 2 3 4 -> [4 3 2 1], hand unset; access 1, 3.
    /// victim: start at tail 1 (visited: clear), 2 unvisited -> 2.
    /// remove 2 -> hand on 3 (2's newer neighbour); insert 5 -> [5 4 3 1].
    /// victim: 3 visited (clear), 4 unvisited -> 4. remove 4 -> hand on 5.
    /// victim: 5 unvisited -> 5. remove 5 -> 5 was the head: hand unset.
    /// victim: tail 1 (bit cleared earlier) -> 1. remove 1; access 3;
    /// victim: 3 visited (clear), wrap to tail 3 -> 3.
    #[test]
    fn hand_trace() {
        let mut s = filled(&[1, 2, 3, 4]);
        assert_eq!(s.order(), vec![4, 3, 2, 1]);
        s.on_access(1, ctx());
        s.on_access(3, ctx());
        assert_eq!(s.victim(&|_| false), Some(2));
        assert!(!s.visited(1));
        assert_eq!(s.hand(), Some(2));
        s.on_remove(2);
        assert_eq!(s.hand(), Some(3));
        s.on_insert(5, meta(), ctx());
        assert_eq!(s.order(), vec![5, 4, 3, 1]);
        assert_eq!(s.victim(&|_| false), Some(4));
        s.on_remove(4);
        assert_eq!(s.hand(), Some(5));
        assert_eq!(s.victim(&|_| false), Some(5));
        s.on_remove(5);
        assert_eq!(s.hand(), None);
        assert_eq!(s.victim(&|_| false), Some(1));
        s.on_remove(1);
        s.on_access(3, ctx());
        assert_eq!(s.victim(&|_| false), Some(3));
        assert_eq!(s.len(), 1);
        s.on_remove(3);
        assert!(s.is_empty());
        assert_eq!(s.victim(&|_| false), None);
    }

    /// A proposal that is not acted on is proposed again; one that is hit
    /// meanwhile gets its second chance.
    #[test]
    fn proposal_is_stable_until_hit() {
        let mut s = filled(&[1, 2, 3]);
        assert_eq!(s.victim(&|_| false), Some(1));
        assert_eq!(s.victim(&|_| false), Some(1));
        s.on_access(1, ctx());
        assert_eq!(s.victim(&|_| false), Some(2));
        // Removing an object the hand is not on leaves the hand alone.
        s.on_remove(3);
        assert_eq!(s.hand(), Some(2));
        assert_eq!(s.len(), 2);
    }

    /// Pinned objects are passed over with their visited bit left alone.
    #[test]
    fn pinned_are_skipped() {
        let mut s = filled(&[1, 2, 3]); // [3 2 1]
        s.on_access(1, ctx());
        assert_eq!(s.victim(&|x| x != 3), Some(3));
        assert!(s.visited(1), "a pinned object keeps its visited bit");
        // Not removed: proposed again.
        assert_eq!(s.victim(&|_| false), Some(3));
        s.on_remove(3); // the head: the hand wraps to the tail
                        // 1 is visited (clear), 2 is not.
        assert_eq!(s.victim(&|_| false), Some(2));
        assert!(!s.visited(1));
        // Everything pinned: None, and the hand does not move.
        assert_eq!(s.victim(&|_| true), None);
        assert_eq!(s.hand(), Some(2));
        s.on_access(2, ctx());
        s.on_access(1, ctx());
        // Only 1 unpinned, visited: cleared in the first sweep, taken in the second.
        assert_eq!(s.victim(&|x| x != 1), Some(1));
    }

    /// Signature behaviour: an object hit once survives one pass of the hand
    /// and stays in place; without a further hit it goes on the next pass.
    /// [4 3 2 1], access 1: victim passes 1 (clearing it) and takes 2, where
    /// FIFO would take 1. Then 3 and 4 are hit: the hand clears them, wraps
    /// to the tail and reaches 1, unvisited now -> 1.
    #[test]
    fn visited_object_survives_one_pass() {
        let mut s = filled(&[1, 2, 3, 4]);
        s.on_access(1, ctx());
        assert_eq!(s.victim(&|_| false), Some(2));
        s.on_remove(2);
        assert_eq!(s.order(), vec![4, 3, 1], "a hit does not move the object");
        s.on_access(3, ctx());
        s.on_access(4, ctx());
        assert_eq!(s.victim(&|_| false), Some(1));
        s.on_remove(1);
        assert_eq!(s.hand(), Some(3));
        assert!(!s.visited(3) && !s.visited(4));
    }

    /// In a cache, new objects that are never hit are demoted quickly: the
    /// hand stays near the head and keeps taking them while a hit object
    /// at the tail survives.
    #[test]
    fn quick_demotion_in_a_cache() {
        let mut c = SizedCache::new(Bytes(3), Box::new(Sieve::new()));
        let t = SimTime::ZERO;
        for id in [1, 2, 3] {
            c.access(id, 1, t, None);
        }
        assert!(c.access(1, 1, t, None)); // hit: 1 visited
        for id in 4..20 {
            c.access(id, 1, t, None);
        }
        assert!(c.contains(1) && c.contains(19) && c.contains(18));
        assert_eq!(c.stats().evictions, 16);
    }

    /// Against a naive reference that keeps a plain vector and a hand index,
    /// on a deterministic pseudo-random trace.
    #[test]
    fn matches_naive_reference() {
        // Naive SIEVE: vec oldest first, hand as an index.
        struct Naive {
            q: Vec<(u32, bool)>,
            hand: usize,
        }
        impl Naive {
            fn evict(&mut self) -> u32 {
                loop {
                    if self.q[self.hand].1 {
                        self.q[self.hand].1 = false;
                        self.hand = (self.hand + 1) % self.q.len();
                    } else {
                        let v = self.q.remove(self.hand).0;
                        if self.hand == self.q.len() {
                            self.hand = 0; // removed the head: wrap to the tail
                        }
                        return v;
                    }
                }
            }
        }
        let mut naive = Naive { q: Vec::new(), hand: 0 };
        let mut c = SizedCache::new(Bytes(8), Box::new(Sieve::new()));
        let mut x: u64 = 12345;
        for _ in 0..5000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let id = ((x >> 33) % 20) as u32;
            let mut evicted = Vec::new();
            let hit = c.access_with(id, 1, SimTime::ZERO, None, |v| evicted.push(v));
            if let Some(e) = naive.q.iter_mut().find(|e| e.0 == id) {
                e.1 = true;
                assert!(hit);
            } else {
                assert!(!hit);
                if naive.q.len() == 8 {
                    assert_eq!(evicted, vec![naive.evict()]);
                }
                naive.q.push((id, false));
            }
        }
    }

    /// The contract under a random protocol with pinning, proposals not
    /// acted on and removals of objects never proposed: a proposal is
    /// cached and unpinned, `None` only when everything cached is pinned.
    #[test]
    fn contract_under_random_protocol() {
        check_random_protocol(&mut Sieve::new());
    }

    /// Inserting twice, accessing an absent object and removing twice are
    /// caller bugs and panic.
    #[test]
    fn protocol_violations_panic() {
        assert_protocol_panics(Sieve::new, meta(), "access of", [1, 9, 1]);
    }
}
