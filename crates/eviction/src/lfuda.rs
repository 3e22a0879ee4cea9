//! LFUDA: least frequently used with dynamic aging.
//!
//! ```text
//! state:         the age L = 0; a clock t, counting insertions and accesses;
//!                p = the last proposed victim (none at first)
//! on insert(x):  freq[x] = 1;       K[x] = L + freq[x]; last[x] = t++
//! on access(x):  freq[x] += 1;      K[x] = L + freq[x]; last[x] = t++
//! victim():      walk the objects by (K, last) ascending, take the first x
//!                that is not pinned; p = x; return x
//! on remove(x):  if x == p: L = max(L, K[x]); p = none
//!                forget x
//! ```
//!
//! Plain LFU lets objects that were popular once stay forever; LFUDA adds
//! the cache age L, the priority of the last evicted object, to every key
//! it computes, so a newcomer starts level with what was just evicted and
//! stale counts are overtaken. Reference: M. Arlitt, L. Cherkasova,
//! J. Dilley, R. Friedrich, T. Jin, "Evaluating content management
//! techniques for Web proxy caches", ACM SIGMETRICS Performance Evaluation
//! Review 27(4), 2000 (there K = C·F + L with cost C = 1).
//!
//! Choices. *Which removal is an eviction:* the evictor only proposes
//! victims, and objects also leave for other reasons (failures,
//! keep-alive), so L is set only when the object removed is the one the
//! last `victim` call proposed; the proposal is dropped by that removal and
//! replaced by the next `victim` call. Its key at removal time is used.
//! *Monotone age:* with pinning, the victim need not have the smallest key,
//! and a later victim can have a key below L; L = max(L, K) keeps the age
//! from going back (without pinning, K ≥ L always, as in the paper).
//! *Ties:* equal keys go least recently used first. *Frequency* counts the
//! requests since insertion (the insertion counts 1) and is forgotten on
//! removal.
//!
//! Cost: O(log n) insert, access and remove (an ordered set of
//! `(K, last, id)` plus per-id state in dense arrays); `victim` is
//! O(log n + pinned objects skipped).

use mmesim_core::{AccessCtx, Evictor, ObjectMeta};

use crate::keyed::KeyedOrder;

const NIL: u32 = u32::MAX;

/// LFU with dynamic aging. See the module notes for the rule.
#[derive(Clone)]
pub struct Lfuda {
    /// Every cached object keyed by K = L + freq (as computed at the last
    /// insertion or access), with its frequency.
    order: KeyedOrder<u64, u64>,
    /// The cache age L.
    age: u64,
    /// The last proposed victim, `NIL` if none is outstanding.
    proposed: u32,
}

impl Default for Lfuda {
    fn default() -> Self {
        Self::new()
    }
}

impl Lfuda {
    /// An empty LFUDA cache with age 0.
    pub fn new() -> Self {
        Lfuda { order: KeyedOrder::new("lfuda"), age: 0, proposed: NIL }
    }

    /// The cache age L: the key of the last evicted object.
    pub fn age(&self) -> u64 {
        self.age
    }

    /// The priority K of `id`, if cached (for tests and inspection).
    pub fn priority(&self, id: u32) -> Option<u64> {
        self.order.key(id)
    }

    /// Ids in eviction order, first victim first (for tests and inspection).
    pub fn order(&self) -> Vec<u32> {
        self.order.ids().collect()
    }
}

impl Evictor for Lfuda {
    fn name(&self) -> &str {
        "lfuda"
    }

    fn on_insert(&mut self, id: u32, _meta: ObjectMeta, _ctx: AccessCtx) {
        self.order.insert(id, self.age.saturating_add(1), 1);
    }

    fn on_access(&mut self, id: u32, _ctx: AccessCtx) {
        let age = self.age;
        self.order.rekey(id, |_, freq| {
            *freq = freq.saturating_add(1);
            age.saturating_add(*freq)
        });
    }

    fn on_remove(&mut self, id: u32) {
        let (key, _) = self.order.remove(id);
        if id == self.proposed {
            self.age = self.age.max(key);
            self.proposed = NIL;
        }
    }

    fn victim(&mut self, pinned: &dyn Fn(u32) -> bool) -> Option<u32> {
        let v = self.order.first_unpinned(pinned);
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
    use crate::testutil::{assert_protocol_panics, ctx, meta};

    /// Hand trace, objects A=1 B=2 C=3 D=4 E=5 F=6 (K, clock):
    /// L=0. insert A B C → A:(1,0) B:(1,1) C:(1,2); access A A B →
    /// A f3 (3,4), B f2 (2,5). Victim C (K 1); remove it → L = 1.
    /// Insert D → f1 K = 1+1 = 2 (2,6): B and D tie at 2, B is older →
    /// victim B; pin B → victim D; remove D (the last proposal) → L = 2.
    /// Insert E → (3,7); access B → f3 K = 2+3 = 5 (5,8). Now A (3,4) and
    /// E (3,7) tie although A was requested 3 times and E once: aging.
    /// Victim A. Remove E (never proposed: a failure) → L stays 2.
    /// Insert F → (3,9); victim A; remove A → L = 3; order F B.
    #[test]
    fn hand_trace() {
        let (a, b, c, d, e, f) = (1, 2, 3, 4, 5, 6);
        let mut l = Lfuda::new();
        for id in [a, b, c] {
            l.on_insert(id, meta(), ctx());
        }
        for id in [a, a, b] {
            l.on_access(id, ctx());
        }
        assert_eq!(l.order(), vec![c, b, a]);
        assert_eq!(l.victim(&|_| false), Some(c));
        l.on_remove(c);
        assert_eq!(l.age(), 1);
        l.on_insert(d, meta(), ctx());
        assert_eq!(l.priority(d), Some(2));
        assert_eq!(l.victim(&|_| false), Some(b));
        assert_eq!(l.victim(&|x| x == b), Some(d));
        l.on_remove(d);
        assert_eq!(l.age(), 2);
        l.on_insert(e, meta(), ctx());
        l.on_access(b, ctx());
        assert_eq!(l.priority(b), Some(5));
        assert_eq!(l.priority(a), Some(3));
        assert_eq!(l.priority(e), Some(3));
        assert_eq!(l.order(), vec![a, e, b]);
        assert_eq!(l.victim(&|_| false), Some(a));
        l.on_remove(e);
        assert_eq!(l.age(), 2, "removing an object never proposed leaves L");
        l.on_insert(f, meta(), ctx());
        assert_eq!(l.victim(&|_| false), Some(a));
        l.on_remove(a);
        assert_eq!(l.age(), 3);
        assert_eq!(l.order(), vec![f, b]);
        assert_eq!(l.len(), 2);
    }

    /// With pinning the victim may carry a key below L; L does not go back.
    /// A B inserted (K 1 each), access B (K 2). Pin A: victim B, removed →
    /// L = 2. Victim A (K 1), removed → L stays 2.
    #[test]
    fn age_is_monotone() {
        let mut l = Lfuda::new();
        l.on_insert(1, meta(), ctx());
        l.on_insert(2, meta(), ctx());
        l.on_access(2, ctx());
        assert_eq!(l.victim(&|x| x == 1), Some(2));
        l.on_remove(2);
        assert_eq!(l.age(), 2);
        assert_eq!(l.victim(&|_| false), Some(1));
        l.on_remove(1);
        assert_eq!(l.age(), 2);
        assert!(l.is_empty());
    }

    /// Pinned objects are skipped in key order; all pinned gives `None`
    /// (and no proposal is outstanding afterwards).
    #[test]
    fn skips_pinned() {
        let mut l = Lfuda::new();
        for id in [0, 1, 2] {
            l.on_insert(id, meta(), ctx());
        }
        l.on_access(0, ctx());
        // Order: 1 (K 1), 2 (K 1), 0 (K 2).
        assert_eq!(l.victim(&|x| x == 1), Some(2));
        assert_eq!(l.victim(&|x| x != 0), Some(0));
        assert_eq!(l.victim(&|_| true), None);
        l.on_remove(0);
        assert_eq!(l.age(), 0, "the proposal of 0 was withdrawn by the next call");
    }

    /// Inserting twice, accessing an absent object and removing twice are
    /// caller bugs and panic.
    #[test]
    fn protocol_violations_panic() {
        assert_protocol_panics(Lfuda::new, meta(), "access to", [2, 9, 2]);
    }
}
