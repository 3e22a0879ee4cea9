//! S3-FIFO: a small probationary FIFO, a main FIFO and a ghost FIFO.
//!
//! ```text
//! S: small FIFO, budget small_ratio × capacity bytes
//! M: main FIFO, budget the rest;  G: ghost FIFO of ids, ≤ M's budget bytes
//! freq[x] ∈ 0..=3
//! on insert(x):  freq[x] = 0; if x ∈ G: remove it from G, push x at M's head
//!                else push x at S's head
//! on access(x):  freq[x] = min(freq[x] + 1, 3)
//! victim():      if bytes(S) ≥ budget(S) or M is empty: evict from S, then M
//!                else: evict from M, then S (then M again)
//!   from S:      repeat |S| times: t = S's tail
//!                  if freq[t] > 1:   move t to M's head, freq[t] = 0
//!                  else if pinned t: move t to S's head
//!                  else:             propose t (it goes to G when removed)
//!   from M:      repeat: t = M's tail
//!                  if pinned t:      move t to M's head (freq kept)
//!                  else if freq[t] > 0: freq[t] -= 1, move t to M's head
//!                  else:             propose t
//!                until a whole round of M met no unpinned object
//! on remove(x):  unlink x; if x was proposed from S by the last victim():
//!                push x at G's head, drop G's tail while bytes(G) > budget(M)
//! ```
//!
//! Reference: J. Yang, Y. Zhang, Z. Qiu, Y. Yue, K. V. Rashmi, "FIFO queues
//! are all you need for cache eviction", SOSP 2023 (Algorithm 1). Most
//! objects are requested once ("one-hit wonders"); S filters them out
//! before they reach M, and G lets an object evicted from S too early come
//! back straight into M.
//!
//! Adaptations:
//! * **Bytes.** Every queue is measured in bytes: S's budget is
//!   `round(small_ratio × capacity)`, M's the rest of the capacity. The
//!   paper's test "|S| ≥ 10% of the cache" becomes `bytes(S) ≥ budget(S)`.
//!   The ghost queue is bounded by bytes too: the sizes its ids had when
//!   they were evicted add up to at most M's budget (the paper bounds G by
//!   the number of objects M holds; bytes make the bound independent of
//!   M's current occupancy and of object counts).
//! * **Promotion threshold.** An object leaves S for M if it was hit at
//!   least twice while in S (`freq > 1`, the paper's threshold).
//! * **Propose, then remove.** Promotions out of S and rotations in M done
//!   while looking for a victim are real state changes; the victim itself
//!   stays in its queue until `on_remove`. The paper's "if M is full,
//!   evict from M" after a promotion is not done inside the call (one call
//!   proposes one object): M may exceed its budget until the next calls,
//!   which then evict from M because S has shrunk below its budget. Only
//!   the removal that follows a proposal from S (with no other `victim`
//!   call in between) puts the object in G; removals for other reasons
//!   (a failed instance, an idle timeout) do not.
//! * **Pinning.** Pinned objects are never proposed. A pinned object at
//!   S's tail is still promoted if `freq > 1` (a move, not an eviction),
//!   else it is re-queued at S's head; a pinned object at M's tail is
//!   re-queued at M's head with its frequency left alone (a sweep that
//!   skips it should not cost it its credit). The search is bounded: one
//!   round of S, then at most 4 rounds of M (an unpinned object in M has
//!   `freq ≤ 3`, so it is proposed by its fourth visit), stopping after
//!   the first round of M if that round met no unpinned object; `None`
//!   only when every cached object is pinned.
//!
//! Cost: O(1) insert, access and remove (three intrusive doubly linked
//! lists over one dense array indexed by object id; an id is in at most
//! one of S, M, G); ghost trimming is O(1) amortised (one ghost push per
//! eviction from S). `victim` is O(1) amortised (every promotion follows
//! two hits, every rotation in M spends one hit) plus pinned objects moved
//! over.

use mmesim_core::{AccessCtx, Bytes, Evictor, ObjectMeta};
use mmesim_engine::IdLists;

const NIL: u32 = u32::MAX;
const MAX_FREQ: u8 = 3;

/// The queue an id is in; the discriminant is its list in `lists`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Queue {
    Small = 0,
    Main = 1,
    Ghost = 2,
    None = 3,
}

#[derive(Clone, Copy)]
struct Node {
    /// Bytes: current size while cached, size at eviction while in G.
    size: u64,
    freq: u8,
    queue: Queue,
}

const EMPTY: Node = Node { size: 0, freq: 0, queue: Queue::None };

impl Default for Node {
    fn default() -> Self {
        EMPTY
    }
}

const SMALL: usize = Queue::Small as usize;
const MAIN: usize = Queue::Main as usize;
const GHOST: usize = Queue::Ghost as usize;

/// S3-FIFO eviction. See the module notes for the rule.
#[derive(Clone)]
pub struct S3Fifo {
    /// S, M and G (ids pushed at the front, taken from the back); each
    /// id's node is kept with its links.
    lists: IdLists<Node, 3>,
    /// Bytes in S, M and G, in `u128`: the ghost queue can briefly hold its
    /// budget plus an object, which need not fit a `u64` for a capacity
    /// past 2^63.
    bytes: [u128; 3],
    small_budget: u64,
    main_budget: u64,
    /// The object the last `victim` call proposed from S, if any.
    pending: u32,
}

impl S3Fifo {
    /// An empty S3-FIFO for a cache of `capacity` bytes, giving
    /// `small_ratio` of it (between 0 and 1) to the small queue.
    pub fn new(capacity: Bytes, small_ratio: f64) -> Self {
        let small_budget = (capacity.0 as f64 * small_ratio).round().clamp(0.0, capacity.0 as f64) as u64;
        S3Fifo {
            lists: IdLists::with_lists(3),
            bytes: [0; 3],
            small_budget,
            main_budget: capacity.0 - small_budget,
            pending: NIL,
        }
    }

    /// The small queue's budget in bytes.
    pub fn small_budget(&self) -> u64 {
        self.small_budget
    }

    /// The small queue, newest first (for tests and inspection).
    pub fn small_order(&self) -> Vec<u32> {
        self.lists.iter(SMALL).collect()
    }

    /// The main queue, newest first (for tests and inspection).
    pub fn main_order(&self) -> Vec<u32> {
        self.lists.iter(MAIN).collect()
    }

    /// The ghost queue, newest first (for tests and inspection).
    pub fn ghost_order(&self) -> Vec<u32> {
        self.lists.iter(GHOST).collect()
    }

    /// The access frequency (0 to 3) of a cached object.
    pub fn freq(&self, id: u32) -> Option<u8> {
        self.lists.data(id).filter(|n| matches!(n.queue, Queue::Small | Queue::Main)).map(|n| n.freq)
    }

    fn queue_of(&self, id: u32) -> Queue {
        self.lists.data(id).map_or(Queue::None, |n| n.queue)
    }

    fn check_cached(&self, id: u32, what: &str) {
        if !matches!(self.queue_of(id), Queue::Small | Queue::Main) {
            panic!("BUG: s3fifo: {what} of absent object {id}");
        }
    }

    /// Unlinks `id` from its queue and links it at the head of `to`.
    #[inline(always)]
    fn move_to(&mut self, id: u32, to: Queue) {
        let (from, size) = self.lists.data(id).map_or((Queue::None, 0), |n| (n.queue, n.size));
        let list = |q: Queue| (q != Queue::None).then_some(q as usize);
        self.lists.relink_front(id, list(from), list(to)).queue = to;
        if let Some(f) = list(from) {
            self.bytes[f] -= u128::from(size);
        }
        if let Some(t) = list(to) {
            self.bytes[t] += u128::from(size);
        }
    }

    /// One round of S: promotes, re-queues pinned, proposes the first
    /// unpinned object with `freq ≤ 1`.
    fn scan_small(&mut self, pinned: &dyn Fn(u32) -> bool) -> Option<u32> {
        for _ in 0..self.lists.len(SMALL) {
            let t = self.lists.back(SMALL)?;
            let n = self.lists.data_mut(t);
            if n.freq > 1 {
                n.freq = 0;
                self.move_to(t, Queue::Main);
            } else if pinned(t) {
                self.move_to(t, Queue::Small);
            } else {
                self.pending = t;
                return Some(t);
            }
        }
        None
    }

    /// Rounds of M: re-queues pinned objects and objects with credit,
    /// proposes the first unpinned object with `freq == 0`.
    fn scan_main(&mut self, pinned: &dyn Fn(u32) -> bool) -> Option<u32> {
        let n = self.lists.len(MAIN);
        let mut seen_unpinned = false;
        for step in 0..4 * n {
            if step == n && !seen_unpinned {
                return None;
            }
            let t = self.lists.back(MAIN)?;
            if !pinned(t) {
                seen_unpinned = true;
                let node = self.lists.data_mut(t);
                if node.freq == 0 {
                    return Some(t);
                }
                node.freq -= 1;
            }
            self.move_to(t, Queue::Main);
        }
        None
    }

    fn trim_ghost(&mut self) {
        while self.bytes[GHOST] > u128::from(self.main_budget) {
            let Some(t) = self.lists.back(GHOST) else { break };
            self.move_to(t, Queue::None);
        }
    }
}

impl Evictor for S3Fifo {
    fn name(&self) -> &str {
        "s3fifo"
    }

    fn on_insert(&mut self, id: u32, meta: ObjectMeta, _ctx: AccessCtx) {
        let to = match self.lists.data_mut(id).queue {
            Queue::Small | Queue::Main => panic!("BUG: s3fifo: object {id} inserted twice"),
            Queue::Ghost => {
                self.move_to(id, Queue::None);
                Queue::Main
            }
            Queue::None => Queue::Small,
        };
        let n = self.lists.data_mut(id);
        n.size = meta.size.0;
        n.freq = 0;
        self.move_to(id, to);
    }

    fn on_access(&mut self, id: u32, _ctx: AccessCtx) {
        self.check_cached(id, "access");
        let n = self.lists.data_mut(id);
        n.freq = (n.freq + 1).min(MAX_FREQ);
    }

    fn on_remove(&mut self, id: u32) {
        self.check_cached(id, "removal");
        if self.pending == id {
            self.pending = NIL;
            if self.queue_of(id) == Queue::Small {
                self.move_to(id, Queue::Ghost);
                self.trim_ghost();
                return;
            }
        }
        self.move_to(id, Queue::None);
        self.lists.data_mut(id).freq = 0;
    }

    fn victim(&mut self, pinned: &dyn Fn(u32) -> bool) -> Option<u32> {
        self.pending = NIL;
        if self.bytes[SMALL] >= u128::from(self.small_budget) || self.lists.is_empty(MAIN) {
            return self.scan_small(pinned).or_else(|| self.scan_main(pinned));
        }
        if let Some(v) = self.scan_main(pinned) {
            return Some(v);
        }
        let main_before = self.lists.len(MAIN);
        if let Some(v) = self.scan_small(pinned) {
            return Some(v);
        }
        if self.lists.len(MAIN) > main_before {
            // Promoted from S while M was entirely pinned: try them.
            return self.scan_main(pinned);
        }
        None
    }

    fn len(&self) -> usize {
        self.lists.len(SMALL) + self.lists.len(MAIN)
    }

    fn remembers(&self, id: u32) -> bool {
        self.queue_of(id) == Queue::Ghost
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_protocol_panics, check_random_protocol, ctx, meta};
    use crate::SizedCache;
    use mmesim_engine::SimTime;

    /// Capacity 10 bytes, S's budget 3, M's (and G's) 7; unit objects.
    fn s3() -> S3Fifo {
        S3Fifo::new(Bytes(10), 0.3)
    }
    fn hit(s: &mut S3Fifo, id: u32, times: usize) {
        for _ in 0..times {
            s.on_access(id, ctx());
        }
    }

    /// Hand trace (queues written newest first), S budget 3:
    /// insert 1 2 3 -> S [3 2 1]; hit 1 twice (freq 2), 2 once (freq 1).
    /// victim: bytes(S) = 3 ≥ 3: tail 1 has freq 2 -> M [1]; tail 2 has
    ///   freq 1 -> propose 2. remove 2 -> G [2].
    /// insert 4 -> S [4 3]; insert 2: ghost hit -> M [2 1], G [].
    /// victim: bytes(S) = 2 < 3: from M: tail 1, freq 0 -> propose 1.
    ///   Not removed; hit 1 (freq 1). victim: tail 1 has freq 1 -> freq 0,
    ///   M [1 2]; tail 2 -> propose 2. remove 2 (from M: no ghost).
    /// insert 5 -> S [5 4 3]; victim: bytes(S) = 3: tail 3 -> propose 3.
    ///   remove 3 -> G [3].
    #[test]
    fn hand_trace() {
        let mut s = s3();
        assert_eq!(s.small_budget(), 3);
        for id in [1, 2, 3] {
            s.on_insert(id, meta(), ctx());
        }
        hit(&mut s, 1, 2);
        hit(&mut s, 2, 1);
        assert_eq!(s.small_order(), vec![3, 2, 1]);
        assert_eq!(s.victim(&|_| false), Some(2));
        assert_eq!((s.small_order(), s.main_order()), (vec![3, 2], vec![1]));
        s.on_remove(2);
        assert_eq!(s.ghost_order(), vec![2]);
        s.on_insert(4, meta(), ctx());
        s.on_insert(2, meta(), ctx());
        assert_eq!((s.small_order(), s.main_order(), s.ghost_order()), (vec![4, 3], vec![2, 1], vec![]));
        assert_eq!(s.victim(&|_| false), Some(1));
        hit(&mut s, 1, 1);
        assert_eq!(s.victim(&|_| false), Some(2));
        assert_eq!(s.main_order(), vec![1, 2]);
        s.on_remove(2);
        assert_eq!(s.ghost_order(), Vec::<u32>::new());
        s.on_insert(5, meta(), ctx());
        assert_eq!(s.victim(&|_| false), Some(3));
        s.on_remove(3);
        assert_eq!((s.small_order(), s.main_order(), s.ghost_order()), (vec![5, 4], vec![1], vec![3]));
        assert_eq!(s.freq(1), Some(0));
        assert_eq!(s.len(), 3);
    }

    /// Signature behaviour: a one-hit wonder in S is evicted before older
    /// objects that were hit (which move to M), and a ghost hit goes to M.
    /// S [3 2 1], 1 and 2 hit twice: victim promotes 1, 2 and proposes 3.
    #[test]
    fn one_hit_wonder_goes_first_and_ghost_hit_goes_to_main() {
        let mut s = s3();
        for id in [1, 2, 3] {
            s.on_insert(id, meta(), ctx());
        }
        hit(&mut s, 1, 2);
        hit(&mut s, 2, 2);
        assert_eq!(s.victim(&|_| false), Some(3));
        assert_eq!((s.small_order(), s.main_order()), (vec![3], vec![2, 1]));
        s.on_remove(3);
        assert_eq!(s.ghost_order(), vec![3]);
        // The ghost is remembered (the core must not hand its id to
        // another model); cached and unknown ids are not.
        assert!(s.remembers(3) && !s.remembers(1) && !s.remembers(9));
        s.on_insert(3, meta(), ctx());
        assert_eq!((s.small_order(), s.main_order(), s.ghost_order()), (vec![], vec![3, 2, 1], vec![]));
        assert!(!s.remembers(3));
    }

    /// In a cache: objects requested three times survive a long scan of
    /// one-hit wonders (which LRU would let flush them out).
    #[test]
    fn scan_resistance_in_a_cache() {
        let mut c = SizedCache::new(Bytes(10), Box::new(S3Fifo::new(Bytes(10), 0.1)));
        let t = SimTime::ZERO;
        for _ in 0..3 {
            for id in 1..=5 {
                c.access(id, 1, t, None);
            }
        }
        for id in 100..1000 {
            c.access(id, 1, t, None);
        }
        assert!((1..=5).all(|id| c.contains(id)));
        assert_eq!(c.evictor().main_order(), vec![5, 4, 3, 2, 1]);
        // S holds 5 one-hit wonders, so the victim for request r is r - 5;
        // G holds as many bytes of recent S victims as M's budget (9).
        assert_eq!(c.evictor().small_order(), (995..1000).rev().collect::<Vec<_>>());
        assert_eq!(c.evictor().ghost_order(), (986..=994).rev().collect::<Vec<_>>());
        let mut lru = SizedCache::new(Bytes(10), Box::new(crate::Lru::new()));
        for id in (0..3).flat_map(|_| 1..=5).chain(100..1000) {
            lru.access(id, 1, t, None);
        }
        assert!(!lru.contains(1));
    }

    /// Pinned objects are re-queued, never proposed; frequencies of pinned
    /// objects in M are left alone; all pinned gives `None`.
    #[test]
    fn pinned_are_skipped() {
        let mut s = s3();
        for id in [1, 2, 3] {
            s.on_insert(id, meta(), ctx());
        }
        // S [3 2 1]: 1 pinned -> re-queued: S [1 3 2]; propose 2.
        assert_eq!(s.victim(&|x| x == 1), Some(2));
        assert_eq!(s.small_order(), vec![1, 3, 2]);
        // All pinned: one round of S (back to the same order), then None.
        assert_eq!(s.victim(&|_| true), None);
        assert_eq!(s.small_order(), vec![1, 3, 2]);
        // The last victim() proposed nothing: removing 2 now is no eviction.
        s.on_remove(2);
        assert_eq!(s.ghost_order(), Vec::<u32>::new());
        assert_eq!(s.victim(&|_| false), Some(3));
        s.on_remove(3);
        s.on_insert(3, meta(), ctx()); // ghost hit -> M [3]
        hit(&mut s, 3, 1);
        // bytes(S) = 1 < 3: M first; 3 is pinned (freq kept at 1), so S:
        // propose 1.
        assert_eq!(s.victim(&|x| x == 3), Some(1));
        assert_eq!(s.freq(3), Some(1));
        assert_eq!(s.victim(&|_| true), None);
        assert_eq!(s.len(), 2);
        // A pinned S object with freq > 1 is still promoted (M [1 3]), and
        // the round of M that follows leaves M's order as it was.
        hit(&mut s, 1, 2);
        assert_eq!(s.victim(&|_| true), None);
        assert_eq!((s.small_order(), s.main_order()), (vec![], vec![1, 3]));
    }

    /// With M entirely pinned and S holding only an object to promote, the
    /// promoted object is found in M.
    #[test]
    fn promotion_while_main_is_pinned() {
        let mut s = s3();
        s.on_insert(1, meta(), ctx());
        s.on_remove(1);
        s.on_insert(2, meta(), ctx());
        assert_eq!(s.victim(&|_| false), Some(2));
        s.on_remove(2); // G [2]
        s.on_insert(2, meta(), ctx()); // M [2]
        s.on_insert(4, meta(), ctx()); // S [4]
        hit(&mut s, 4, 2);
        // M first: 2 pinned. S: 4 promoted -> M [4 2]. M again: 2 re-queued
        // -> M [2 4], 4 (freq 0 now) proposed.
        assert_eq!(s.victim(&|x| x == 2), Some(4));
        assert_eq!(s.main_order(), vec![2, 4]);
    }

    /// Bytes: a large object fills S's budget at once; the ghost queue is
    /// bounded by M's budget in bytes.
    #[test]
    fn sizes_in_bytes() {
        let mut s = S3Fifo::new(Bytes(100), 0.1); // S 10 bytes, M and G 90
        let m = |size| ObjectMeta { size: Bytes(size), reload_cost: 1.0 };
        s.on_insert(1, m(50), ctx());
        s.on_insert(2, m(9), ctx());
        s.on_insert(3, m(5), ctx());
        assert_eq!(s.victim(&|_| false), Some(1));
        s.on_remove(1);
        assert_eq!(s.victim(&|_| false), Some(2));
        s.on_remove(2);
        assert_eq!(s.ghost_order(), vec![2, 1]);
        s.on_insert(4, m(40), ctx());
        assert_eq!(s.victim(&|_| false), Some(3));
        s.on_remove(3);
        assert_eq!(s.victim(&|_| false), Some(4));
        s.on_remove(4); // G would be 40+5+9+50 > 90: 1 drops out
        assert_eq!(s.ghost_order(), vec![4, 3, 2]);
        s.on_insert(2, m(9), ctx());
        assert_eq!(s.main_order(), vec![2]);
    }

    /// The contract under a random protocol with pinning, proposals not
    /// acted on and removals of objects never proposed: a proposal is
    /// cached and unpinned, `None` only when everything cached is pinned.
    #[test]
    fn contract_under_random_protocol() {
        check_random_protocol(&mut S3Fifo::new(Bytes(20), 0.2));
    }

    /// A capacity near 2^64 with objects of 2^63 bytes: two ghosts hold
    /// 2^64 bytes for a moment (before the trim), which did not fit the
    /// `u64` sums; the ghost queue stays within M's budget.
    #[test]
    fn ghost_bytes_past_u64_do_not_wrap() {
        let cap = u64::MAX;
        let mut c = SizedCache::new(Bytes(cap), Box::new(S3Fifo::new(Bytes(cap), 0.1)));
        for (t, &id) in [0u32, 1, 2, 3, 1, 4, 5, 0, 6, 2].iter().enumerate() {
            c.access(id, (1 << 63) + u64::from(id), SimTime::from_secs(t as u64), None);
            let s = c.evictor();
            assert!(s.bytes[GHOST] <= u128::from(s.main_budget));
            assert_eq!(s.bytes[SMALL] + s.bytes[MAIN], u128::from(c.used()));
            // M's budget is 0.9 c: one ghost of 2^63 bytes fits, two do not.
            assert!(s.ghost_order().len() <= 1, "{:?}", s.ghost_order());
        }
        assert!(!c.evictor().ghost_order().is_empty());
    }

    #[test]
    #[should_panic(expected = "BUG: s3fifo: access of absent object 1")]
    fn ghost_access_panics() {
        let mut s = s3();
        s.on_insert(1, meta(), ctx());
        assert_eq!(s.victim(&|_| false), Some(1));
        s.on_remove(1);
        s.on_access(1, ctx());
    }

    /// Inserting twice, accessing an absent object and removing twice are
    /// caller bugs and panic.
    #[test]
    fn protocol_violations_panic() {
        assert_protocol_panics(s3, meta(), "access of", [1, 1, 7]);
    }
}
