//! LRU-K: evict the object whose K-th most recent access is oldest.
//!
//! ```text
//! hist[x]: the times of the last K accesses of x (insertion included),
//!          in logical time (AccessCtx::vtime)
//! key(x) = (kth(x), last(x), x), where kth(x) = the K-th most recent time
//!          in hist[x], or −∞ if x has fewer than K accesses
//! on insert(x):  hist[x] = [now]
//! on access(x):  append now to hist[x], keep the last K
//! victim():      the unpinned x with the smallest key: first the objects
//!                seen fewer than K times, least recently used first; then
//!                the one whose K-th most recent access is oldest
//! on remove(x):  forget x and its history
//! ```
//!
//! Reference: E. J. O'Neil, P. E. O'Neil, G. Weikum, "The LRU-K Page
//! Replacement Algorithm For Database Disk Buffering", SIGMOD 1993. The
//! backward K-distance (now − kth(x)) estimates the interarrival time of x
//! from its last K references, so an object seen K times outranks any
//! object seen fewer times, however recent. K = 1 is LRU.
//!
//! Adaptations and simplifications:
//! * **Infinite distances.** Objects with fewer than K accesses have an
//!   infinite backward K-distance and go first; among them the least
//!   recently used goes first (the paper's subsidiary policy). Remaining
//!   ties (equal times) go to the smaller id.
//! * **No correlated-reference period.** Every access counts, however
//!   close to the previous one (the paper's Correlated Reference Period
//!   is 0).
//! * **No retained history.** The paper keeps the history of evicted pages
//!   for a Retained Information Period; here an object's history is
//!   forgotten when it leaves the cache, so a returning object starts with
//!   one access.
//! * **Sizes** are ignored, as in the paper; the caller asks for victims
//!   until enough bytes are free. **Pinned** objects are skipped in key
//!   order. Times are logical (`vtime`), not the simulated clock, which
//!   can repeat.
//!
//! Cost: O(log n) insert, access and remove (a `BTreeSet` of keys, plus a
//! flat array of K-slot ring buffers indexed by object id); `victim` is
//! O(log n) plus the pinned objects skipped.

use std::collections::BTreeSet;

use mmesim_core::{AccessCtx, Evictor, ObjectMeta};

/// The eviction order: `None` (fewer than K accesses) sorts first.
type Key = (Option<u64>, u64, u32);

#[derive(Clone, Copy, Default)]
struct Rec {
    /// Accesses recorded, up to K.
    count: u32,
    /// Ring slot the next access goes to (the oldest once K are recorded).
    next: u32,
    last: u64,
    present: bool,
}

/// LRU-K eviction. See the module notes for the rule.
#[derive(Clone)]
pub struct LruK {
    k: u32,
    recs: Vec<Rec>,
    /// K slots per id.
    hist: Vec<u64>,
    order: BTreeSet<Key>,
}

impl LruK {
    /// An empty LRU-K (K below 1 is taken as 1).
    pub fn new(k: u32) -> Self {
        LruK { k: k.max(1), recs: Vec::new(), hist: Vec::new(), order: BTreeSet::new() }
    }

    /// K.
    pub fn k(&self) -> u32 {
        self.k
    }

    fn key(&self, id: u32) -> Key {
        let r = &self.recs[id as usize];
        let kth = (r.count >= self.k).then(|| self.hist[id as usize * self.k as usize + r.next as usize]);
        (kth, r.last, id)
    }

    fn record(&mut self, id: u32, t: u64) {
        let k = self.k;
        let r = &mut self.recs[id as usize];
        self.hist[id as usize * k as usize + r.next as usize] = t;
        r.next = (r.next + 1) % k;
        r.count = (r.count + 1).min(k);
        r.last = t;
    }

    fn check_present(&self, id: u32, what: &str) {
        if !self.recs.get(id as usize).is_some_and(|r| r.present) {
            panic!("BUG: lruk: {what} of absent object {id}");
        }
    }

    /// Cached ids in eviction order, first victim first (for tests and
    /// inspection).
    pub fn order(&self) -> Vec<u32> {
        self.order.iter().map(|&(_, _, id)| id).collect()
    }

    /// The K-th most recent access time of a cached object; `None` if it is
    /// absent or has fewer than K accesses.
    pub fn kth_access(&self, id: u32) -> Option<u64> {
        if self.recs.get(id as usize).is_some_and(|r| r.present) {
            self.key(id).0
        } else {
            None
        }
    }
}

impl Evictor for LruK {
    fn name(&self) -> &str {
        "lruk"
    }

    fn on_insert(&mut self, id: u32, _meta: ObjectMeta, ctx: AccessCtx) {
        let i = id as usize;
        if i >= self.recs.len() {
            self.recs.resize(i + 1, Rec::default());
            self.hist.resize((i + 1) * self.k as usize, 0);
        }
        if self.recs[i].present {
            panic!("BUG: lruk: object {id} inserted twice");
        }
        self.recs[i] = Rec { present: true, ..Rec::default() };
        self.record(id, ctx.vtime);
        self.order.insert(self.key(id));
    }

    fn on_access(&mut self, id: u32, ctx: AccessCtx) {
        self.check_present(id, "access");
        self.order.remove(&self.key(id));
        self.record(id, ctx.vtime);
        self.order.insert(self.key(id));
    }

    fn on_remove(&mut self, id: u32) {
        self.check_present(id, "removal");
        self.order.remove(&self.key(id));
        self.recs[id as usize] = Rec::default();
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
    use crate::testutil::{assert_protocol_panics, at, check_random_protocol, meta};
    use crate::SizedCache;
    use mmesim_core::Bytes;
    use mmesim_engine::SimTime;

    /// Hand trace, K = 2 (time: event):
    /// 0: insert 1; 1: insert 2; 2: insert 3; 3: access 2; 4: access 1;
    /// 5: insert 4. Keys (2nd last, last): 1 (0, 4), 2 (1, 3), 3 (−∞, 2),
    /// 4 (−∞, 5). Victims: 3, then 4 (seen once, 3 less recently), then 1
    /// (its 2nd last access, 0, is older than 2's, 1) although LRU would
    /// take 2; then 2. 6: access 2 -> 2 (3, 6).
    #[test]
    fn hand_trace() {
        let mut l = LruK::new(2);
        l.on_insert(1, meta(), at(0));
        l.on_insert(2, meta(), at(1));
        l.on_insert(3, meta(), at(2));
        l.on_access(2, at(3));
        l.on_access(1, at(4));
        l.on_insert(4, meta(), at(5));
        assert_eq!(l.order(), vec![3, 4, 1, 2]);
        assert_eq!(l.victim(&|_| false), Some(3));
        l.on_remove(3);
        assert_eq!(l.victim(&|_| false), Some(4));
        l.on_remove(4);
        assert_eq!(l.victim(&|_| false), Some(1));
        l.on_remove(1);
        assert_eq!(l.victim(&|_| false), Some(2));
        l.on_access(2, at(6));
        assert_eq!(l.kth_access(2), Some(3));
        assert_eq!(l.len(), 1);
        l.on_remove(2);
        assert!(l.is_empty());
        assert_eq!(l.victim(&|_| false), None);
    }

    /// Signature behaviour: an object seen twice outlives newer objects
    /// seen once (LRU would evict it first). Capacity 3, requests
    /// 1 1 2 3 4 5 6: the victims are 2, 3, 4.
    #[test]
    fn seen_twice_outlives_newer_once_seen() {
        let mut c = SizedCache::new(Bytes(3), Box::new(LruK::new(2)));
        let mut evicted = Vec::new();
        for id in [1, 1, 2, 3, 4, 5, 6] {
            c.access_with(id, 1, SimTime::ZERO, None, |v| evicted.push(v));
        }
        assert_eq!(evicted, vec![2, 3, 4]);
        assert!(c.contains(1));
        let mut lru = SizedCache::new(Bytes(3), Box::new(crate::Lru::new()));
        for id in [1, 1, 2, 3, 4] {
            lru.access(id, 1, SimTime::ZERO, None);
        }
        assert!(!lru.contains(1));
    }

    /// History is kept for the last K accesses only, and forgotten on
    /// removal.
    #[test]
    fn history_window_and_no_retained_history() {
        let mut l = LruK::new(3);
        l.on_insert(7, meta(), at(10));
        l.on_access(7, at(11));
        assert_eq!(l.kth_access(7), None);
        l.on_access(7, at(12));
        assert_eq!(l.kth_access(7), Some(10));
        l.on_access(7, at(20));
        assert_eq!(l.kth_access(7), Some(11));
        l.on_remove(7);
        l.on_insert(7, meta(), at(21));
        assert_eq!(l.kth_access(7), None);
    }

    /// Pinned objects are skipped in key order; all pinned gives `None`.
    #[test]
    fn pinned_are_skipped() {
        let mut l = LruK::new(2);
        for (t, id) in [1, 2, 3].into_iter().enumerate() {
            l.on_insert(id, meta(), at(t as u64));
        }
        l.on_access(1, at(3));
        l.on_access(1, at(4)); // order: 2, 3, 1
        assert_eq!(l.victim(&|x| x == 2), Some(3));
        assert_eq!(l.victim(&|x| x != 1), Some(1));
        assert_eq!(l.victim(&|_| true), None);
        assert_eq!(l.len(), 3);
    }

    /// K = 1 is LRU, on a deterministic pseudo-random trace.
    #[test]
    fn k1_is_lru() {
        let mut a = SizedCache::new(Bytes(8), Box::new(LruK::new(1)));
        let mut b = SizedCache::new(Bytes(8), Box::new(crate::Lru::new()));
        let mut x: u64 = 99;
        for _ in 0..3000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let id = ((x >> 33) % 20) as u32;
            let (mut ea, mut eb) = (Vec::new(), Vec::new());
            let ha = a.access_with(id, 1, SimTime::ZERO, None, |v| ea.push(v));
            let hb = b.access_with(id, 1, SimTime::ZERO, None, |v| eb.push(v));
            assert_eq!((ha, ea), (hb, eb));
        }
    }

    /// The contract under a random protocol with pinning, proposals not
    /// acted on and removals of objects never proposed: a proposal is
    /// cached and unpinned, `None` only when everything cached is pinned.
    #[test]
    fn contract_under_random_protocol() {
        check_random_protocol(&mut LruK::new(2));
    }

    /// Inserting twice, accessing an absent object and removing twice are
    /// caller bugs and panic.
    #[test]
    fn protocol_violations_panic() {
        assert_protocol_panics(|| LruK::new(2), meta(), "access of", [1, 3, 3]);
    }
}
