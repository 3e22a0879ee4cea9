//! `none`: a fixed fleet.
//!
//! ```text
//! evaluate(minute) = no change
//! ```
//!
//! The default: the endpoint keeps the instance count of `[cluster]`.
//! Cost: O(1).

use mmesim_core::{Autoscaler, FleetStatus, MinuteMetrics};

/// Never scales. See the module notes.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoScaling;

impl Autoscaler for NoScaling {
    fn name(&self) -> &str {
        "none"
    }
    fn evaluate(&mut self, _minute: &MinuteMetrics, _fleet: &FleetStatus) -> Option<u32> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmesim_engine::SimTime;

    #[test]
    fn never_changes_the_fleet() {
        let m = MinuteMetrics { invocations: 1_000_000, cpu_utilization: 100.0, ..Default::default() };
        let f = FleetStatus { now: SimTime::from_secs(60), in_service: 1, pending: 0, draining: 0 };
        assert_eq!(NoScaling.evaluate(&m, &f), None);
    }
}
