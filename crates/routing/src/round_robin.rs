//! `round-robin`: the accepting instances in turn, in id order.
//!
//! ```text
//! A    = accepting instances, in id order
//! last = the id chosen last (none at first)
//! route(m):
//!   if A is empty:  reject (no_healthy_instance)
//!   next = the first id in A greater than last, else A[0] (wrap)
//!   last = next
//!   return next
//! ```
//!
//! The router remembers the last instance *id* rather than a position in
//! the list, so the turn survives instances coming and going: a failed or
//! draining instance simply drops out of `A` and is skipped; a new instance
//! (ids are never reused, so it has the largest id) takes its turn at the
//! end of the current round; nobody gets two turns in a row or loses one
//! because the list shifted. Like `random`, it ignores load and locality.
//!
//! Cost per request: O(log instances) — a binary search in the core's
//! id-ordered list of accepting instances.

use mmesim_core::{ClusterView, InstanceId, ModelId, RejectReason, RouteDecision, Router};

/// Round-robin routing. See the module notes.
#[derive(Clone, Debug, Default)]
pub struct RoundRobin {
    last: Option<InstanceId>,
}

impl RoundRobin {
    /// A round-robin router that starts with the lowest accepting id.
    pub fn new() -> Self {
        RoundRobin { last: None }
    }
}

impl Router for RoundRobin {
    fn name(&self) -> &str {
        "round-robin"
    }

    fn reads_lru_age(&self) -> bool {
        false
    }

    fn route(&mut self, _model: ModelId, view: &ClusterView<'_>) -> RouteDecision {
        let accepting = view.fleet().accepting();
        if accepting.is_empty() {
            return RouteDecision::Reject(RejectReason::NoHealthyInstance);
        }
        let pos = match self.last {
            Some(last) => accepting.partition_point(|&id| id <= last),
            None => 0,
        };
        let next = accepting[if pos == accepting.len() { 0 } else { pos }];
        self.last = Some(next);
        RouteDecision::To(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{self, inst, StatusExt};
    use mmesim_core::InstanceStatus;

    /// `n` decisions of `r` on a fixed view, as instance ids (`None` for a
    /// rejection).
    fn run(r: &mut RoundRobin, insts: &[InstanceStatus], n: usize) -> Vec<Option<u32>> {
        testutil::route_n(r, insts, &[Vec::new()], 1, 0, n)
            .into_iter()
            .map(|d| match d {
                RouteDecision::To(i) => Some(i.0),
                RouteDecision::Reject(RejectReason::NoHealthyInstance) => None,
                d => panic!("{d:?}"),
            })
            .collect()
    }

    #[test]
    fn cycles_in_id_order_regardless_of_load() {
        let insts = [inst(0, 9), inst(1, 0), inst(2, 4)];
        let mut r = RoundRobin::new();
        assert_eq!(run(&mut r, &insts, 7), [0, 1, 2, 0, 1, 2, 0].map(Some));
    }

    #[test]
    fn skips_failed_and_draining() {
        let mut insts = testutil::idle(5);
        insts[1].healthy = false;
        insts[3].draining = true;
        let mut r = RoundRobin::new();
        assert_eq!(run(&mut r, &insts, 6), [0, 2, 4, 0, 2, 4].map(Some));
    }

    #[test]
    fn turn_survives_fleet_changes() {
        let mut insts = testutil::idle(4);
        let mut r = RoundRobin::new();
        assert_eq!(run(&mut r, &insts, 2), [0, 1].map(Some));
        // the last chosen (1) fails: the turn passes to 2, not back to 0
        insts[1].healthy = false;
        assert_eq!(run(&mut r, &insts, 1), [Some(2)]);
        // a new instance 4 joins: it takes its turn after 3, then wrap
        insts.push(inst(4, 0));
        assert_eq!(run(&mut r, &insts, 4), [3, 4, 0, 2].map(Some));
        // 3 drains and 4 fails: from 2 the turn wraps to 0
        insts[3].draining = true;
        insts[4].healthy = false;
        assert_eq!(run(&mut r, &insts, 3), [0, 2, 0].map(Some));
    }

    #[test]
    fn no_accepting_instance_rejects() {
        let insts = [inst(0, 0).failed(), inst(1, 0).draining()];
        let mut r = RoundRobin::new();
        assert_eq!(r.name(), "round-robin");
        assert_eq!(run(&mut r, &insts, 2), [None, None]);
        testutil::assert_keeps_contract(RoundRobin::new);
    }
}
