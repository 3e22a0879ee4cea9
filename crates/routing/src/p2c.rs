//! `p2c`: power of two choices, with locality.
//!
//! ```text
//! A = accepting instances, in id order
//! holds(i) = m is pending, loading or loaded on i (a request there starts no new load)
//! slack(i) = 2 × slots(i)
//!
//! route(m):
//!   if A is empty:  reject (no_healthy_instance)
//!   # 1. a warm copy with a free slot serves at once: take it
//!   h = argmin over accepting instances where m is loaded of (slot_load, outstanding, id)
//!   if h exists and slot_load(h) < slots(h):  return h
//!   if |A| = 1:  return A[0]
//!   # 2. two distinct instances, uniformly at random (two draws)
//!   a, b = A[i], A[j] with i ≠ j
//!   if exactly one of a, b holds m, call it x and the other y:
//!     if outstanding(x) ≤ outstanding(y) + slack(x):  return x
//!   return argmin over {a, b} of (outstanding, id)
//! ```
//!
//! Reference: M. Mitzenmacher, "The Power of Two Choices in Randomized Load
//! Balancing", IEEE TPDS 12(10), 2001: sampling two servers and taking the
//! less loaded cuts the maximum load from Θ(log n / log log n) to
//! Θ(log log n). Multi-model serving adds locality: a cold start costs a
//! model load (seconds), a queued request only its wait for a slot.
//!
//! Choices made here (the brief leaves them open):
//! - **Copy first.** Before sampling, the least slot-loaded accepting
//!   instance with the model *loaded* is taken if it has a free slot
//!   (`slot_load < slots`): the request is served warm and at once, which
//!   no sampled instance can beat. Without this, a popular model's copy is
//!   found only when the sample happens to hit it (probability ≈ 2/n).
//! - **Locality slack = 2 × slots of the holder.** Among the two sampled,
//!   an instance that holds the model wins unless it has more than two
//!   full rounds of slots' worth of requests more than the other: up to
//!   then, waiting behind them is expected to cost less than a cold load.
//!   Past it, the plain two-choice rule applies (fewer outstanding).
//! - Load is `outstanding` (every routed, unfinished request), as in the
//!   classic algorithm; the copy check uses `slot_load` so that requests
//!   waiting for other models' loads do not hide a free slot.
//!
//! Draws come from the run's routing stream (`RngStreams::new(seed)
//! .stream(Stream::Routing)`), unbiased (see `random`), so a seed gives the
//! same choices everywhere; the draws happen only when step 1 does not
//! decide.
//!
//! Cost per request: O(copies of m) for step 1 and the holder checks, plus
//! O(1) for the two draws — never a scan of the fleet.

use crate::random::{routing_rng, uniform};
use mmesim_core::{ClusterView, InstanceId, MemState, ModelId, RejectReason, RouteDecision, Router};
use mmesim_engine::SimRng;

/// Power-of-two-choices routing with locality. See the module notes.
#[derive(Clone, Debug)]
pub struct PowerOfTwo {
    rng: SimRng,
}

impl PowerOfTwo {
    /// A p2c router drawing from the routing stream of `seed`.
    pub fn new(seed: u64) -> Self {
        PowerOfTwo { rng: routing_rng(seed) }
    }
}

impl Router for PowerOfTwo {
    fn name(&self) -> &str {
        "p2c"
    }

    fn reads_lru_age(&self) -> bool {
        false
    }

    fn route(&mut self, model: ModelId, view: &ClusterView<'_>) -> RouteDecision {
        let accepting = view.fleet().accepting();
        if accepting.is_empty() {
            return RouteDecision::Reject(RejectReason::NoHealthyInstance);
        }
        let copies = view.copies(model);
        // 1. the least slot-loaded warm copy, if it has a free slot
        let mut best: Option<(u32, u32, u32)> = None; // (slot_load, outstanding, id)
        for c in copies {
            let s = view.instance(c.instance);
            if c.memory != MemState::Loaded || !s.accepts() {
                continue;
            }
            let key = Some((s.slot_load(), s.outstanding, s.id.0));
            if best.is_none() || key < best {
                best = key;
            }
        }
        if let Some((load, _, h)) = best {
            if load < view.instance(InstanceId(h)).slots {
                return RouteDecision::To(InstanceId(h));
            }
        }
        if accepting.len() == 1 {
            return RouteDecision::To(accepting[0]);
        }
        // 2. two distinct instances
        let n = accepting.len();
        let i = uniform(&mut self.rng, n);
        let mut j = uniform(&mut self.rng, n - 1);
        if j >= i {
            j += 1;
        }
        let (a, b) = (view.instance(accepting[i]), view.instance(accepting[j]));
        let holds = |id: InstanceId| copies.iter().any(|c| c.instance == id && c.in_memory_or_coming());
        let (ha, hb) = (holds(a.id), holds(b.id));
        if ha != hb {
            let (x, y) = if ha { (a, b) } else { (b, a) };
            if x.outstanding as u64 <= y.outstanding as u64 + 2 * x.slots as u64 {
                return RouteDecision::To(x.id);
            }
        }
        RouteDecision::To(if (a.outstanding, a.id) <= (b.outstanding, b.id) { a.id } else { b.id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{self, copy, StatusExt};
    use mmesim_core::{InstanceStatus, ModelCopy};

    /// An instance with 4 slots; `outstanding` requests, `serving` of them
    /// in service (nothing queued for a slot).
    fn inst(id: u32, outstanding: u32, serving: u32) -> InstanceStatus {
        testutil::inst(id, outstanding).serving(serving)
    }

    fn run(r: &mut PowerOfTwo, insts: &[InstanceStatus], copies: &[Vec<ModelCopy>], n: usize) -> Vec<RouteDecision> {
        testutil::route_n(r, insts, copies, 1, 0, n)
    }

    fn route(insts: &[InstanceStatus], copies: &[Vec<ModelCopy>]) -> RouteDecision {
        run(&mut PowerOfTwo::new(1), insts, copies, 1)[0]
    }

    #[test]
    fn warm_copy_with_free_slot_first() {
        // 0 idle without the model; copies on 1 (3 of 4 slots busy) and 2 (1 of 4)
        let insts = [inst(0, 0, 0), inst(1, 3, 3), inst(2, 1, 1), inst(3, 0, 0)];
        let copies = vec![vec![copy(1, MemState::Loaded), copy(2, MemState::Loaded), copy(3, MemState::Loading)]];
        for d in run(&mut PowerOfTwo::new(5), &insts, &copies, 50) {
            assert_eq!(d, RouteDecision::To(InstanceId(2)));
        }
    }

    #[test]
    fn holder_wins_within_slack() {
        // two accepting instances: both are always sampled
        // 0 holds the model, all 4 slots busy (no shortcut), 4 more outstanding than 1: 4 ≤ 0 + 8
        let insts = [inst(0, 4, 4), inst(1, 0, 0)];
        let copies = vec![vec![copy(0, MemState::Loaded)]];
        assert_eq!(route(&insts, &copies), RouteDecision::To(InstanceId(0)));
        // 8 more: still within 2 × 4
        let insts = [inst(0, 8, 4), inst(1, 0, 0)];
        assert_eq!(route(&insts, &copies), RouteDecision::To(InstanceId(0)));
        // 9 more: past the slack, the less loaded one
        let insts = [inst(0, 9, 4), inst(1, 0, 0)];
        assert_eq!(route(&insts, &copies), RouteDecision::To(InstanceId(1)));
        // a copy still loading (or pending) counts as held, not as a free slot
        let insts = [inst(0, 3, 0), inst(1, 0, 0)];
        let copies = vec![vec![copy(0, MemState::Loading)]];
        assert_eq!(route(&insts, &copies), RouteDecision::To(InstanceId(0)));
        let copies = vec![vec![copy(0, MemState::Pending)]];
        assert_eq!(route(&insts, &copies), RouteDecision::To(InstanceId(0)));
        // disk only, or unloading: not held
        let copies = vec![vec![copy(0, MemState::Absent)]];
        assert_eq!(route(&insts, &copies), RouteDecision::To(InstanceId(1)));
        let copies = vec![vec![copy(0, MemState::Unloading)]];
        assert_eq!(route(&insts, &copies), RouteDecision::To(InstanceId(1)));
    }

    #[test]
    fn fewer_outstanding_when_both_or_neither_hold() {
        let insts = [inst(0, 5, 4), inst(1, 4, 4)];
        assert_eq!(route(&insts, &[vec![]]), RouteDecision::To(InstanceId(1)));
        let both = vec![vec![copy(0, MemState::Loaded), copy(1, MemState::Loaded)]];
        assert_eq!(route(&insts, &both), RouteDecision::To(InstanceId(1)));
        // ties by id
        let insts = [inst(0, 4, 4), inst(1, 4, 4)];
        assert_eq!(route(&insts, &both), RouteDecision::To(InstanceId(0)));
        assert_eq!(route(&insts, &[vec![]]), RouteDecision::To(InstanceId(0)));
    }

    #[test]
    fn samples_are_distinct() {
        // the most loaded of 10 never wins a two-choice between distinct instances
        let insts: Vec<_> = (0..10).map(|i| inst(i, i, 0)).collect();
        let mut per = [0u32; 10];
        for d in run(&mut PowerOfTwo::new(9), &insts, &[vec![]], 4500) {
            let RouteDecision::To(i) = d else { panic!("{d:?}") };
            per[i.index()] += 1;
        }
        assert_eq!(per[9], 0, "{per:?}");
        // instance k wins the 9 - k of the 45 equally likely pairs that hold
        // it and a busier one: for k = 0, 900 of 4500 expected (sd ≈ 27)
        assert!((800..=1000).contains(&per[0]), "{per:?}");
    }

    #[test]
    fn same_seed_same_choices() {
        let insts: Vec<_> = (0..12).map(|i| inst(i, (i * 7) % 5, 0)).collect();
        let copies = vec![vec![copy(3, MemState::Loading), copy(8, MemState::Pending)]];
        let a = run(&mut PowerOfTwo::new(21), &insts, &copies, 300);
        assert_eq!(a, run(&mut PowerOfTwo::new(21), &insts, &copies, 300));
        assert_ne!(a, run(&mut PowerOfTwo::new(22), &insts, &copies, 300));
    }

    #[test]
    fn failed_or_draining_never_chosen() {
        // a failed copy with free slots and a draining idle instance are skipped
        let mut insts = [inst(0, 0, 0).failed(), inst(1, 0, 0).draining(), inst(2, 6, 4), inst(3, 7, 4)];
        let copies = vec![vec![copy(0, MemState::Loaded), copy(1, MemState::Loaded)]];
        for d in run(&mut PowerOfTwo::new(4), &insts, &copies, 100) {
            assert_eq!(d, RouteDecision::To(InstanceId(2)));
        }
        // a single accepting instance is taken without sampling
        insts[3].healthy = false;
        assert_eq!(run(&mut PowerOfTwo::new(4), &insts, &copies, 3), vec![RouteDecision::To(InstanceId(2)); 3]);
    }

    #[test]
    fn no_accepting_instance_rejects() {
        let insts = [inst(0, 0, 0).failed(), inst(1, 0, 0).draining()];
        let copies = vec![vec![copy(1, MemState::Loaded)]];
        assert_eq!(route(&insts, &copies), RouteDecision::Reject(RejectReason::NoHealthyInstance));
        assert_eq!(PowerOfTwo::new(0).name(), "p2c");
        testutil::assert_keeps_contract(|| PowerOfTwo::new(0));
    }
}
