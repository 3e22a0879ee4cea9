//! `random`: a uniformly random accepting instance.
//!
//! ```text
//! A = accepting instances, in id order
//! route(m):
//!   if A is empty:  reject (no_healthy_instance)
//!   return A[uniform(0 .. |A|)]      # one draw from the routing stream
//! ```
//!
//! The baseline every load balancer is compared with: it ignores load and
//! locality alike. The draws come from the run's own routing stream
//! (`RngStreams::new(seed).stream(Stream::Routing)`), so a seed gives the
//! same choices on every machine. The bounded draw is Lemire's
//! multiply-and-reject method ("Fast Random Integer Generation in an
//! Interval", ACM TOMACS 2019) over the generator's raw `u64` output:
//! unbiased, and independent of how a `rand` release implements ranges.
//!
//! Cost per request: O(1) (one draw, rarely two; one index into the core's
//! id-ordered list of accepting instances).

use mmesim_core::{ClusterView, ModelId, RejectReason, RouteDecision, Router};
use mmesim_engine::{RngStreams, SimRng, Stream};
use rand::RngCore;

/// A uniform draw from `0..n` (`n > 0`), unbiased (Lemire 2019).
pub(crate) fn uniform(rng: &mut SimRng, n: usize) -> usize {
    debug_assert!(n > 0);
    let n = n as u64;
    let mut m = rng.next_u64() as u128 * n as u128;
    if (m as u64) < n {
        // reject the few low products that would over-represent some values
        let threshold = n.wrapping_neg() % n;
        while (m as u64) < threshold {
            m = rng.next_u64() as u128 * n as u128;
        }
    }
    (m >> 64) as usize
}

/// The routing stream of a run with this seed.
pub(crate) fn routing_rng(seed: u64) -> SimRng {
    RngStreams::new(seed).stream(Stream::Routing)
}

/// Uniformly random routing. See the module notes.
#[derive(Clone, Debug)]
pub struct RandomRouter {
    rng: SimRng,
}

impl RandomRouter {
    /// A random router drawing from the routing stream of `seed`.
    pub fn new(seed: u64) -> Self {
        RandomRouter { rng: routing_rng(seed) }
    }
}

impl Router for RandomRouter {
    fn name(&self) -> &str {
        "random"
    }

    fn reads_lru_age(&self) -> bool {
        false
    }

    fn route(&mut self, _model: ModelId, view: &ClusterView<'_>) -> RouteDecision {
        let accepting = view.fleet().accepting();
        if accepting.is_empty() {
            return RouteDecision::Reject(RejectReason::NoHealthyInstance);
        }
        RouteDecision::To(accepting[uniform(&mut self.rng, accepting.len())])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{self, inst, StatusExt};
    use mmesim_core::{InstanceId, InstanceStatus};

    /// `n` decisions of `r` on a fixed view.
    fn run(r: &mut RandomRouter, insts: &[InstanceStatus], n: usize) -> Vec<RouteDecision> {
        testutil::route_n(r, insts, &[Vec::new()], 1, 0, n)
    }

    #[test]
    fn same_seed_same_choices() {
        let insts = testutil::idle(7);
        let a = run(&mut RandomRouter::new(11), &insts, 200);
        let b = run(&mut RandomRouter::new(11), &insts, 200);
        assert_eq!(a, b);
        let c = run(&mut RandomRouter::new(12), &insts, 200);
        assert_ne!(a, c);
    }

    #[test]
    fn roughly_uniform() {
        let insts = testutil::idle(4);
        let mut per = [0u32; 4];
        for d in run(&mut RandomRouter::new(3), &insts, 8000) {
            let RouteDecision::To(i) = d else { panic!("{d:?}") };
            per[i.index()] += 1;
        }
        // 8000 draws over 4: 2000 each, sd ≈ 39; allow ± 200
        assert!(per.iter().all(|&n| (1800..=2200).contains(&n)), "{per:?}");
    }

    #[test]
    fn uniform_draw_is_in_range_and_covers_it() {
        let mut rng = routing_rng(5);
        let mut seen = [false; 3];
        for _ in 0..300 {
            let k = uniform(&mut rng, 3);
            seen[k] = true;
        }
        assert_eq!(seen, [true; 3]);
        assert!((0..100).all(|_| uniform(&mut rng, 1) == 0));
    }

    #[test]
    fn failed_or_draining_never_chosen() {
        let mut insts = testutil::idle(5);
        insts[1].healthy = false;
        insts[3].draining = true;
        for d in run(&mut RandomRouter::new(1), &insts, 500) {
            assert!(matches!(d, RouteDecision::To(InstanceId(0 | 2 | 4))), "{d:?}");
        }
    }

    #[test]
    fn no_accepting_instance_rejects() {
        let insts = [inst(0, 0).failed(), inst(1, 0).draining()];
        let mut r = RandomRouter::new(1);
        assert_eq!(r.name(), "random");
        assert_eq!(run(&mut r, &insts, 3), vec![RouteDecision::Reject(RejectReason::NoHealthyInstance); 3]);
        testutil::assert_keeps_contract(|| RandomRouter::new(1));
    }
}
