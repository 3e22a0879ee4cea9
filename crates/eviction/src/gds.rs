//! GDS: GreedyDual-Size.
//!
//! ```text
//! state:         the inflation L = 0; a clock t, counting insertions and
//!                accesses; p = the last proposed victim (none at first)
//! on insert(x):  r[x] = cost(x) / max(size(x), 1)
//!                H[x] = L + r[x]; last[x] = t++
//! on access(x):  H[x] = L + r[x]; last[x] = t++
//! victim():      walk the objects by (H, last) ascending, take the first x
//!                that is not pinned; p = x; return x
//! on remove(x):  if x == p: L = max(L, H[x]); p = none
//!                forget x
//! ```
//!
//! Each object's credit H is its cost per byte, refreshed on every hit and
//! measured from the inflation L, the credit of the last evicted object:
//! raising L instead of lowering every other credit (the original
//! formulation) keeps the order and makes each step O(log n). Cheap, big
//! objects go first; among objects of equal cost per byte, the least
//! recently used. Here cost is [`ObjectMeta::reload_cost`] (seconds to
//! bring the object back) and size is [`ObjectMeta::size`] in bytes (0
//! counts as 1). Reference: P. Cao, S. Irani, "Cost-aware WWW proxy
//! caching algorithms", USENIX Symposium on Internet Technologies and
//! Systems (USITS), 1997; GreedyDual itself is from N. E. Young, "The
//! k-server dual and loose competitiveness for paging", Algorithmica 11(6),
//! 1994.
//!
//! Choices. *Which removal is an eviction:* the evictor only proposes
//! victims, and objects also leave for other reasons (failures,
//! keep-alive), so L is set only when the object removed is the one the
//! last `victim` call proposed; the proposal is dropped by that removal and
//! replaced by the next `victim` call. Its credit at removal time is used.
//! *Monotone inflation:* with pinning, the victim need not have the
//! smallest credit, and a later victim can have one below L; L = max(L, H)
//! keeps L from going back (without pinning, H ≥ L always). *Ties:* equal
//! credits go least recently used first. A reload cost that is NaN or
//! negative is a caller bug and panics.
//!
//! Cost: O(log n) insert, access and remove (an ordered set of
//! `(H, last, id)` plus per-id state in dense arrays); `victim` is
//! O(log n + pinned objects skipped).

use std::collections::BTreeSet;

use mmesim_core::{AccessCtx, Evictor, ObjectMeta};
use ordered_float::OrderedFloat;

const NIL: u32 = u32::MAX;

#[derive(Clone, Copy, Default)]
struct Entry {
    /// cost / size.
    ratio: f64,
    /// Credit H = L + ratio, as computed at the last insertion or access.
    credit: OrderedFloat<f64>,
    /// Clock value at the last insertion or access.
    last: u64,
    present: bool,
}

/// GreedyDual-Size eviction. See the module notes for the rule.
#[derive(Clone)]
pub struct Gds {
    entries: Vec<Entry>,
    /// `(H, last, id)` of every cached object.
    order: BTreeSet<(OrderedFloat<f64>, u64, u32)>,
    clock: u64,
    /// The inflation L.
    inflation: f64,
    /// The last proposed victim, `NIL` if none is outstanding.
    proposed: u32,
}

impl Default for Gds {
    fn default() -> Self {
        Self::new()
    }
}

impl Gds {
    /// An empty GreedyDual-Size cache with inflation 0.
    pub fn new() -> Self {
        Gds { entries: Vec::new(), order: BTreeSet::new(), clock: 0, inflation: 0.0, proposed: NIL }
    }

    fn is_present(&self, id: u32) -> bool {
        self.entries.get(id as usize).is_some_and(|e| e.present)
    }

    fn tick(&mut self) -> u64 {
        let t = self.clock;
        self.clock += 1;
        t
    }

    /// The inflation L: the credit of the last evicted object.
    pub fn inflation(&self) -> f64 {
        self.inflation
    }

    /// The credit H of `id`, if cached (for tests and inspection).
    pub fn priority(&self, id: u32) -> Option<f64> {
        self.is_present(id).then(|| self.entries[id as usize].credit.0)
    }

    /// Ids in eviction order, first victim first (for tests and inspection).
    pub fn order(&self) -> Vec<u32> {
        self.order.iter().map(|&(_, _, id)| id).collect()
    }
}

impl Evictor for Gds {
    fn name(&self) -> &str {
        "gds"
    }

    fn on_insert(&mut self, id: u32, meta: ObjectMeta, _ctx: AccessCtx) {
        let i = id as usize;
        if i >= self.entries.len() {
            self.entries.resize(i + 1, Entry::default());
        }
        if self.entries[i].present {
            panic!("BUG: gds: object {id} inserted twice");
        }
        let cost = meta.reload_cost;
        if cost.is_nan() || cost < 0.0 {
            panic!("BUG: gds: object {id} inserted with reload cost {cost}");
        }
        let ratio = cost / meta.size.0.max(1) as f64;
        let e = Entry { ratio, credit: OrderedFloat(self.inflation + ratio), last: self.tick(), present: true };
        self.entries[i] = e;
        self.order.insert((e.credit, e.last, id));
    }

    fn on_access(&mut self, id: u32, _ctx: AccessCtx) {
        if !self.is_present(id) {
            panic!("BUG: gds: access to absent object {id}");
        }
        let (t, inflation) = (self.tick(), self.inflation);
        let e = &mut self.entries[id as usize];
        self.order.remove(&(e.credit, e.last, id));
        e.credit = OrderedFloat(inflation + e.ratio);
        e.last = t;
        self.order.insert((e.credit, e.last, id));
    }

    fn on_remove(&mut self, id: u32) {
        if !self.is_present(id) {
            panic!("BUG: gds: removal of absent object {id}");
        }
        let e = std::mem::take(&mut self.entries[id as usize]);
        self.order.remove(&(e.credit, e.last, id));
        if id == self.proposed {
            self.inflation = self.inflation.max(e.credit.0);
            self.proposed = NIL;
        }
    }

    fn victim(&mut self, pinned: &dyn Fn(u32) -> bool) -> Option<u32> {
        let v = self.order.iter().map(|&(_, _, id)| id).find(|&id| !pinned(id));
        self.proposed = v.unwrap_or(NIL);
        v
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
    fn meta(size: u64, cost: f64) -> ObjectMeta {
        ObjectMeta { size: Bytes(size), reload_cost: cost }
    }

    /// Hand trace (all values exact in binary), objects A=1 … E=5:
    /// L=0. Insert A (size 4, cost 1: r .25), B (1, 1: r 1), C (2, 4: r 2)
    /// → H A .25, B 1, C 2. Victim A; remove → L = .25.
    /// Insert D (1, .5: r .5) → H .75. Victim D. Access B → H = .25+1 =
    /// 1.25. Remove D (the last proposal) → L = .75. Insert E (2, 1: r .5)
    /// → H 1.25, ties with B; B was touched earlier → victim B; pin B →
    /// victim E; remove E → L = 1.25. Access C → H = 1.25+2 = 3.25.
    #[test]
    fn hand_trace() {
        let (a, b, c, d, e) = (1, 2, 3, 4, 5);
        let mut g = Gds::new();
        g.on_insert(a, meta(4, 1.0), ctx());
        g.on_insert(b, meta(1, 1.0), ctx());
        g.on_insert(c, meta(2, 4.0), ctx());
        assert_eq!(g.order(), vec![a, b, c]);
        assert_eq!(g.victim(&|_| false), Some(a));
        g.on_remove(a);
        assert_eq!(g.inflation(), 0.25);
        g.on_insert(d, meta(1, 0.5), ctx());
        assert_eq!(g.priority(d), Some(0.75));
        assert_eq!(g.victim(&|_| false), Some(d));
        g.on_access(b, ctx());
        assert_eq!(g.priority(b), Some(1.25));
        g.on_remove(d);
        assert_eq!(g.inflation(), 0.75);
        g.on_insert(e, meta(2, 1.0), ctx());
        assert_eq!(g.priority(e), Some(1.25));
        assert_eq!(g.order(), vec![b, e, c]);
        assert_eq!(g.victim(&|_| false), Some(b));
        assert_eq!(g.victim(&|x| x == b), Some(e));
        g.on_remove(e);
        assert_eq!(g.inflation(), 1.25);
        g.on_access(c, ctx());
        assert_eq!(g.priority(c), Some(3.25));
        assert_eq!(g.order(), vec![b, c]);
        assert_eq!(g.len(), 2);
    }

    /// Size and cost decide, not recency: a big cheap object goes before a
    /// small expensive one even though it is newer and was just used.
    #[test]
    fn size_and_cost_change_the_choice() {
        let (small, big) = (1, 2);
        let mut g = Gds::new();
        g.on_insert(small, meta(1, 10.0), ctx()); // H 10
        g.on_insert(big, meta(100, 1.0), ctx()); // H .01
        g.on_access(big, ctx());
        assert_eq!(g.victim(&|_| false), Some(big));

        // Same size: the cheaper to reload goes first.
        let mut g = Gds::new();
        g.on_insert(1, meta(8, 2.0), ctx());
        g.on_insert(2, meta(8, 1.0), ctx());
        assert_eq!(g.victim(&|_| false), Some(2));

        // Same cost: the bigger goes first; size 0 counts as 1.
        let mut g = Gds::new();
        g.on_insert(1, meta(0, 1.0), ctx()); // H 1
        g.on_insert(2, meta(2, 1.0), ctx()); // H .5
        assert_eq!(g.priority(1), Some(1.0));
        assert_eq!(g.victim(&|_| false), Some(2));
    }

    /// With pinning the victim may carry a credit below L; L does not go
    /// back. 1 (H 1), 2 (H 2), 3 (H 4); pin 1: victim 2, removed → L = 2;
    /// remove 3, never proposed → L stays 2; victim 1 (H 1), removed → L
    /// stays 2.
    #[test]
    fn inflation_is_monotone_and_moved_by_evictions_only() {
        let mut g = Gds::new();
        g.on_insert(1, meta(1, 1.0), ctx());
        g.on_insert(2, meta(1, 2.0), ctx());
        g.on_insert(3, meta(1, 4.0), ctx());
        assert_eq!(g.victim(&|x| x == 1), Some(2));
        g.on_remove(2);
        assert_eq!(g.inflation(), 2.0);
        g.on_remove(3);
        assert_eq!(g.inflation(), 2.0);
        assert_eq!(g.victim(&|_| false), Some(1));
        g.on_remove(1);
        assert_eq!(g.inflation(), 2.0);
        assert!(g.is_empty());
    }

    /// Pinned objects are skipped in credit order; all pinned gives `None`.
    #[test]
    fn skips_pinned() {
        let mut g = Gds::new();
        g.on_insert(0, meta(1, 3.0), ctx());
        g.on_insert(1, meta(1, 1.0), ctx());
        g.on_insert(2, meta(1, 2.0), ctx());
        assert_eq!(g.order(), vec![1, 2, 0]);
        assert_eq!(g.victim(&|x| x == 1), Some(2));
        assert_eq!(g.victim(&|x| x != 0), Some(0));
        assert_eq!(g.victim(&|_| true), None);
        g.on_remove(0);
        assert_eq!(g.inflation(), 0.0, "the proposal of 0 was withdrawn by the next call");
    }

    #[test]
    #[should_panic(expected = "BUG: gds: object 2 inserted twice")]
    fn double_insert_panics() {
        let mut g = Gds::new();
        g.on_insert(2, meta(1, 1.0), ctx());
        g.on_insert(2, meta(1, 1.0), ctx());
    }

    #[test]
    #[should_panic(expected = "BUG: gds: object 2 inserted with reload cost NaN")]
    fn nan_cost_panics() {
        Gds::new().on_insert(2, meta(1, f64::NAN), ctx());
    }

    #[test]
    #[should_panic(expected = "BUG: gds: access to absent object 9")]
    fn absent_access_panics() {
        Gds::new().on_access(9, ctx());
    }

    #[test]
    #[should_panic(expected = "BUG: gds: removal of absent object 2")]
    fn absent_remove_panics() {
        let mut g = Gds::new();
        g.on_insert(2, meta(1, 1.0), ctx());
        g.on_remove(2);
        g.on_remove(2);
    }
}
