//! `sticky`: SageMaker-like sticky routing with spill-over.
//!
//! ```text
//! load(i)  = requests being served or queued for a slot on i
//!            (not those waiting for a model: a cold start is not CPU load)
//! limit(i) = ceil(spill_factor × slots(i))
//!
//! route(m):
//!   L = accepting instances where m is loaded
//!   C = accepting instances where m is pending or loading (a copy on its way)
//!   h = argmin over L of (load, outstanding, id)
//!   if h exists and load(h) < limit(h):  return h
//!   if C is not empty:                   return argmin over C of (load, outstanding, id)
//!   if h does not exist:                 return m's home on a consistent-hash
//!                                        ring of the accepting instances (stable)
//!   # every loaded copy is busy: spill, the target loads its own copy
//!   c = the accepting instance not in L with the fewest outstanding requests
//!       (ties: the one that reached that count first)
//!   return c if load(c) < load(h), else h
//! ```
//!
//! This follows how SageMaker describes multi-model endpoint routing:
//! requests go to an instance that already has the model loaded; when that
//! instance is busy, another instance loads a copy; models not loaded
//! anywhere go to an instance chosen for locality. The spill threshold is
//! not published; `spill_factor = 2.0` (the default) spills once a copy's
//! slots are all busy with as many requests again queued behind them. A
//! request never spills away from a copy that is still loading (it would
//! only start a second cold start), and "busy" counts slot work only, so
//! an instance filling its cache does not push traffic away.
//!
//! Cost per request: O(copies of m) when a copy takes it; O(log instances)
//! for a model with no copy (a ring lookup) or on spill (the core's index of
//! instances by outstanding requests, skipping the copies) — never a scan
//! of the fleet.

use crate::hash::HashRing;
use mmesim_core::{ClusterView, InstanceId, MemState, ModelId, RejectReason, RouteDecision, Router};

/// Sticky routing with spill-over. See the module notes.
#[derive(Clone, Debug)]
pub struct Sticky {
    spill_factor: f64,
    /// `(slots, limit(slots))` of the last limit computed: a fleet has
    /// one or two slot counts, so the bound is computed once, not per
    /// request.
    bound: (u32, u32),
    ring: HashRing,
}

impl Sticky {
    /// A sticky router that spills once the least-loaded copy's slot load
    /// reaches `spill_factor × slots`.
    pub fn new(spill_factor: f64) -> Self {
        Sticky { spill_factor, bound: (0, Self::limit(spill_factor, 0)), ring: HashRing::new() }
    }

    /// `max(1, ceil(spill_factor × slots))`.
    fn limit(spill_factor: f64, slots: u32) -> u32 {
        (spill_factor * slots as f64).ceil().max(1.0) as u32
    }
}

impl Router for Sticky {
    fn name(&self) -> &str {
        "sticky"
    }

    fn reads_lru_age(&self) -> bool {
        false
    }

    fn route(&mut self, model: ModelId, view: &ClusterView<'_>) -> RouteDecision {
        let mut loaded: Option<(u32, u32, u32)> = None; // (load, outstanding, id)
        let mut coming: Option<(u32, u32, u32)> = None;
        for c in view.copies(model) {
            let s = view.instance(c.instance);
            if !s.accepts() {
                continue;
            }
            let key = Some((s.slot_load(), s.outstanding, s.id.0));
            match c.memory {
                MemState::Loaded if loaded.is_none() || key < loaded => loaded = key,
                MemState::Pending | MemState::Loading if coming.is_none() || key < coming => coming = key,
                _ => {}
            }
        }
        if let Some((load, _, h)) = loaded {
            let slots = view.instance(InstanceId(h)).slots;
            if slots != self.bound.0 {
                self.bound = (slots, Self::limit(self.spill_factor, slots));
            }
            if load < self.bound.1 {
                return RouteDecision::To(InstanceId(h));
            }
        }
        if let Some((_, _, c)) = coming {
            return RouteDecision::To(InstanceId(c));
        }
        let Some((load, _, h)) = loaded else {
            return match self.ring.home(model, view) {
                Some(i) => RouteDecision::To(i),
                None => RouteDecision::Reject(RejectReason::NoHealthyInstance),
            };
        };
        let holds =
            |id: InstanceId| view.copies(model).iter().any(|c| c.instance == id && c.memory == MemState::Loaded);
        match view.fleet().by_load().find(|&i| !holds(i)) {
            Some(c) if view.instance(c).slot_load() < load => RouteDecision::To(c),
            _ => RouteDecision::To(InstanceId(h)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{self, copy, inst, StatusExt};
    use mmesim_core::{InstanceStatus, ModelCopy};

    fn route(insts: &[InstanceStatus], copies: &[Vec<ModelCopy>], m: u32) -> RouteDecision {
        testutil::route_one(&mut Sticky::new(2.0), insts, copies, 1, m)
    }

    fn home(m: u32, insts: &[InstanceStatus]) -> Option<u32> {
        testutil::with_view(insts, &[Vec::new()], 1, |view| HashRing::new().home(ModelId(m), view).map(|i| i.0))
    }

    #[test]
    fn prefers_least_loaded_copy() {
        let insts = [inst(0, 1), inst(1, 5), inst(2, 3), inst(3, 0)];
        let copies = vec![vec![copy(1, MemState::Loaded), copy(2, MemState::Loaded), copy(3, MemState::Loading)]];
        assert_eq!(route(&insts, &copies, 0), RouteDecision::To(InstanceId(2)));
        // a loaded copy under the limit beats a copy still loading
        let copies = vec![vec![copy(1, MemState::Loaded), copy(3, MemState::Loading)]];
        assert_eq!(route(&insts, &copies, 0), RouteDecision::To(InstanceId(1)));
    }

    #[test]
    fn disk_only_copy_is_not_a_holder_and_failed_holders_are_skipped() {
        let insts = [inst(0, 0), inst(1, 0).failed(), inst(2, 0)];
        let copies = vec![vec![copy(1, MemState::Loaded), copy(2, MemState::Absent)]];
        // no accepting holder: the stable home among accepting instances
        let expect = home(0, &insts).unwrap();
        assert_ne!(expect, 1);
        assert_eq!(route(&insts, &copies, 0), RouteDecision::To(InstanceId(expect)));
    }

    #[test]
    fn spills_past_threshold_to_least_loaded_non_holder() {
        // threshold = ceil(2.0 × 4) = 8
        let insts = [inst(0, 8), inst(1, 9), inst(2, 3), inst(3, 1)];
        let copies = vec![vec![copy(0, MemState::Loaded), copy(1, MemState::Loaded)]];
        assert_eq!(route(&insts, &copies, 0), RouteDecision::To(InstanceId(3)));
        // below threshold: stays
        let insts = [inst(0, 7), inst(1, 9), inst(2, 3), inst(3, 1)];
        assert_eq!(route(&insts, &copies, 0), RouteDecision::To(InstanceId(0)));
        // every non-holder busier than the copy: stays on the copy
        let insts = [inst(0, 8), inst(1, 9), inst(2, 10), inst(3, 12)];
        assert_eq!(route(&insts, &copies, 0), RouteDecision::To(InstanceId(0)));
    }

    #[test]
    fn home_is_stable_and_spreads() {
        let insts = testutil::idle(8);
        let copies = vec![Vec::new(); 1000];
        let mut per = [0u32; 8];
        for m in 0..1000 {
            let RouteDecision::To(i) = route(&insts, &copies, m) else { panic!() };
            assert_eq!(route(&insts, &copies, m), RouteDecision::To(i));
            per[i.index()] += 1;
        }
        // 1000 models over 8 homes: each gets 125 ± 40
        assert!(per.iter().all(|&n| (85..=165).contains(&n)), "{per:?}");
        // removing instance 5 moves only the models whose home it was
        let mut fewer = insts.clone();
        fewer[5].healthy = false;
        for m in 0..1000 {
            let before = route(&insts, &copies, m);
            let after = route(&fewer, &copies, m);
            if before != RouteDecision::To(InstanceId(5)) {
                assert_eq!(before, after);
            }
        }
    }

    #[test]
    fn joins_a_copy_on_its_way_rather_than_spilling() {
        // the loaded copy on 0 is busy (8 ≥ 8); 1 is loading it: go there
        let insts = [inst(0, 8), inst(1, 0), inst(2, 0)];
        let copies = vec![vec![copy(0, MemState::Loaded), copy(1, MemState::Loading)]];
        assert_eq!(route(&insts, &copies, 0), RouteDecision::To(InstanceId(1)));
        // only a pending copy: join it even if busy
        let insts = [inst(0, 0), inst(1, 30), inst(2, 0)];
        let copies = vec![vec![copy(1, MemState::Pending)]];
        assert_eq!(route(&insts, &copies, 0), RouteDecision::To(InstanceId(1)));
    }

    #[test]
    fn cold_starts_are_not_load() {
        // instance 0 holds the model and has 20 requests waiting for other
        // models' loads but only 1 in service: not busy, no spill
        let insts = [inst(0, 21).serving(1), inst(1, 0)];
        let copies = vec![vec![copy(0, MemState::Loaded)]];
        assert_eq!(route(&insts, &copies, 0), RouteDecision::To(InstanceId(0)));
    }

    #[test]
    fn no_accepting_instance_rejects() {
        let insts = [inst(0, 0).failed(), inst(1, 0).draining()];
        let copies = vec![vec![copy(1, MemState::Loaded)]];
        assert_eq!(route(&insts, &copies, 0), RouteDecision::Reject(RejectReason::NoHealthyInstance));
        testutil::assert_keeps_contract(|| Sticky::new(2.0));
    }
}
