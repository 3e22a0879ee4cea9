//! Random: a uniformly random unpinned victim.
//!
//! ```text
//! state:         ids = dense array of the cached objects (any order),
//!                pos[x] = index of x in ids
//! on insert(x):  pos[x] = len(ids); append x to ids
//! on access(x):  nothing
//! on remove(x):  swap x with the last element of ids, pop it, fix pos
//! victim():      up to 8 times: x = ids[uniform(0, len)];
//!                               if x is not pinned, return x
//!                C = [x in ids if x is not pinned]     (fallback)
//!                return C[uniform(0, len(C))], or none if C is empty
//! ```
//!
//! The baseline that keeps no history at all. Reference: L. A. Belady, "A
//! study of replacement algorithms for a virtual-storage computer", IBM
//! Systems Journal 5(2), 1966 (RAND among the algorithms studied).
//!
//! The draw is exactly uniform over the unpinned objects: a probe that
//! lands on an unpinned object is uniform among them, and so is the
//! fallback. Draws come from a [`SimRng`] seeded from the evictor's seed
//! (the [`Stream::Eviction`] stream of [`RngStreams::new`]`(seed)`), and
//! the order of `ids` depends only on the sequence of calls, so the victims
//! are a deterministic function of the seed and the calls.
//!
//! Cost: O(1) insert, access and remove; `victim` is O(1) probes, plus the
//! fallback scan of every cached object when all probes hit pinned ones,
//! which happens with probability p⁸ for a pinned share p: an expected
//! p⁸·n ≤ (pinned objects) extra steps.

use mmesim_core::{AccessCtx, Evictor, ObjectMeta};
use mmesim_engine::{RngStreams, SimRng, Stream};
use rand::Rng;

const NIL: u32 = u32::MAX;

/// How many uniform probes `victim` tries before scanning.
const PROBES: usize = 8;

/// Uniformly random eviction. See the module notes for the rule.
#[derive(Clone)]
pub struct RandomEviction {
    rng: SimRng,
    /// The cached objects, in no meaningful order.
    ids: Vec<u32>,
    /// Index of each object in `ids`; `NIL` when absent.
    pos: Vec<u32>,
    /// Reused buffer for the fallback's candidates.
    scratch: Vec<u32>,
}

impl RandomEviction {
    /// An empty cache whose draws are determined by `seed`.
    pub fn new(seed: u64) -> Self {
        RandomEviction {
            rng: RngStreams::new(seed).stream(Stream::Eviction),
            ids: Vec::new(),
            pos: Vec::new(),
            scratch: Vec::new(),
        }
    }

    fn is_present(&self, id: u32) -> bool {
        self.pos.get(id as usize).is_some_and(|&p| p != NIL)
    }

    fn draw(&mut self, n: usize) -> usize {
        self.rng.random_range(0..n as u64) as usize
    }
}

impl Evictor for RandomEviction {
    fn name(&self) -> &str {
        "random"
    }

    fn on_insert(&mut self, id: u32, _meta: ObjectMeta, _ctx: AccessCtx) {
        let i = id as usize;
        if i >= self.pos.len() {
            self.pos.resize(i + 1, NIL);
        }
        if self.pos[i] != NIL {
            panic!("BUG: random: object {id} inserted twice");
        }
        self.pos[i] = self.ids.len() as u32;
        self.ids.push(id);
    }

    fn on_access(&mut self, id: u32, _ctx: AccessCtx) {
        if !self.is_present(id) {
            panic!("BUG: random: access to absent object {id}");
        }
    }

    fn on_remove(&mut self, id: u32) {
        if !self.is_present(id) {
            panic!("BUG: random: removal of absent object {id}");
        }
        let p = self.pos[id as usize] as usize;
        self.ids.swap_remove(p);
        if let Some(&moved) = self.ids.get(p) {
            self.pos[moved as usize] = p as u32;
        }
        self.pos[id as usize] = NIL;
    }

    fn victim(&mut self, pinned: &dyn Fn(u32) -> bool) -> Option<u32> {
        let n = self.ids.len();
        if n == 0 {
            return None;
        }
        for _ in 0..PROBES {
            let k = self.draw(n);
            let x = self.ids[k];
            if !pinned(x) {
                return Some(x);
            }
        }
        let mut cand = std::mem::take(&mut self.scratch);
        cand.clear();
        cand.extend(self.ids.iter().copied().filter(|&x| !pinned(x)));
        let v = if cand.is_empty() { None } else { Some(cand[self.draw(cand.len())]) };
        self.scratch = cand;
        v
    }

    fn len(&self) -> usize {
        self.ids.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_protocol_panics, ctx, meta};

    fn victims(r: &mut RandomEviction, k: usize, pinned: &dyn Fn(u32) -> bool) -> Vec<u32> {
        (0..k).map(|_| r.victim(pinned).unwrap()).collect()
    }

    /// Hand trace of the bookkeeping: insert 1..=5 (ids = [1 2 3 4 5]);
    /// remove 2 (5 moves into its slot: [1 5 3 4]); remove 4 (the last:
    /// [1 5 3]); access 3; insert 2 ([1 5 3 2]). Victims then come from
    /// {1, 2, 3, 5}, each of them eventually, and never 4.
    #[test]
    fn hand_trace() {
        let mut r = RandomEviction::new(1);
        for id in 1..=5 {
            r.on_insert(id, meta(), ctx());
        }
        r.on_remove(2);
        assert_eq!(r.ids, vec![1, 5, 3, 4]);
        assert_eq!(r.pos[5], 1);
        r.on_remove(4);
        assert_eq!(r.ids, vec![1, 5, 3]);
        r.on_access(3, ctx());
        r.on_insert(2, meta(), ctx());
        assert_eq!(r.ids, vec![1, 5, 3, 2]);
        assert_eq!(r.len(), 4);
        let mut seen = victims(&mut r, 200, &|_| false);
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen, vec![1, 2, 3, 5]);
        assert_eq!(r.len(), 4, "proposing does not forget");
        while let Some(v) = r.victim(&|_| false) {
            r.on_remove(v);
        }
        assert!(r.is_empty());
        assert!(r.pos.iter().all(|&p| p == NIL));
    }

    /// The same seed and calls give the same victims; another seed differs.
    #[test]
    fn deterministic_per_seed() {
        let run = |seed| {
            let mut r = RandomEviction::new(seed);
            for id in 0..50 {
                r.on_insert(id, meta(), ctx());
            }
            let mut out = Vec::new();
            for _ in 0..30 {
                let v = r.victim(&|x| x % 3 == 0).unwrap();
                r.on_remove(v);
                out.push(v);
            }
            out
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
    }

    /// Pinned objects are never proposed, on the probe path and on the
    /// fallback path alike; all pinned gives `None`.
    #[test]
    fn skips_pinned() {
        let mut r = RandomEviction::new(3);
        for id in 0..20 {
            r.on_insert(id, meta(), ctx());
        }
        // One unpinned among 20: the probes mostly miss, the fallback finds it.
        assert!(victims(&mut r, 100, &|x| x != 13).iter().all(|&v| v == 13));
        // Half pinned.
        let vs = victims(&mut r, 1000, &|x| x % 2 == 0);
        assert!(vs.iter().all(|&v| v % 2 == 1));
        let mut distinct = vs.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), 10);
        assert_eq!(r.victim(&|_| true), None);
        assert_eq!(RandomEviction::new(0).victim(&|_| false), None);
    }

    /// Roughly uniform over the unpinned objects, both when probes succeed
    /// and when the fallback decides (18 of 20 pinned).
    #[test]
    fn uniform() {
        let mut r = RandomEviction::new(11);
        for id in 0..4 {
            r.on_insert(id, meta(), ctx());
        }
        let mut count = [0u32; 4];
        for v in victims(&mut r, 40_000, &|_| false) {
            count[v as usize] += 1;
        }
        assert!(count.iter().all(|&c| (9_400..10_600).contains(&c)), "{count:?}");

        let mut r = RandomEviction::new(12);
        for id in 0..20 {
            r.on_insert(id, meta(), ctx());
        }
        let (mut a, mut b) = (0u32, 0u32);
        for v in victims(&mut r, 20_000, &|x| x != 4 && x != 17) {
            match v {
                4 => a += 1,
                17 => b += 1,
                _ => panic!("pinned {v} proposed"),
            }
        }
        assert!((9_400..10_600).contains(&a), "{a} vs {b}");
    }

    /// Inserting twice, accessing an absent object and removing twice are
    /// caller bugs and panic.
    #[test]
    fn protocol_violations_panic() {
        assert_protocol_panics(|| RandomEviction::new(0), meta(), "access to", [2, 9, 2]);
    }
}
