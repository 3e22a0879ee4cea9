//! `target-tracking`: keep a per-minute metric near a target (SageMaker's
//! usual choice, on `InvocationsPerInstance`).
//!
//! ```text
//! every minute, with m = the metric of the minute that ended and
//! n = instances in service + launching:
//!   above = m > target              for N consecutive minutes (default 3)
//!   below = m < target·(1 − margin) for M consecutive minutes (default 15)
//!   if n < min or n > max:                        desired = clamp(n)
//!   else if above and no scale-out in the last out_cooldown (300 s):
//!       desired = min(max, ceil(in_service · m / target))   (only if > n)
//!   else if below and no scale-in in the last in_cooldown (600 s)
//!        and no scale-out in the last in_cooldown:
//!       desired = max(min, ceil(in_service · m / target))   (only if < n)
//! ```
//!
//! Modelled on Application Auto Scaling's target tracking as SageMaker
//! endpoints use it (AWS, "Automatic scaling of Amazon SageMaker models":
//! CloudWatch alarms on the metric, evaluated per minute, with scale-out
//! and scale-in cooldowns; scale-out is quick, scale-in conservative). The
//! alarm periods, margin and cooldowns are parameters with AWS-like
//! defaults. `GPUUtilization` reads the inference-slot utilisation, which
//! on GPU types is the GPU's.
//!
//! Cost: O(1) per minute.

use mmesim_core::{Autoscaler, FleetStatus, MinuteMetrics};
use mmesim_engine::{SimDuration, SimTime};
use serde::{Deserialize, Serialize};

/// The metric tracked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TrackedMetric {
    /// Requests per minute per instance in service.
    InvocationsPerInstance,
    /// Inference-slot utilisation, percent.
    CPUUtilization,
    /// Memory-tier utilisation at the minute's end, percent.
    MemoryUtilization,
    /// Inference-slot utilisation on GPU types, percent.
    GPUUtilization,
}

impl TrackedMetric {
    pub(crate) fn read(self, m: &MinuteMetrics) -> f64 {
        match self {
            TrackedMetric::InvocationsPerInstance => m.invocations_per_instance,
            TrackedMetric::CPUUtilization | TrackedMetric::GPUUtilization => m.cpu_utilization,
            TrackedMetric::MemoryUtilization => m.memory_utilization,
        }
    }
}

/// The parameters of [`TargetTracking`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TargetTrackingConfig {
    /// The metric.
    pub metric: TrackedMetric,
    /// Its target value.
    pub target: f64,
    /// Fewest instances.
    pub min_instances: u32,
    /// Most instances.
    pub max_instances: u32,
    /// Minutes above target before scaling out.
    pub scale_out_minutes: u32,
    /// Minutes below `target × (1 − scale_in_margin)` before scaling in.
    pub scale_in_minutes: u32,
    /// Relative margin below the target for scale-in.
    pub scale_in_margin: f64,
    /// No scale-out within this long of the last one.
    pub scale_out_cooldown: SimDuration,
    /// No scale-in within this long of the last scaling activity.
    pub scale_in_cooldown: SimDuration,
}

/// Target tracking. See the module notes.
#[derive(Clone, Debug)]
pub struct TargetTracking {
    cfg: TargetTrackingConfig,
    above: u32,
    below: u32,
    last_out: Option<SimTime>,
    last_in: Option<SimTime>,
}

impl TargetTracking {
    /// A target-tracking policy with validated parameters.
    pub fn new(cfg: TargetTrackingConfig) -> Self {
        TargetTracking { cfg, above: 0, below: 0, last_out: None, last_in: None }
    }
}

fn since(now: SimTime, t: Option<SimTime>) -> Option<SimDuration> {
    t.map(|t| now.saturating_since(t))
}

impl Autoscaler for TargetTracking {
    fn name(&self) -> &str {
        "target-tracking"
    }

    fn evaluate(&mut self, minute: &MinuteMetrics, fleet: &FleetStatus) -> Option<u32> {
        let c = self.cfg;
        let now = fleet.now;
        let n = fleet.in_service + fleet.pending;
        if n < c.min_instances || n > c.max_instances {
            return Some(n.clamp(c.min_instances, c.max_instances));
        }
        let m = c.metric.read(minute);
        if m > c.target {
            self.above += 1;
            self.below = 0;
        } else if m < c.target * (1.0 - c.scale_in_margin) {
            self.below += 1;
            self.above = 0;
        } else {
            self.above = 0;
            self.below = 0;
        }
        let want = ((fleet.in_service.max(1) as f64) * m / c.target).ceil().max(0.0) as u32;
        if self.above >= c.scale_out_minutes && since(now, self.last_out).is_none_or(|d| d >= c.scale_out_cooldown) {
            let desired = want.min(c.max_instances);
            if desired > n {
                self.last_out = Some(now);
                self.above = 0;
                return Some(desired);
            }
        }
        if self.below >= c.scale_in_minutes
            && since(now, self.last_in).is_none_or(|d| d >= c.scale_in_cooldown)
            && since(now, self.last_out).is_none_or(|d| d >= c.scale_in_cooldown)
        {
            let desired = want.max(c.min_instances);
            if desired < n {
                self.last_in = Some(now);
                self.below = 0;
                return Some(desired);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> TargetTrackingConfig {
        TargetTrackingConfig {
            metric: TrackedMetric::InvocationsPerInstance,
            target: 100.0,
            min_instances: 1,
            max_instances: 10,
            scale_out_minutes: 3,
            scale_in_minutes: 5,
            scale_in_margin: 0.1,
            scale_out_cooldown: SimDuration::from_secs(300),
            scale_in_cooldown: SimDuration::from_secs(600),
        }
    }

    fn minute(k: u64, per_instance: f64) -> MinuteMetrics {
        MinuteMetrics { minute: k, invocations_per_instance: per_instance, ..Default::default() }
    }

    fn fleet(k: u64, in_service: u32, pending: u32) -> FleetStatus {
        FleetStatus { now: SimTime::from_secs(60 * (k + 1)), in_service, pending, draining: 0 }
    }

    /// 2 instances at 250/instance: above at minutes 0, 1, 2 → at the end of
    /// minute 2, desired = ceil(2 × 250 / 100) = 5. Then the cooldown holds
    /// further scale-outs for 300 s even though the metric stays high.
    #[test]
    fn scale_out_after_n_minutes_then_cooldown() {
        let mut t = TargetTracking::new(cfg());
        assert_eq!(t.evaluate(&minute(0, 250.0), &fleet(0, 2, 0)), None);
        assert_eq!(t.evaluate(&minute(1, 250.0), &fleet(1, 2, 0)), None);
        assert_eq!(t.evaluate(&minute(2, 250.0), &fleet(2, 2, 0)), Some(5));
        for k in 3..7 {
            assert_eq!(t.evaluate(&minute(k, 250.0), &fleet(k, 2, 3)), None, "minute {k}: cooldown");
        }
        // 300 s after minute 2's decision (at 180 s) is 480 s: the end of
        // minute 7; the metric has been above for 5 minutes by then.
        assert_eq!(t.evaluate(&minute(7, 250.0), &fleet(7, 5, 0)), Some(10)); // ceil(5·250/100)=13 → max 10
    }

    /// Scale-in needs M quiet minutes and the scale-in cooldown after any
    /// scaling; a minute inside the margin resets the count.
    #[test]
    fn scale_in_after_quiet_period_and_cooldown() {
        let mut t = TargetTracking::new(cfg());
        // 4 quiet minutes, then one at 95 (inside the 10 % margin): reset.
        for k in 0..4 {
            assert_eq!(t.evaluate(&minute(k, 40.0), &fleet(k, 4, 0)), None);
        }
        assert_eq!(t.evaluate(&minute(4, 95.0), &fleet(4, 4, 0)), None);
        for k in 5..9 {
            assert_eq!(t.evaluate(&minute(k, 40.0), &fleet(k, 4, 0)), None);
        }
        // 5th quiet minute in a row: desired = ceil(4 × 40 / 100) = 2.
        assert_eq!(t.evaluate(&minute(9, 40.0), &fleet(9, 4, 0)), Some(2));
        // Then 600 s of scale-in cooldown: minutes 10..=18 hold.
        for k in 10..19 {
            assert_eq!(t.evaluate(&minute(k, 20.0), &fleet(k, 2, 0)), None, "minute {k}");
        }
        assert_eq!(t.evaluate(&minute(19, 20.0), &fleet(19, 2, 0)), Some(1));
    }

    #[test]
    fn min_and_max_are_honoured() {
        let mut t = TargetTracking::new(TargetTrackingConfig { min_instances: 2, max_instances: 3, ..cfg() });
        assert_eq!(t.evaluate(&minute(0, 0.0), &fleet(0, 1, 0)), Some(2));
        assert_eq!(t.evaluate(&minute(0, 0.0), &fleet(0, 5, 0)), Some(3));
        let mut t = TargetTracking::new(TargetTrackingConfig { min_instances: 2, max_instances: 3, ..cfg() });
        for k in 0..2 {
            t.evaluate(&minute(k, 1000.0), &fleet(k, 2, 0));
        }
        assert_eq!(t.evaluate(&minute(2, 1000.0), &fleet(2, 2, 0)), Some(3));
    }
}
