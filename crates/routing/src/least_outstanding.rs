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

    fn reads_lru_age(&self) -> bool {
        false
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
    use crate::testutil::{self, copy, inst, StatusExt};
    use mmesim_core::{InstanceId, InstanceStatus, MemState, ModelCopy};

    fn route(insts: &[InstanceStatus], copies: &[Vec<ModelCopy>]) -> RouteDecision {
        testutil::route_one(&mut LeastOutstanding::new(), insts, copies, 1, 0)
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
        let copies = vec![vec![copy(0, MemState::Loaded)]];
        assert_eq!(route(&insts, &copies), RouteDecision::To(InstanceId(2)));
    }

    #[test]
    fn failed_or_draining_never_chosen() {
        let insts = [inst(0, 0).failed(), inst(1, 0).draining(), inst(2, 7)];
        assert_eq!(route(&insts, &[vec![]]), RouteDecision::To(InstanceId(2)));
    }

    #[test]
    fn no_accepting_instance_rejects() {
        let insts = [inst(0, 0).failed(), inst(1, 0).draining()];
        assert_eq!(route(&insts, &[vec![]]), RouteDecision::Reject(RejectReason::NoHealthyInstance));
        assert_eq!(route(&[], &[vec![]]), RouteDecision::Reject(RejectReason::NoHealthyInstance));
        assert_eq!(LeastOutstanding::new().name(), "least-outstanding");
        testutil::assert_keeps_contract(LeastOutstanding::new);
    }
}
