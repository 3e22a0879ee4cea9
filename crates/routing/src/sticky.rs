//! `sticky`: SageMaker-like sticky routing with spill-over.
//!
//! ```text
//! route(m):
//!   H = accepting instances where m is loaded, loading or pending a load
//!   h = argmin over H of (outstanding, id)
//!   if h exists and outstanding(h) < ceil(spill_factor × slots(h)): return h
//!   if H is empty: return the rendezvous-hash home of m among accepting
//!                  instances (stable: the same instance while it is up)
//!   # every copy is busy: spill
//!   c = argmin over accepting instances not in H of
//!       (outstanding, -rendezvous(m, i))
//!   return c if outstanding(c) < outstanding(h), else h
//! ```
//!
//! This follows how SageMaker describes multi-model endpoint routing:
//! requests go to an instance that already has the model loaded; when that
//! instance is busy, another instance loads a copy; models not loaded
//! anywhere go to an instance chosen for locality. The spill threshold is
//! not published; `spill_factor = 2.0` (the default) spills once a copy
//! has a full set of requests queued behind its busy slots.
//!
//! Cost per request: O(copies of m) when a copy takes it; O(instances) for a
//! model with no copy or on spill.

use crate::hash::{home, rendezvous};
use mmesim_core::{ClusterView, ModelId, RejectReason, RouteDecision, Router};

/// Sticky routing with spill-over. See the module notes.
#[derive(Clone, Debug)]
pub struct Sticky {
    spill_factor: f64,
}

impl Sticky {
    /// A sticky router that spills once a copy's outstanding requests
    /// reach `spill_factor × slots`.
    pub fn new(spill_factor: f64) -> Self {
        Sticky { spill_factor }
    }
}

impl Router for Sticky {
    fn name(&self) -> &str {
        "sticky"
    }

    fn route(&mut self, model: ModelId, view: &ClusterView<'_>) -> RouteDecision {
        let mut best: Option<(u32, u32)> = None; // (outstanding, id)
        for c in view.copies(model) {
            if !c.in_memory_or_coming() {
                continue;
            }
            let s = view.instance(c.instance);
            if !s.accepts() {
                continue;
            }
            let key = (s.outstanding, s.id.0);
            if best.is_none_or(|b| key < b) {
                best = Some(key);
            }
        }
        let Some((out, h)) = best else {
            return match home(model, view.instances()) {
                Some(i) => RouteDecision::To(mmesim_core::InstanceId(i)),
                None => RouteDecision::Reject(RejectReason::NoHealthyInstance),
            };
        };
        let slots = view.instance(mmesim_core::InstanceId(h)).slots;
        let threshold = (self.spill_factor * slots as f64).ceil().max(1.0) as u32;
        if out < threshold {
            return RouteDecision::To(mmesim_core::InstanceId(h));
        }
        let holds = |id: u32| view.copies(model).iter().any(|c| c.instance.0 == id && c.in_memory_or_coming());
        let spill = view
            .instances()
            .iter()
            .filter(|s| s.accepts() && !holds(s.id.0))
            .min_by_key(|s| (s.outstanding, std::cmp::Reverse(rendezvous(model, s.id.0))));
        match spill {
            Some(c) if c.outstanding < out => RouteDecision::To(c.id),
            _ => RouteDecision::To(mmesim_core::InstanceId(h)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmesim_core::{Bytes, DiskState, InstanceId, InstanceStatus, MemState, ModelCopy, ZoneId};
    use mmesim_engine::SimTime;

    fn inst(id: u32, outstanding: u32) -> InstanceStatus {
        InstanceStatus {
            id: InstanceId(id),
            zone: ZoneId(0),
            healthy: true,
            draining: false,
            outstanding,
            slots: 4,
            memory_capacity: Bytes(100),
            memory_free: Bytes(100),
            loaded_models: 0,
        }
    }

    fn copy(i: u32, memory: MemState) -> ModelCopy {
        ModelCopy { instance: InstanceId(i), memory, disk: DiskState::Present }
    }

    fn route(insts: &[InstanceStatus], copies: &[Vec<ModelCopy>], m: u32) -> RouteDecision {
        let mem = vec![Bytes(1); copies.len()];
        let view = ClusterView::new(insts, copies, &mem, SimTime::ZERO);
        Sticky::new(2.0).route(ModelId(m), &view)
    }

    #[test]
    fn prefers_least_loaded_copy() {
        let insts = [inst(0, 1), inst(1, 5), inst(2, 3), inst(3, 0)];
        let copies = vec![vec![copy(1, MemState::Loaded), copy(2, MemState::Loading)]];
        assert_eq!(route(&insts, &copies, 0), RouteDecision::To(InstanceId(2)));
    }

    #[test]
    fn disk_only_copy_is_not_a_holder_and_failed_holders_are_skipped() {
        let mut insts = [inst(0, 0), inst(1, 0), inst(2, 0)];
        insts[1].healthy = false;
        let copies = vec![vec![copy(1, MemState::Loaded), copy(2, MemState::Absent)]];
        // no accepting holder: the stable home among accepting instances
        let expect = home(ModelId(0), &insts).unwrap();
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
        let insts: Vec<_> = (0..8).map(|i| inst(i, 0)).collect();
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
    fn no_accepting_instance_rejects() {
        let mut insts = [inst(0, 0), inst(1, 0)];
        insts[0].healthy = false;
        insts[1].draining = true;
        let copies = vec![vec![copy(1, MemState::Loaded)]];
        assert_eq!(route(&insts, &copies, 0), RouteDecision::Reject(RejectReason::NoHealthyInstance));
    }
}
