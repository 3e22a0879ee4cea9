//! `least-outstanding`: the accepting instance with the fewest outstanding
//! requests.
//!
//! ```text
//! route(m):
//!   if no instance accepts:  reject (no_healthy_instance)
//!   return the accepting instance with the fewest outstanding requests
//!          (ties: the one that reached that count first)
//! ```
//!
//! The classic "least connections" / join-the-shortest-queue balancer
//! (e.g. Envoy's and AWS ALB's least-outstanding-requests algorithm). It
//! ignores the model entirely, so it balances load perfectly and pays for
//! it in cold starts: a model goes wherever the queue is shortest, loaded
//! or not. "Outstanding" counts every request routed and not finished,
//! including those waiting for a model load.
//!
//! Cost per request: O(log instances) — the first entry of the core's index
//! of accepting instances bucketed by outstanding requests; never a scan.

use mmesim_core::{ClusterView, ModelId, RejectReason, RouteDecision, Router};

/// Least-outstanding-requests routing. See the module notes.
#[derive(Clone, Debug, Default)]
pub struct LeastOutstanding;

impl LeastOutstanding {
    /// A least-outstanding router (it keeps no state).
    pub fn new() -> Self {
        LeastOutstanding
    }
}

impl Router for LeastOutstanding {
    fn name(&self) -> &str {
        "least-outstanding"
    }

    fn route(&mut self, _model: ModelId, view: &ClusterView<'_>) -> RouteDecision {
        match view.fleet().by_load().next() {
            Some(i) => RouteDecision::To(i),
            None => RouteDecision::Reject(RejectReason::NoHealthyInstance),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmesim_core::{Bytes, DiskState, FleetIndex, InstanceId, InstanceStatus, MemState, ModelCopy, ZoneId};
    use mmesim_engine::SimTime;

    fn inst(id: u32, outstanding: u32) -> InstanceStatus {
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

    fn route(insts: &[InstanceStatus], copies: &[Vec<ModelCopy>]) -> RouteDecision {
        let mem = vec![Bytes(1); copies.len()];
        let fleet = FleetIndex::from_statuses(insts);
        let view = ClusterView::new(insts, copies, &mem, &fleet, SimTime::ZERO);
        LeastOutstanding::new().route(ModelId(0), &view)
    }

    #[test]
    fn picks_fewest_outstanding_ties_by_id() {
        let insts = [inst(0, 3), inst(1, 1), inst(2, 2), inst(3, 1)];
        assert_eq!(route(&insts, &[vec![]]), RouteDecision::To(InstanceId(1)));
    }

    #[test]
    fn ignores_where_the_model_is() {
        // the model is loaded on 0, but 2 is less loaded
        let insts = [inst(0, 2), inst(1, 5), inst(2, 1)];
        let copies =
            vec![vec![ModelCopy { instance: InstanceId(0), memory: MemState::Loaded, disk: DiskState::Present }]];
        assert_eq!(route(&insts, &copies), RouteDecision::To(InstanceId(2)));
    }

    #[test]
    fn failed_or_draining_never_chosen() {
        let mut insts = [inst(0, 0), inst(1, 0), inst(2, 7)];
        insts[0].healthy = false;
        insts[1].draining = true;
        assert_eq!(route(&insts, &[vec![]]), RouteDecision::To(InstanceId(2)));
    }

    #[test]
    fn no_accepting_instance_rejects() {
        let mut insts = [inst(0, 0), inst(1, 0)];
        insts[0].healthy = false;
        insts[1].draining = true;
        assert_eq!(route(&insts, &[vec![]]), RouteDecision::Reject(RejectReason::NoHealthyInstance));
        assert_eq!(route(&[], &[vec![]]), RouteDecision::Reject(RejectReason::NoHealthyInstance));
        assert_eq!(LeastOutstanding::new().name(), "least-outstanding");
    }
}
