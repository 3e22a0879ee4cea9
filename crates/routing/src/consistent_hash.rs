//! `consistent-hash`: consistent hashing with bounded loads.
//!
//! ```text
//! ring = consistent-hash ring of the accepting instances (VNODES points each)
//! c    = load_factor (> 1)
//!
//! route(m):
//!   if no instance accepts:  reject (no_healthy_instance)
//!   min = the fewest outstanding requests of any accepting instance
//!   cap = max(ceil(c × (min + 1)), min + 1)
//!   walk the ring clockwise from m's point:
//!     i = the instance of the point
//!     if outstanding(i) < cap:  return i
//!     stop once every accepting instance has been seen
//!   return the accepting instance with the fewest outstanding requests
//! ```
//!
//! Reference: V. Mirrokni, M. Thorup, M. Zadimoghaddam, "Consistent Hashing
//! with Bounded Loads", SODA 2018 (deployed in Google Cloud Pub/Sub and
//! HAProxy). A model goes to its home on the ring (Karger et al. 1997) as
//! long as the home is under a capacity; a full home forwards it to the
//! next instance clockwise, so the overflow of one home lands on a few
//! stable neighbours rather than everywhere.
//!
//! **The bound (a documented variant).** The paper's capacity is
//! `ceil(c × (total load + 1) / n)`, from the *average* load. The router
//! cannot keep the total cheaply (it does not see completions) and summing
//! it would scan the fleet on every request; the core's index gives the
//! *least* load in O(log n). So the capacity here is relative to the least
//! loaded instance: `ceil(c × (min + 1))`. Consequences:
//! - the least-loaded instance is always under the capacity, so the walk
//!   always ends at or before it (the fallback after seeing every instance
//!   is only a safeguard) and the load after placing is at most `cap`;
//! - since `min ≤ average`, `cap ≤ ceil(c × (average + 1))`: the paper's
//!   max-load guarantee holds up to the `+ 1` (which keeps a home under
//!   light load: with every instance idle, `cap = ceil(c) ≥ 2`);
//! - under skewed load it is stricter than the paper's: one idle instance
//!   (say, just launched) pulls `cap` down to `ceil(c)`, so busier homes
//!   forward their models along the ring until it catches up. That trades
//!   some locality (cold loads on the neighbours) for balance, only while
//!   the skew lasts; with balanced loads every model stays home.
//!
//! The ring is shared code ([`HashRing`]), rebuilt only when the set of
//! accepting instances changes.
//!
//! Cost per request: O(log instances) for the ring lookup and the least
//! load, plus the walk — one step while the home is under the bound; the
//! walk is bounded by the ring (every accepting instance seen once, about
//! `VNODES × n` points at worst), and since it ends at the least-loaded
//! instance it is short unless loads are very skewed.

use crate::hash::HashRing;
use mmesim_core::{ClusterView, InstanceId, ModelId, RejectReason, RouteDecision, Router};

/// Consistent hashing with bounded loads. See the module notes.
#[derive(Clone, Debug)]
pub struct ConsistentHash {
    load_factor: f64,
    ring: HashRing,
    /// `seen[id]`: instance `id` was visited (and found full) by the current
    /// walk; reset after each walk through `touched`.
    seen: Vec<bool>,
    touched: Vec<u32>,
}

impl ConsistentHash {
    /// A bounded-load consistent-hash router: an instance takes a request
    /// only while its outstanding requests are below
    /// `ceil(load_factor × (least outstanding + 1))`.
    pub fn new(load_factor: f64) -> Self {
        ConsistentHash { load_factor, ring: HashRing::new(), seen: Vec::new(), touched: Vec::new() }
    }

    /// The first instance clockwise from `start` under `cap`, seeing each
    /// of the `n` accepting instances at most once.
    fn walk(&mut self, start: usize, cap: u32, n: usize, view: &ClusterView<'_>) -> Option<InstanceId> {
        if self.seen.len() < view.instances().len() {
            self.seen.resize(view.instances().len(), false);
        }
        let mut found = None;
        for k in 0..self.ring.len() {
            let id = self.ring.at(start + k);
            if self.seen[id.index()] {
                continue;
            }
            if view.instance(id).outstanding < cap {
                found = Some(id);
                break;
            }
            self.seen[id.index()] = true;
            self.touched.push(id.0);
            if self.touched.len() >= n {
                break;
            }
        }
        for id in self.touched.drain(..) {
            self.seen[id as usize] = false;
        }
        found
    }
}

impl Router for ConsistentHash {
    fn name(&self) -> &str {
        "consistent-hash"
    }

    fn reads_lru_age(&self) -> bool {
        false
    }

    fn route(&mut self, model: ModelId, view: &ClusterView<'_>) -> RouteDecision {
        let (Some(start), Some(least)) = (self.ring.start(model, view), view.fleet().by_load().next()) else {
            return RouteDecision::Reject(RejectReason::NoHealthyInstance);
        };
        let min = view.instance(least).outstanding as f64;
        let cap = (self.load_factor * (min + 1.0)).ceil().max(min + 1.0) as u32;
        let n = view.fleet().accepting().len();
        RouteDecision::To(self.walk(start, cap, n, view).unwrap_or(least))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{self, inst, StatusExt};
    use mmesim_core::InstanceStatus;

    const MODELS: usize = 200;

    fn route(insts: &[InstanceStatus], m: u32) -> RouteDecision {
        testutil::route_one(&mut ConsistentHash::new(1.25), insts, &vec![Vec::new(); MODELS], 1, m)
    }

    /// The distinct instances on `m`'s walk, in ring order.
    fn ring_order(insts: &[InstanceStatus], m: u32) -> Vec<u32> {
        testutil::with_view(insts, &vec![Vec::new(); MODELS], 1, |view| {
            let mut ring = HashRing::new();
            let start = ring.start(ModelId(m), view).unwrap();
            let mut order = Vec::new();
            for k in 0..ring.len() {
                let id = ring.at(start + k).0;
                if !order.contains(&id) {
                    order.push(id);
                }
            }
            order
        })
    }

    #[test]
    fn stays_home_while_balanced() {
        for load in [0, 1, 5, 40] {
            let insts: Vec<_> = (0..6).map(|i| inst(i, load)).collect();
            let mut per = [0u32; 6];
            for m in 0..MODELS as u32 {
                let home = ring_order(&insts, m)[0];
                assert_eq!(route(&insts, m), RouteDecision::To(InstanceId(home)), "load {load}, model {m}");
                per[home as usize] += 1;
            }
            assert!(per.iter().all(|&n| n > 0), "{per:?}");
        }
        // unequal but within the bound: min 4 → cap = ceil(1.25 × 5) = 7
        let insts: Vec<_> = (0..6).map(|i| inst(i, 4 + i % 3)).collect();
        for m in 0..MODELS as u32 {
            assert_eq!(route(&insts, m), RouteDecision::To(InstanceId(ring_order(&insts, m)[0])));
        }
    }

    #[test]
    fn overloaded_home_forwards_along_the_ring() {
        let m = 7;
        let idle = testutil::idle(5);
        let order = ring_order(&idle, m);
        assert_eq!(order.len(), 5);
        // min 0 → cap = ceil(1.25 × 1) = 2: a home with 1 keeps the model ...
        let mut insts = idle.clone();
        insts[order[0] as usize].outstanding = 1;
        assert_eq!(route(&insts, m), RouteDecision::To(InstanceId(order[0])));
        // ... with 2 it is full: the next instance on the ring
        insts[order[0] as usize].outstanding = 2;
        assert_eq!(route(&insts, m), RouteDecision::To(InstanceId(order[1])));
        // next one full as well: the one after
        insts[order[1] as usize].outstanding = 3;
        assert_eq!(route(&insts, m), RouteDecision::To(InstanceId(order[2])));
        // everyone at 10 but the last on the walk at 8: min 8 → cap = ceil(11.25) = 12,
        // everyone under it: home again
        let mut insts: Vec<_> = (0..5).map(|i| inst(i, 10)).collect();
        insts[order[4] as usize].outstanding = 8;
        assert_eq!(route(&insts, m), RouteDecision::To(InstanceId(order[0])));
        // the last at 7: cap = ceil(10) = 10, all the others full: the walk ends there
        insts[order[4] as usize].outstanding = 7;
        assert_eq!(route(&insts, m), RouteDecision::To(InstanceId(order[4])));
    }

    #[test]
    fn failed_or_draining_never_chosen() {
        let m = 3;
        let full = testutil::idle(4);
        let home = ring_order(&full, m)[0];
        let mut insts = full.clone();
        insts[home as usize].healthy = false;
        // the ring is rebuilt without the failed home: the next one on it takes the model
        let fewer = ring_order(&insts, m);
        assert!(!fewer.contains(&home));
        assert_eq!(fewer[0], ring_order(&full, m)[1]);
        assert_eq!(route(&insts, m), RouteDecision::To(InstanceId(fewer[0])));
        // draining: same
        let mut insts = full.clone();
        insts[home as usize].draining = true;
        assert_eq!(route(&insts, m), RouteDecision::To(InstanceId(fewer[0])));
        // no model ever lands on a failed or draining instance
        let mut insts: Vec<_> = (0..6).map(|i| inst(i, i)).collect();
        insts[0].healthy = false;
        insts[2].draining = true;
        for m in 0..MODELS as u32 {
            let RouteDecision::To(i) = route(&insts, m) else { panic!() };
            assert!(insts[i.index()].accepts(), "model {m} → {i}");
        }
    }

    #[test]
    fn walk_is_bounded() {
        // the least-loaded instance is always under the bound, so the
        // fallback cannot trigger through `route`; drive the walk directly
        // with a capacity nobody meets: it sees each instance once, finds
        // none, and leaves its scratch space clean.
        let insts: Vec<_> = (0..4).map(|i| inst(i, 3)).collect();
        testutil::with_view(&insts, &[Vec::new()], 1, |view| {
            let mut r = ConsistentHash::new(1.25);
            let start = r.ring.start(ModelId(0), view).unwrap();
            assert_eq!(r.walk(start, 3, 4, view), None);
            assert!(r.touched.is_empty() && r.seen.iter().all(|&s| !s));
            // capacity 4: the home takes it
            assert_eq!(r.walk(start, 4, 4, view), Some(r.ring.at(start)));
        });
    }

    #[test]
    fn no_accepting_instance_rejects() {
        let insts = [inst(0, 0).failed(), inst(1, 0).draining()];
        assert_eq!(route(&insts, 0), RouteDecision::Reject(RejectReason::NoHealthyInstance));
        assert_eq!(ConsistentHash::new(1.25).name(), "consistent-hash");
        testutil::assert_keeps_contract(|| ConsistentHash::new(1.25));
    }
}
