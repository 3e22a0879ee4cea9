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

use mmesim_core::{AccessCtx, Evictor, ObjectMeta};
use ordered_float::OrderedFloat;

use crate::keyed::KeyedOrder;

const NIL: u32 = u32::MAX;

/// Per-object data of the GreedyDual family.
#[derive(Clone, Copy)]
pub(crate) struct Credit {
    /// cost / size.
    ratio: f64,
    /// Requests since insertion (GDSF only; stays 1 under GDS).
    pub(crate) freq: u64,
}

/// The GreedyDual core shared by GDS and GDSF (`gdsf.rs`): the rule above,
/// with the credit `L + freq · r` instead of `L + r` when `FREQ` is set.
#[derive(Clone)]
pub(crate) struct GreedyDual<const FREQ: bool> {
    /// Every cached object keyed by its credit H, as computed at the last
    /// insertion or access.
    pub(crate) order: KeyedOrder<OrderedFloat<f64>, Credit>,
    /// The inflation L.
    pub(crate) inflation: f64,
    /// The last proposed victim, `NIL` if none is outstanding.
    proposed: u32,
    name: &'static str,
}

impl<const FREQ: bool> GreedyDual<FREQ> {
    /// An empty cache with inflation 0 for the policy `name`.
    pub(crate) fn new(name: &'static str) -> Self {
        GreedyDual { order: KeyedOrder::new(name), inflation: 0.0, proposed: NIL, name }
    }

    /// The credit H of `id`, if cached.
    pub(crate) fn priority(&self, id: u32) -> Option<f64> {
        self.order.key(id).map(|h| h.0)
    }

    pub(crate) fn insert(&mut self, id: u32, meta: ObjectMeta) {
        self.order.check_absent(id);
        let cost = meta.reload_cost;
        if cost.is_nan() || cost < 0.0 {
            panic!("BUG: {}: object {id} inserted with reload cost {cost}", self.name);
        }
        let ratio = cost / meta.size.0.max(1) as f64;
        self.order.insert(id, OrderedFloat(self.inflation + ratio), Credit { ratio, freq: 1 });
    }

    pub(crate) fn access(&mut self, id: u32) {
        let inflation = self.inflation;
        self.order.rekey(id, |_, c| {
            if FREQ {
                c.freq = c.freq.saturating_add(1);
                OrderedFloat(inflation + c.freq as f64 * c.ratio)
            } else {
                OrderedFloat(inflation + c.ratio)
            }
        });
    }

    pub(crate) fn remove(&mut self, id: u32) {
        let (credit, _) = self.order.remove(id);
        if id == self.proposed {
            self.inflation = self.inflation.max(credit.0);
            self.proposed = NIL;
        }
    }

    pub(crate) fn victim(&mut self, pinned: &dyn Fn(u32) -> bool) -> Option<u32> {
        let v = self.order.first_unpinned(pinned);
        self.proposed = v.unwrap_or(NIL);
        v
    }
}

/// Implements `Default`, the inspection methods and [`Evictor`] for a
/// newtype over [`GreedyDual`].
macro_rules! greedy_dual_policy {
    ($ty:ident, $name:literal) => {
        impl Default for $ty {
            fn default() -> Self {
                Self::new()
            }
        }

        impl $ty {
            /// The inflation L: the credit of the last evicted object.
            pub fn inflation(&self) -> f64 {
                self.0.inflation
            }

            /// The credit H of `id`, if cached (for tests and inspection).
            pub fn priority(&self, id: u32) -> Option<f64> {
                self.0.priority(id)
            }

            /// Ids in eviction order, first victim first (for tests and
            /// inspection).
            pub fn order(&self) -> Vec<u32> {
                self.0.order.ids().collect()
            }
        }

        impl Evictor for $ty {
            fn name(&self) -> &str {
                $name
            }

            fn on_insert(&mut self, id: u32, meta: ObjectMeta, _ctx: AccessCtx) {
                self.0.insert(id, meta);
            }

            fn on_access(&mut self, id: u32, _ctx: AccessCtx) {
                self.0.access(id);
            }

            fn on_remove(&mut self, id: u32) {
                self.0.remove(id);
            }

            fn victim(&mut self, pinned: &dyn Fn(u32) -> bool) -> Option<u32> {
                self.0.victim(pinned)
            }

            fn len(&self) -> usize {
                self.0.order.len()
            }
        }
    };
}
pub(crate) use greedy_dual_policy;

/// GreedyDual-Size eviction. See the module notes for the rule.
#[derive(Clone)]
pub struct Gds(GreedyDual<false>);

impl Gds {
    /// An empty GreedyDual-Size cache with inflation 0.
    pub fn new() -> Self {
        Gds(GreedyDual::new("gds"))
    }
}

greedy_dual_policy!(Gds, "gds");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_protocol_panics, costed as meta, ctx};

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
    #[should_panic(expected = "BUG: gds: object 2 inserted with reload cost NaN")]
    fn nan_cost_panics() {
        Gds::new().on_insert(2, meta(1, f64::NAN), ctx());
    }

    /// Inserting twice, accessing an absent object and removing twice are
    /// caller bugs and panic.
    #[test]
    fn protocol_violations_panic() {
        assert_protocol_panics(Gds::new, meta(1, 1.0), "access to", [2, 9, 2]);
    }
}
