//! ARC: Adaptive Replacement Cache.
//!
//! ```text
//! T1, T2: LRU lists of cached objects (T1: seen once recently, T2: more)
//! B1, B2: LRU lists of ghost ids recently evicted from T1, T2
//! p: target bytes for T1, 0 ≤ p ≤ c (c = capacity)
//! on insert(x) of size s:
//!   x ∈ B1: p = min(c, p + s · max(1, bytes(B2) / bytes(B1))); x to T2's MRU
//!   x ∈ B2: p = max(0, p − s · max(1, bytes(B1) / bytes(B2))); x to T2's MRU
//!   else:   x to T1's MRU
//!   then:   drop B1's LRU while bytes(T1) + bytes(B1) > c
//!           drop B2's LRU while bytes(T1 ∪ T2 ∪ B1 ∪ B2) > 2c
//! on access(x):  move x to T2's MRU
//! victim():      REPLACE: if T1 is not empty and (bytes(T1) > p or T2 is
//!                empty): the LRU end of T1, else of T2; skip pinned
//!                objects; if the chosen list has only pinned ones, use the
//!                other list
//! on remove(x):  if x was proposed by the last victim(): move x to the MRU
//!                end of B1 (from T1) or B2 (from T2); else forget x
//! ```
//!
//! Reference: N. Megiddo, D. S. Modha, "ARC: A Self-Tuning, Low Overhead
//! Replacement Cache", FAST 2003 (Fig. 4). ARC balances recency (T1) and
//! frequency (T2): a hit in B1 means T1 was too small, so its target p
//! grows; a hit in B2 means T2 was too small, so p shrinks.
//!
//! Adaptations:
//! * **Bytes instead of pages.** Every list is measured in bytes, p is a
//!   number of bytes, and the paper's adaptation steps (δ1 = max(1,
//!   |B2|/|B1|) pages, δ2 = max(1, |B1|/|B2|) pages) are scaled by the size
//!   of the object that hit the ghost list, with the ratios taken in bytes
//!   (integer arithmetic). The ghost lists are bounded by the paper's own
//!   invariants in bytes, |T1| + |B1| ≤ c and |T1| + |T2| + |B1| + |B2| ≤ 2c,
//!   enforced on every insertion; a ghost id counts with the size it had
//!   when it was evicted.
//! * **Propose, then remove.** The paper adapts p before REPLACE on a ghost
//!   hit; here the caller asks for victims before it inserts the object
//!   that needs the room, and `victim` does not know which object that is.
//!   So p is adapted at `on_insert`, after the victims that made room for
//!   it were chosen with the previous p, and the paper's tie rule "x ∈ B2
//!   and |T1| = p" (which needs x) is dropped: T1 is chosen only when
//!   bytes(T1) > p. Only the removal that follows a proposal (with no
//!   other `victim` call in between) leaves a ghost; removals for other
//!   reasons (a failed instance, an idle timeout) forget the object.
//! * **Pinning.** Pinned objects are skipped from the LRU end of the
//!   chosen list; if all of its objects are pinned the victim comes from
//!   the other list; `None` only when every cached object is pinned.
//!
//! Cost: O(1) insert, access and remove (four intrusive doubly linked lists
//! over one dense array indexed by object id; an id is in at most one of
//! them); trimming the ghost lists is O(1) amortised (every ghost dropped
//! was added once). `victim` is O(1) plus the pinned objects skipped.

use mmesim_core::{AccessCtx, Bytes, Evictor, ObjectMeta};
use mmesim_engine::IdLists;

const NIL: u32 = u32::MAX;

const T1: usize = 0;
const T2: usize = 1;
const B1: usize = 2;
const B2: usize = 3;
/// In no list.
const NONE: usize = 4;

#[derive(Clone, Copy)]
struct Node {
    /// Bytes: current size while cached, size at eviction while a ghost.
    size: u64,
    list: usize,
}

const EMPTY: Node = Node { size: 0, list: NONE };

impl Default for Node {
    fn default() -> Self {
        EMPTY
    }
}

/// Adaptive Replacement Cache eviction, in bytes. See the module notes for
/// the rule.
#[derive(Clone)]
pub struct ArcCache {
    /// T1, T2, B1, B2: the MRU end is the front, the LRU end the back;
    /// each id's node is kept with its links.
    lists: IdLists<Node, 4>,
    /// Bytes in each list, in `u128`: the lists together hold up to three
    /// times the capacity (before the ghosts are trimmed), which need not
    /// fit a `u64` for a capacity past 2^62.
    bytes: [u128; 4],
    capacity: u64,
    /// Target bytes for T1.
    p: u64,
    /// The object the last `victim` call proposed, if any.
    pending: u32,
}

impl ArcCache {
    /// An empty ARC for a cache of `capacity` bytes (p starts at 0).
    pub fn new(capacity: Bytes) -> Self {
        ArcCache { lists: IdLists::with_lists(4), bytes: [0; 4], capacity: capacity.0, p: 0, pending: NIL }
    }

    /// The current target size of T1.
    pub fn p(&self) -> Bytes {
        Bytes(self.p)
    }

    fn order(&self, l: usize) -> Vec<u32> {
        self.lists.iter(l).collect()
    }

    /// T1 (cached, seen once), MRU first (for tests and inspection).
    pub fn t1_order(&self) -> Vec<u32> {
        self.order(T1)
    }

    /// T2 (cached, seen more than once), MRU first.
    pub fn t2_order(&self) -> Vec<u32> {
        self.order(T2)
    }

    /// B1 (ghosts evicted from T1), MRU first.
    pub fn b1_order(&self) -> Vec<u32> {
        self.order(B1)
    }

    /// B2 (ghosts evicted from T2), MRU first.
    pub fn b2_order(&self) -> Vec<u32> {
        self.order(B2)
    }

    fn list_of(&self, id: u32) -> usize {
        self.lists.data(id).map_or(NONE, |n| n.list)
    }

    fn check_cached(&self, id: u32, what: &str) {
        if !matches!(self.list_of(id), T1 | T2) {
            panic!("BUG: arc: {what} of absent object {id}");
        }
    }

    /// Unlinks `id` from its list and links it at the MRU end of `to`.
    #[inline(always)]
    fn move_to(&mut self, id: u32, to: usize) {
        let (from, size) = self.lists.data(id).map_or((NONE, 0), |n| (n.list, n.size));
        let list = |l: usize| (l != NONE).then_some(l);
        self.lists.relink_front(id, list(from), list(to)).list = to;
        if let Some(f) = list(from) {
            self.bytes[f] -= u128::from(size);
        }
        if let Some(t) = list(to) {
            self.bytes[t] += u128::from(size);
        }
    }

    /// The unpinned object nearest the LRU end of `l`.
    fn lru_unpinned(&self, l: usize, pinned: &dyn Fn(u32) -> bool) -> Option<u32> {
        self.lists.iter_rev(l).find(|&x| !pinned(x))
    }

    /// `size · max(1, num / den)` in integer arithmetic, saturated to u64.
    /// A ghost list whose objects are all of size 0 has `den` = 0 bytes
    /// while holding the object that hit it: the ratio is then as large as
    /// `num` bytes make it (read `den` as 1 byte), not a division by zero.
    fn step(size: u64, num: u128, den: u128) -> u64 {
        if num > den {
            u64::try_from(u128::from(size).saturating_mul(num) / den.max(1)).unwrap_or(u64::MAX)
        } else {
            size
        }
    }

    fn trim_ghosts(&mut self) {
        let c = u128::from(self.capacity);
        while self.bytes[T1] + self.bytes[B1] > c {
            let Some(t) = self.lists.back(B1) else { break };
            self.move_to(t, NONE);
        }
        let total = |a: &Self| a.bytes.iter().sum::<u128>();
        while total(self) > 2 * c {
            let Some(t) = self.lists.back(B2) else { break };
            self.move_to(t, NONE);
        }
    }
}

impl Evictor for ArcCache {
    fn name(&self) -> &str {
        "arc"
    }

    fn on_insert(&mut self, id: u32, meta: ObjectMeta, _ctx: AccessCtx) {
        let s = meta.size.0;
        let (b1, b2) = (self.bytes[B1], self.bytes[B2]);
        let to = match self.lists.data_mut(id).list {
            T1 | T2 => panic!("BUG: arc: object {id} inserted twice"),
            B1 => {
                self.p = self.p.saturating_add(Self::step(s, b2, b1)).min(self.capacity);
                T2
            }
            B2 => {
                self.p = self.p.saturating_sub(Self::step(s, b1, b2));
                T2
            }
            _ => T1,
        };
        self.move_to(id, NONE);
        self.lists.data_mut(id).size = s;
        self.move_to(id, to);
        self.trim_ghosts();
    }

    fn on_access(&mut self, id: u32, _ctx: AccessCtx) {
        self.check_cached(id, "access");
        self.move_to(id, T2);
    }

    fn on_remove(&mut self, id: u32) {
        self.check_cached(id, "removal");
        let to = if self.pending == id {
            self.pending = NIL;
            if self.list_of(id) == T1 {
                B1
            } else {
                B2
            }
        } else {
            NONE
        };
        self.move_to(id, to);
    }

    fn victim(&mut self, pinned: &dyn Fn(u32) -> bool) -> Option<u32> {
        let t1_first = !self.lists.is_empty(T1) && (self.bytes[T1] > u128::from(self.p) || self.lists.is_empty(T2));
        let (first, second) = if t1_first { (T1, T2) } else { (T2, T1) };
        let v = self.lru_unpinned(first, pinned).or_else(|| self.lru_unpinned(second, pinned));
        self.pending = v.unwrap_or(NIL);
        v
    }

    fn len(&self) -> usize {
        self.lists.len(T1) + self.lists.len(T2)
    }

    fn remembers(&self, id: u32) -> bool {
        matches!(self.list_of(id), B1 | B2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_protocol_panics, check_random_protocol, ctx, sized as meta};
    use crate::SizedCache;
    use mmesim_engine::SimTime;

    /// victim, check it, remove it.
    fn evict(a: &mut ArcCache, expected: u32) {
        assert_eq!(a.victim(&|_| false), Some(expected));
        a.on_remove(expected);
    }

    /// Hand trace, capacity 4, unit objects (lists MRU first):
    /// insert 1 2 3 4 -> T1 [4 3 2 1]; hit 1, 2 -> T2 [2 1], T1 [4 3].
    /// victim: bytes(T1) 2 > p 0 -> 3 -> B1 [3]; insert 5 -> T1 [5 4].
    /// victim: 2 > 0 -> 4 -> B1 [4 3].
    /// insert 3: B1 hit, p += 1 · max(1, 0/2) = 1; T2 [3 2 1], B1 [4].
    /// victim: bytes(T1) 1 > p 1 is false -> T2's LRU 1 -> B2 [1].
    /// insert 6 -> T1 [6 5]; victim: 2 > 1 -> 5 -> B1 [5 4].
    /// insert 1: B2 hit, p −= 1 · max(1, 2/1) = 2 -> p = 0; T2 [1 3 2].
    /// victim: 1 > 0 -> 6.
    #[test]
    fn hand_trace() {
        let mut a = ArcCache::new(Bytes(4));
        for id in [1, 2, 3, 4] {
            a.on_insert(id, meta(1), ctx());
        }
        a.on_access(1, ctx());
        a.on_access(2, ctx());
        assert_eq!((a.t1_order(), a.t2_order()), (vec![4, 3], vec![2, 1]));
        evict(&mut a, 3);
        a.on_insert(5, meta(1), ctx());
        evict(&mut a, 4);
        assert_eq!(a.b1_order(), vec![4, 3]);
        a.on_insert(3, meta(1), ctx());
        assert_eq!(a.p(), Bytes(1));
        assert_eq!((a.t1_order(), a.t2_order(), a.b1_order()), (vec![5], vec![3, 2, 1], vec![4]));
        evict(&mut a, 1);
        assert_eq!(a.b2_order(), vec![1]);
        a.on_insert(6, meta(1), ctx());
        evict(&mut a, 5);
        a.on_insert(1, meta(1), ctx());
        assert_eq!(a.p(), Bytes(0));
        assert_eq!((a.t1_order(), a.t2_order()), (vec![6], vec![1, 3, 2]));
        assert_eq!((a.b1_order(), a.b2_order()), (vec![5, 4], vec![]));
        assert_eq!(a.victim(&|_| false), Some(6));
        assert_eq!(a.len(), 4);
    }

    /// Signature behaviour: a hit in B1 raises p (by the object's size,
    /// scaled by bytes(B2)/bytes(B1) when B2 is larger); a hit in B2 lowers
    /// it. Capacity 100:
    /// a(40), b(40) in T1; hit b -> T2 [b]; c(20) -> T1 [c a].
    /// victim a -> B1 [a]; victim c -> B1 [c a]; insert d(40) -> T1 [d].
    /// victim d -> B1 [d c a] (100 bytes); insert a: p += 40 -> 40.
    /// victim: bytes(T1) 0 -> T2's LRU b -> B2 [b].
    /// insert b: p −= 40 · (60 / 40) = 60 -> p = 0.
    #[test]
    fn ghost_hits_adapt_p() {
        let mut a = ArcCache::new(Bytes(100));
        let (ida, idb, idc, idd) = (1, 2, 3, 4);
        a.on_insert(ida, meta(40), ctx());
        a.on_insert(idb, meta(40), ctx());
        a.on_access(idb, ctx());
        a.on_insert(idc, meta(20), ctx());
        evict(&mut a, ida);
        evict(&mut a, idc);
        a.on_insert(idd, meta(40), ctx());
        evict(&mut a, idd);
        assert_eq!(a.b1_order(), vec![idd, idc, ida]);
        a.on_insert(ida, meta(40), ctx());
        assert_eq!(a.p(), Bytes(40));
        assert_eq!(a.t2_order(), vec![ida, idb]);
        evict(&mut a, idb);
        a.on_insert(idb, meta(40), ctx());
        assert_eq!(a.p(), Bytes(0));
    }

    /// The step is scaled by the ratio of the ghost lists' bytes when the
    /// other list is larger, and p never exceeds the capacity.
    /// Capacity 10: 1(10) evicted -> B1 [1]; insert 1: p = 10, T2 [1].
    /// victim 1 (T1 empty) -> B2 [1]; 2(10) -> T1 [2]; victim 2 (T2 empty)
    /// -> B1 [2]; insert 2: p = min(10, 10 + 10 · max(1, 10/10)) = 10.
    #[test]
    fn p_step_is_scaled_and_clamped() {
        assert_eq!(ArcCache::step(10, 30, 15), 20);
        assert_eq!(ArcCache::step(10, 15, 30), 10);
        assert_eq!(ArcCache::step(u64::MAX, 3, 1), u64::MAX);
        let mut a = ArcCache::new(Bytes(10));
        a.on_insert(1, meta(10), ctx());
        evict(&mut a, 1);
        a.on_insert(1, meta(10), ctx());
        assert_eq!(a.p(), Bytes(10));
        evict(&mut a, 1);
        a.on_insert(2, meta(10), ctx());
        evict(&mut a, 2);
        assert_eq!((a.b1_order(), a.b2_order()), (vec![2], vec![1]));
        a.on_insert(2, meta(10), ctx());
        assert_eq!(a.p(), Bytes(10));
    }

    /// The ghost lists obey |T1| + |B1| ≤ c and the total ≤ 2c, in bytes.
    /// Found by fuzzing (`cache_oracle`): object 2 enters at 0 bytes and
    /// becomes the only ghost of B1 while B2 holds bytes; its return at 200
    /// bytes divided by B1's 0 bytes and panicked.
    #[test]
    fn a_ghost_list_of_zero_byte_objects_does_not_divide_by_zero() {
        assert_eq!(ArcCache::step(200, 5000, 0), 1_000_000);
        assert_eq!(ArcCache::step(0, 5000, 0), 0);
        let mut c = SizedCache::new(Bytes(1000), Box::new(ArcCache::new(Bytes(1000))));
        let t = SimTime::ZERO;
        let trace = [(1, 100), (2, 0), (2, 200), (1, 5000), (5, 1000), (1, 100), (2, 100)];
        let hits: Vec<bool> = trace.iter().map(|&(id, size)| c.access(id, size, t, None)).collect();
        assert_eq!(c.stats().requests, 7);
        assert!(c.used() <= 1000 && c.evictor().p() <= Bytes(1000), "{:?}", c.evictor().p());
        assert_eq!(hits.iter().filter(|h| **h).count() as u64, 7 - c.stats().misses);
    }

    #[test]
    fn ghost_lists_are_bounded() {
        let mut c = SizedCache::new(Bytes(10), Box::new(ArcCache::new(Bytes(10))));
        let t = SimTime::ZERO;
        let mut x: u64 = 7;
        for _ in 0..5000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let id = ((x >> 33) % 40) as u32;
            let size = 1 + (id as u64 % 3);
            c.access(id, size, t, None);
            let a = c.evictor();
            let b = |l: usize| a.bytes[l];
            assert!(b(T1) + b(B1) <= 10);
            assert!(b(T1) + b(T2) + b(B1) + b(B2) <= 20);
            assert_eq!(b(T1) + b(T2), u128::from(c.used()));
            assert!(a.p <= 10);
            // Exactly the ghosts are remembered.
            for y in 0..40 {
                assert_eq!(a.remembers(y), matches!(a.list_of(y), B1 | B2), "id {y}");
            }
        }
        let a = c.evictor();
        assert!(!a.b1_order().is_empty() || !a.b2_order().is_empty(), "the trace leaves ghosts");
        assert!(a.b1_order().iter().chain(&a.b2_order()).all(|&g| a.remembers(g)));
        assert!(a.t1_order().iter().chain(&a.t2_order()).all(|&g| !a.remembers(g)));
    }

    /// A capacity near 2^64 with objects of 2^63 bytes: the lists' byte
    /// sums (up to three times the capacity) do not wrap, and the bounds
    /// hold exactly.
    #[test]
    fn ghost_bounds_hold_for_a_capacity_near_u64_max() {
        let cap = u64::MAX;
        let mut c = SizedCache::new(Bytes(cap), Box::new(ArcCache::new(Bytes(cap))));
        let t = SimTime::ZERO;
        for &id in &[0u32, 1, 2, 0, 3, 1, 4, 0, 5, 2, 2, 6, 1, 0, 7, 3] {
            c.access(id, (1 << 63) + u64::from(id), t, None);
            let a = c.evictor();
            let b = |l: usize| a.bytes[l];
            assert!(b(T1) + b(B1) <= u128::from(cap));
            assert!(b(T1) + b(T2) + b(B1) + b(B2) <= 2 * u128::from(cap));
            assert_eq!(b(T1) + b(T2), u128::from(c.used()));
            assert!(a.p <= cap);
            // Objects of more than c / 2: one fits T1 ∪ B1, three all four
            // lists (the wrapped sums let the ghosts pile up).
            assert!(a.t1_order().len() + a.b1_order().len() <= 1, "{:?} {:?}", a.t1_order(), a.b1_order());
            assert!(a.t1_order().len() + a.t2_order().len() + a.b1_order().len() + a.b2_order().len() <= 3);
        }
        assert!(c.stats().evictions > 0);
    }

    /// Pinned objects are skipped; when the chosen list is all pinned the
    /// victim comes from the other one; all pinned gives `None`.
    #[test]
    fn pinned_are_skipped() {
        let mut a = ArcCache::new(Bytes(10));
        for id in [1, 2, 3] {
            a.on_insert(id, meta(1), ctx());
        }
        a.on_access(3, ctx()); // T1 [2 1], T2 [3]
        assert_eq!(a.victim(&|x| x == 1), Some(2));
        assert_eq!(a.victim(&|x| x != 3), Some(3));
        assert_eq!(a.victim(&|_| true), None);
        // The last victim() proposed nothing: removing 1 leaves no ghost.
        a.on_remove(1);
        assert_eq!(a.b1_order(), Vec::<u32>::new());
        // A proposal followed by its removal does.
        assert_eq!(a.victim(&|x| x == 2), Some(3));
        a.on_remove(3);
        assert_eq!(a.b2_order(), vec![3]);
        assert_eq!(a.len(), 1);
    }

    /// ARC resists a scan: objects hit twice stay in T2 while a stream of
    /// new objects passes through T1.
    #[test]
    fn scan_resistance_in_a_cache() {
        let mut c = SizedCache::new(Bytes(10), Box::new(ArcCache::new(Bytes(10))));
        let t = SimTime::ZERO;
        for id in (0..2).flat_map(|_| 1..=5) {
            c.access(id, 1, t, None);
        }
        for id in 100..1000 {
            c.access(id, 1, t, None);
        }
        assert!((1..=5).all(|id| c.contains(id)));
    }

    /// The contract under a random protocol with pinning, proposals not
    /// acted on and removals of objects never proposed: a proposal is
    /// cached and unpinned, `None` only when everything cached is pinned.
    #[test]
    fn contract_under_random_protocol() {
        check_random_protocol(&mut ArcCache::new(Bytes(20)));
    }

    #[test]
    #[should_panic(expected = "BUG: arc: access of absent object 1")]
    fn ghost_access_panics() {
        let mut a = ArcCache::new(Bytes(10));
        a.on_insert(1, meta(1), ctx());
        evict(&mut a, 1);
        a.on_access(1, ctx());
    }

    /// Inserting twice, accessing an absent object and removing twice are
    /// caller bugs and panic.
    #[test]
    fn protocol_violations_panic() {
        assert_protocol_panics(|| ArcCache::new(Bytes(10)), meta(1), "access of", [1, 1, 4]);
    }
}
