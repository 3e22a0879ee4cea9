//! GDSF: GreedyDual-Size-Frequency.
//!
//! ```text
//! state:         the inflation L = 0; a clock t, counting insertions and
//!                accesses; p = the last proposed victim (none at first)
//! on insert(x):  r[x] = cost(x) / max(size(x), 1); freq[x] = 1
//!                H[x] = L + freq[x] · r[x]; last[x] = t++
//! on access(x):  freq[x] += 1
//!                H[x] = L + freq[x] · r[x]; last[x] = t++
//! victim():      walk the objects by (H, last) ascending, take the first x
//!                that is not pinned; p = x; return x
//! on remove(x):  if x == p: L = max(L, H[x]); p = none
//!                forget x
//! ```
//!
//! GreedyDual-Size with the credit scaled by how often the object was
//! requested since it entered the cache (the insertion counts 1; the count
//! is forgotten on removal), so small, costly and popular objects stay.
//! Here cost is [`ObjectMeta::reload_cost`] (seconds to bring the object
//! back) and size is [`ObjectMeta::size`] in bytes (0 counts as 1).
//! Reference: L. Cherkasova, "Improving WWW proxies performance with
//! Greedy-Dual-Size-Frequency caching policy", HP Laboratories technical
//! report HPL-98-69, 1998; evaluated in M. Arlitt, L. Cherkasova,
//! J. Dilley, R. Friedrich, T. Jin, "Evaluating content management
//! techniques for Web proxy caches", ACM SIGMETRICS Performance Evaluation
//! Review 27(4), 2000.
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

use crate::gds::{greedy_dual_policy, GreedyDual};

/// GreedyDual-Size-Frequency eviction. See the module notes for the rule.
#[derive(Clone)]
pub struct Gdsf(GreedyDual<true>);

impl Gdsf {
    /// An empty GreedyDual-Size-Frequency cache with inflation 0.
    pub fn new() -> Self {
        Gdsf(GreedyDual::new("gdsf"))
    }

    /// The frequency of `id`, if cached (for tests and inspection).
    pub fn frequency(&self, id: u32) -> Option<u64> {
        self.0.order.data(id).map(|c| c.freq)
    }
}

greedy_dual_policy!(Gdsf, "gdsf");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_protocol_panics, costed as meta, ctx};

    /// Hand trace (all values exact in binary), objects A=1 … D=4:
    /// L=0. Insert A (size 2, cost 1: r .5), B (1, 1: r 1), C (4, 1: r .25)
    /// → H A .5, B 1, C .25. Access C three times → f 4, H 4·.25 = 1;
    /// access A → f 2, H 1. All three tie at 1; B was touched longest ago
    /// → victim B; remove → L = 1. Insert D (1, 2: r 2) → H 1+2 = 3.
    /// Access A → f 3, H = 1 + 3·.5 = 2.5. Order C (1), A (2.5), D (3):
    /// victim C; pin C → victim A. Remove C (not the last proposal: a
    /// failure) → L stays 1; remove A (the last proposal) → L = 2.5.
    #[test]
    fn hand_trace() {
        let (a, b, c, d) = (1, 2, 3, 4);
        let mut g = Gdsf::new();
        g.on_insert(a, meta(2, 1.0), ctx());
        g.on_insert(b, meta(1, 1.0), ctx());
        g.on_insert(c, meta(4, 1.0), ctx());
        assert_eq!(g.order(), vec![c, a, b]);
        for id in [c, c, c, a] {
            g.on_access(id, ctx());
        }
        assert_eq!(g.frequency(c), Some(4));
        assert_eq!(g.priority(c), Some(1.0));
        assert_eq!(g.priority(a), Some(1.0));
        assert_eq!(g.order(), vec![b, c, a]);
        assert_eq!(g.victim(&|_| false), Some(b));
        g.on_remove(b);
        assert_eq!(g.inflation(), 1.0);
        g.on_insert(d, meta(1, 2.0), ctx());
        assert_eq!(g.priority(d), Some(3.0));
        g.on_access(a, ctx());
        assert_eq!(g.priority(a), Some(2.5));
        assert_eq!(g.order(), vec![c, a, d]);
        assert_eq!(g.victim(&|_| false), Some(c));
        assert_eq!(g.victim(&|x| x == c), Some(a));
        g.on_remove(c);
        assert_eq!(g.inflation(), 1.0, "removing an object not proposed leaves L");
        g.on_remove(a);
        assert_eq!(g.inflation(), 2.5);
        assert_eq!(g.order(), vec![d]);
        assert_eq!(g.len(), 1);
    }

    /// Size and cost decide: a big cheap object goes before a small
    /// expensive one even though it is newer and more popular
    /// (5 · 1/100 = .05 against 10).
    #[test]
    fn size_and_cost_change_the_choice() {
        let (small, big) = (1, 2);
        let mut g = Gdsf::new();
        g.on_insert(small, meta(1, 10.0), ctx());
        g.on_insert(big, meta(100, 1.0), ctx());
        for _ in 0..4 {
            g.on_access(big, ctx());
        }
        assert_eq!(g.priority(big), Some(0.05));
        assert_eq!(g.victim(&|_| false), Some(big));

        // Same cost: the bigger goes first; size 0 counts as 1.
        let mut g = Gdsf::new();
        g.on_insert(1, meta(0, 1.0), ctx()); // H 1
        g.on_insert(2, meta(2, 1.0), ctx()); // H .5
        assert_eq!(g.victim(&|_| false), Some(2));
    }

    /// Frequency decides between equals where GDS would go by recency:
    /// X and Y (size 1, cost 1); X requested 3 times (H 3), then Y twice
    /// (H 2): victim Y, the more recent.
    #[test]
    fn frequency_changes_the_choice() {
        let (x, y) = (1, 2);
        let mut g = Gdsf::new();
        g.on_insert(x, meta(1, 1.0), ctx());
        g.on_insert(y, meta(1, 1.0), ctx());
        g.on_access(x, ctx());
        g.on_access(x, ctx());
        g.on_access(y, ctx());
        assert_eq!(g.priority(x), Some(3.0));
        assert_eq!(g.priority(y), Some(2.0));
        assert_eq!(g.victim(&|_| false), Some(y));
    }

    /// With pinning the victim may carry a credit below L; L does not go
    /// back. 1 (H 1), 2 (H 2); pin 1: victim 2, removed → L = 2; victim 1
    /// (H 1), removed → L stays 2.
    #[test]
    fn inflation_is_monotone() {
        let mut g = Gdsf::new();
        g.on_insert(1, meta(1, 1.0), ctx());
        g.on_insert(2, meta(1, 2.0), ctx());
        assert_eq!(g.victim(&|x| x == 1), Some(2));
        g.on_remove(2);
        assert_eq!(g.inflation(), 2.0);
        assert_eq!(g.victim(&|_| false), Some(1));
        g.on_remove(1);
        assert_eq!(g.inflation(), 2.0);
        assert!(g.is_empty());
    }

    /// Pinned objects are skipped in credit order; all pinned gives `None`.
    #[test]
    fn skips_pinned() {
        let mut g = Gdsf::new();
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
    #[should_panic(expected = "BUG: gdsf: object 2 inserted with reload cost -1")]
    fn negative_cost_panics() {
        Gdsf::new().on_insert(2, meta(1, -1.0), ctx());
    }

    /// Inserting twice, accessing an absent object and removing twice are
    /// caller bugs and panic.
    #[test]
    fn protocol_violations_panic() {
        assert_protocol_panics(Gdsf::new, meta(1, 1.0), "access to", [2, 9, 2]);
    }
}
