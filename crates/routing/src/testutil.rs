//! Shared builders for the routers' unit tests: instance statuses, model
//! copies, a view to route on, and the contract every router keeps — a
//! decision is an accepting instance (never a failed or draining one), or
//! `Reject(NoHealthyInstance)` exactly when no instance accepts.

use mmesim_core::{
    Bytes, ClusterView, DiskState, FleetIndex, InstanceId, InstanceStatus, MemState, ModelCopy, ModelId, RejectReason,
    RouteDecision, Router, ZoneId,
};
use mmesim_engine::SimTime;

/// The rejection a router gives when no instance accepts.
pub(crate) const NO_HEALTHY: RouteDecision = RouteDecision::Reject(RejectReason::NoHealthyInstance);

/// The view's clock, in seconds: after every cache age the tests set
/// (routers do not read the clock).
const NOW_SECS: u64 = 1000;

/// `RouteDecision::To(InstanceId(i))`.
pub(crate) fn to(i: u32) -> RouteDecision {
    RouteDecision::To(InstanceId(i))
}

/// An accepting instance in zone 0 with 4 slots and 100 bytes of memory,
/// all free and nothing loaded, holding `outstanding` requests, all in
/// service (none queued for a slot). Adjust with [`StatusExt`].
pub(crate) fn inst(id: u32, outstanding: u32) -> InstanceStatus {
    InstanceStatus {
        id: InstanceId(id),
        zone: ZoneId(0),
        healthy: true,
        draining: false,
        outstanding,
        serving: outstanding,
        queued_for_slot: 0,
        slots: 4,
        memory_capacity: Bytes(100),
        memory_free: Bytes(100),
        loaded_models: 0,
        lru_last_used: None,
    }
}

/// `n` idle instances, ids `0..n`.
pub(crate) fn idle(n: u32) -> Vec<InstanceStatus> {
    (0..n).map(|i| inst(i, 0)).collect()
}

/// Setters on an [`inst`], by value so they chain.
pub(crate) trait StatusExt {
    /// `n` of the outstanding requests in service (the rest wait for a model).
    fn serving(self, n: u32) -> Self;
    /// `bytes` of memory free.
    fn free(self, bytes: u64) -> Self;
    /// One model loaded, last used at `secs`.
    fn cached_since(self, secs: u64) -> Self;
    /// Failed (not healthy).
    fn failed(self) -> Self;
    /// Draining.
    fn draining(self) -> Self;
}

impl StatusExt for InstanceStatus {
    fn serving(mut self, n: u32) -> Self {
        self.serving = n;
        self
    }
    fn free(mut self, bytes: u64) -> Self {
        self.memory_free = Bytes(bytes);
        self
    }
    fn cached_since(mut self, secs: u64) -> Self {
        self.loaded_models = 1;
        self.lru_last_used = Some(SimTime::from_secs(secs));
        self
    }
    fn failed(mut self) -> Self {
        self.healthy = false;
        self
    }
    fn draining(mut self) -> Self {
        self.draining = true;
        self
    }
}

/// A copy of a model on `instance`, on disk, with `memory` state.
pub(crate) fn copy(instance: u32, memory: MemState) -> ModelCopy {
    ModelCopy { instance: InstanceId(instance), memory, disk: DiskState::Present }
}

/// Calls `f` with a view of `insts` and `copies` (one list per model, each
/// model `footprint` bytes).
pub(crate) fn with_view<T>(
    insts: &[InstanceStatus],
    copies: &[Vec<ModelCopy>],
    footprint: u64,
    f: impl FnOnce(&ClusterView<'_>) -> T,
) -> T {
    let mem = vec![Bytes(footprint); copies.len()];
    let fleet = FleetIndex::from_statuses(insts);
    f(&ClusterView::new(insts, copies, &mem, &fleet, SimTime::from_secs(NOW_SECS)))
}

/// `n` decisions of `router` for `model` on one fixed view (see [`with_view`]).
pub(crate) fn route_n(
    router: &mut dyn Router,
    insts: &[InstanceStatus],
    copies: &[Vec<ModelCopy>],
    footprint: u64,
    model: u32,
    n: usize,
) -> Vec<RouteDecision> {
    with_view(insts, copies, footprint, |view| (0..n).map(|_| router.route(ModelId(model), view)).collect())
}

/// One decision of `router` for `model` (see [`with_view`]).
pub(crate) fn route_one(
    router: &mut dyn Router,
    insts: &[InstanceStatus],
    copies: &[Vec<ModelCopy>],
    footprint: u64,
    model: u32,
) -> RouteDecision {
    route_n(router, insts, copies, footprint, model, 1)[0]
}

/// Checks the routing contract on routers from `make` (a fresh one per
/// fleet): failed or draining instances are never chosen, however tempting
/// (idle, most free memory, oldest cache, holding the model); a single
/// accepting instance takes everything; with none accepting (or no
/// instances at all) every request is rejected with `NoHealthyInstance`.
pub(crate) fn assert_keeps_contract<R: Router>(mut make: impl FnMut() -> R) {
    const MODELS: u32 = 20;
    // 0, 3, 5 failed and 1, 4 draining: idle, all memory free, no cache;
    // 2, 6 and 7 accept, busy, nearly full, with recently used caches.
    let mut insts = vec![
        inst(0, 0).failed(),
        inst(1, 0).draining(),
        inst(2, 6).serving(4).free(10).cached_since(500),
        inst(3, 0).failed(),
        inst(4, 0).draining(),
        inst(5, 0).failed(),
        inst(6, 9).serving(4).free(0).cached_since(600),
        inst(7, 7).serving(4).free(20).cached_since(700),
    ];
    // every model loaded on 0 and 3, coming on 1 and 4; some also on 2 or 6
    let copies: Vec<Vec<ModelCopy>> = (0..MODELS)
        .map(|m| {
            let mut cs = vec![
                copy(0, MemState::Loaded),
                copy(1, MemState::Loading),
                copy(3, MemState::Loaded),
                copy(4, MemState::Pending),
            ];
            match m % 4 {
                0 => cs.push(copy(2, MemState::Loaded)),
                1 => cs.push(copy(6, MemState::Loading)),
                _ => {}
            }
            cs
        })
        .collect();
    let mut check = |insts: &[InstanceStatus], copies: &[Vec<ModelCopy>], expect: &dyn Fn(RouteDecision) -> bool| {
        let mut router = make();
        with_view(insts, copies, 50, |view| {
            for k in 0..5 * MODELS {
                let d = router.route(ModelId(k % MODELS), view);
                assert!(expect(d), "{}: request {k} for model {}: {d:?} on {insts:?}", router.name(), k % MODELS);
            }
        })
    };
    check(&insts, &copies, &|d| matches!(d, RouteDecision::To(InstanceId(2 | 6 | 7))));
    // only 6 accepts
    insts[2].healthy = false;
    insts[7].draining = true;
    check(&insts, &copies, &|d| d == to(6));
    // none accepts
    insts[6].draining = true;
    check(&insts, &copies, &|d| d == NO_HEALTHY);
    // no instances at all
    check(&[], &vec![Vec::new(); MODELS as usize], &|d| d == NO_HEALTHY);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sends every request to one fixed instance, or rejects every one.
    struct Fixed(RouteDecision);

    impl Router for Fixed {
        fn name(&self) -> &str {
            "fixed"
        }
        fn route(&mut self, _model: ModelId, _view: &ClusterView<'_>) -> RouteDecision {
            self.0
        }
    }

    #[test]
    #[should_panic(expected = "fixed: request 0")]
    fn contract_catches_a_failed_instance() {
        assert_keeps_contract(|| Fixed(to(0)));
    }

    #[test]
    #[should_panic(expected = "fixed: request 0")]
    fn contract_catches_a_needless_rejection() {
        assert_keeps_contract(|| Fixed(NO_HEALTHY));
    }

    #[test]
    fn builders_compose() {
        let s = inst(3, 5).serving(2).free(40).cached_since(7).draining();
        assert_eq!((s.id, s.outstanding, s.serving, s.slot_load()), (InstanceId(3), 5, 2, 2));
        assert_eq!((s.memory_free, s.loaded_models, s.lru_last_used), (Bytes(40), 1, Some(SimTime::from_secs(7))));
        assert!(s.healthy && !s.accepts() && !inst(0, 0).failed().accepts());
        let insts = idle(3);
        let copies = [vec![copy(1, MemState::Loaded)], vec![]];
        with_view(&insts, &copies, 9, |view| {
            assert_eq!(view.model_memory(ModelId(1)), Bytes(9));
            assert_eq!(view.copies(ModelId(0)), &copies[0][..]);
            assert_eq!(view.fleet().accepting().len(), 3);
        });
    }
}
