//! `step`: step scaling on a per-minute metric; each band of the metric
//! adds or removes a fixed number of instances.
//!
//! ```text
//! every minute, with m = the metric of the minute that ended and
//! n = instances in service + launching:
//!   if n < min or n > max:                 desired = clamp(n, min, max)
//!   step = the `above` step with the highest threshold < m,
//!          or else the `below` step with the lowest threshold > m,
//!          or else none (the count of held minutes resets)
//!   held = consecutive minutes the same step has matched
//!   if held ≥ evaluation_minutes (default 1)
//!      and no scaling in the last cooldown (300 s):
//!       desired = clamp(n + step.change, min, max)   (only if ≠ n)
//! ```
//!
//! An `above` step wins over a `below` step when both match. After a
//! scaling action the held count restarts, so the next step needs its band
//! to hold `evaluation_minutes` again (and the cooldown to pass).
//!
//! Modelled on Application Auto Scaling's step scaling policies (AWS,
//! "Step scaling policies for Application Auto Scaling": a CloudWatch alarm
//! on the metric, evaluated per minute over a number of periods, step
//! adjustments of a change in capacity, and a cooldown). AWS writes the
//! steps as bounds relative to an alarm threshold; here each step carries
//! its absolute threshold instead, with the matching rule above. The
//! out-of-bounds clamp does not start the cooldown, as in
//! [`TargetTracking`](crate::TargetTracking).
//!
//! Cost: O(steps) per minute.

use crate::TrackedMetric;
use mmesim_core::{Autoscaler, ConfigError, FleetStatus, MinuteMetrics};
use mmesim_engine::{SimDuration, SimTime};
use serde::{Deserialize, Serialize};

/// One step adjustment: `{ above = X, change = +N }` or
/// `{ below = X, change = -N }` (exactly one of `above` and `below`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScalingStep {
    /// Applies when the metric is above this (the highest such wins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub above: Option<f64>,
    /// Applies when the metric is below this (the lowest such wins) and no
    /// `above` step applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub below: Option<f64>,
    /// Instances to add (positive) or remove (negative); not zero.
    pub change: i32,
}

impl ScalingStep {
    /// Checks one step; `key` is its name in messages (`steps[1]`).
    pub(crate) fn validate(&self, key: &str) -> Result<(), ConfigError> {
        let threshold = match (self.above, self.below) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::invalid(
                    key,
                    format!("`{key}` must have only one of `above` and `below`, not both"),
                ))
            }
            (None, None) => return Err(ConfigError::invalid(key, format!("`{key}` needs `above` or `below`"))),
            (Some(x), None) => ("above", x),
            (None, Some(x)) => ("below", x),
        };
        if !threshold.1.is_finite() {
            let field = format!("{key}.{}", threshold.0);
            return Err(ConfigError::invalid(
                &field,
                format!("`{field}` must be a finite number, got {}", threshold.1),
            ));
        }
        if self.change == 0 {
            return Err(ConfigError::invalid(format!("{key}.change"), format!("`{key}.change` must not be 0")));
        }
        Ok(())
    }
}

/// Checks a list of steps (non-empty, each valid, no threshold twice on
/// the same side); messages name `steps[i]`.
pub(crate) fn validate_steps(steps: &[ScalingStep]) -> Result<(), ConfigError> {
    if steps.is_empty() {
        return Err(ConfigError::invalid("steps", "`steps` must not be empty"));
    }
    for (i, s) in steps.iter().enumerate() {
        s.validate(&format!("steps[{i}]"))?;
        for (j, o) in steps[..i].iter().enumerate() {
            let dup = |a: Option<f64>, b: Option<f64>| matches!((a, b), (Some(x), Some(y)) if x == y);
            if dup(s.above, o.above) || dup(s.below, o.below) {
                return Err(ConfigError::invalid(
                    format!("steps[{i}]"),
                    format!("`steps[{i}]` repeats the threshold of `steps[{j}]`"),
                ));
            }
        }
    }
    Ok(())
}

/// The parameters of [`StepScaling`].
#[derive(Clone, Debug, PartialEq)]
pub struct StepScalingConfig {
    /// The metric.
    pub metric: TrackedMetric,
    /// The step adjustments (validated).
    pub steps: Vec<ScalingStep>,
    /// Fewest instances.
    pub min_instances: u32,
    /// Most instances.
    pub max_instances: u32,
    /// No scaling within this long of the last scaling action.
    pub cooldown: SimDuration,
    /// Consecutive minutes a step must match before it applies (≥ 1).
    pub evaluation_minutes: u32,
}

/// Step scaling. See the module notes.
#[derive(Clone, Debug)]
pub struct StepScaling {
    cfg: StepScalingConfig,
    /// The step matched last minute and for how many minutes in a row.
    held: Option<(usize, u32)>,
    last_scaling: Option<SimTime>,
}

impl StepScaling {
    /// A step-scaling policy with validated parameters.
    pub fn new(cfg: StepScalingConfig) -> Self {
        StepScaling { cfg, held: None, last_scaling: None }
    }

    /// The index of the step matching metric value `m`, if any.
    fn matching(&self, m: f64) -> Option<usize> {
        let mut best_above: Option<(usize, f64)> = None;
        let mut best_below: Option<(usize, f64)> = None;
        for (i, s) in self.cfg.steps.iter().enumerate() {
            if let Some(x) = s.above {
                if x < m && best_above.is_none_or(|(_, b)| x > b) {
                    best_above = Some((i, x));
                }
            } else if let Some(x) = s.below {
                if x > m && best_below.is_none_or(|(_, b)| x < b) {
                    best_below = Some((i, x));
                }
            }
        }
        best_above.or(best_below).map(|(i, _)| i)
    }
}

impl Autoscaler for StepScaling {
    fn name(&self) -> &str {
        "step"
    }

    fn evaluate(&mut self, minute: &MinuteMetrics, fleet: &FleetStatus) -> Option<u32> {
        let (lo, hi) = (self.cfg.min_instances, self.cfg.max_instances);
        let n = fleet.in_service + fleet.pending;
        if n < lo || n > hi {
            return Some(n.clamp(lo, hi));
        }
        let m = self.cfg.metric.read(minute);
        let Some(step) = self.matching(m) else {
            self.held = None;
            return None;
        };
        let held = match self.held {
            Some((s, k)) if s == step => k.saturating_add(1),
            _ => 1,
        };
        self.held = Some((step, held));
        let now = fleet.now;
        if held < self.cfg.evaluation_minutes
            || self.last_scaling.is_some_and(|t| now.saturating_since(t) < self.cfg.cooldown)
        {
            return None;
        }
        let change = i64::from(self.cfg.steps[step].change);
        let desired = (i64::from(n) + change).clamp(i64::from(lo), i64::from(hi)) as u32;
        if desired == n {
            return None;
        }
        self.last_scaling = Some(now);
        self.held = None;
        Some(desired)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn above(x: f64, change: i32) -> ScalingStep {
        ScalingStep { above: Some(x), below: None, change }
    }

    fn below(x: f64, change: i32) -> ScalingStep {
        ScalingStep { above: None, below: Some(x), change }
    }

    /// Above 100 → +1, above 200 → +3, below 30 → −1, below 10 → −2;
    /// 1..=10 instances, 300 s cooldown, one minute of evaluation.
    fn cfg() -> StepScalingConfig {
        StepScalingConfig {
            metric: TrackedMetric::InvocationsPerInstance,
            steps: vec![above(100.0, 1), above(200.0, 3), below(30.0, -1), below(10.0, -2)],
            min_instances: 1,
            max_instances: 10,
            cooldown: SimDuration::from_secs(300),
            evaluation_minutes: 1,
        }
    }

    fn minute(k: u64, per_instance: f64) -> MinuteMetrics {
        MinuteMetrics { minute: k, invocations_per_instance: per_instance, ..Default::default() }
    }

    fn fleet(k: u64, in_service: u32, pending: u32) -> FleetStatus {
        FleetStatus { now: SimTime::from_secs(60 * (k + 1)), in_service, pending, draining: 0 }
    }

    #[test]
    fn the_matching_step_is_the_tightest_band() {
        let s = StepScaling::new(cfg());
        assert_eq!(s.matching(250.0), Some(1)); // above 200 beats above 100
        assert_eq!(s.matching(150.0), Some(0));
        assert_eq!(s.matching(200.0), Some(0)); // strictly above
        assert_eq!(s.matching(100.0), None);
        assert_eq!(s.matching(50.0), None);
        assert_eq!(s.matching(20.0), Some(2));
        assert_eq!(s.matching(5.0), Some(3)); // below 10 beats below 30
                                              // An above step wins over a below step when both match.
        let s = StepScaling::new(StepScalingConfig { steps: vec![below(80.0, -1), above(50.0, 2)], ..cfg() });
        assert_eq!(s.matching(60.0), Some(1));
        assert_eq!(s.matching(40.0), Some(0));
    }

    /// Three minutes of evaluation: a minute in the +1 band restarts the
    /// count; 250/instance on 2 + 1 pending then holds the +3 band at
    /// minutes 2, 3, 4 → desired = 2 + 1 + 3 = 6 at minute 4.
    #[test]
    fn a_band_held_gives_the_exact_count() {
        let mut s = StepScaling::new(StepScalingConfig { evaluation_minutes: 3, ..cfg() });
        assert_eq!(s.evaluate(&minute(0, 250.0), &fleet(0, 2, 1)), None);
        assert_eq!(s.evaluate(&minute(1, 150.0), &fleet(1, 2, 1)), None); // +1 band: restart
        assert_eq!(s.evaluate(&minute(2, 250.0), &fleet(2, 2, 1)), None);
        assert_eq!(s.evaluate(&minute(3, 250.0), &fleet(3, 2, 1)), None);
        assert_eq!(s.evaluate(&minute(4, 250.0), &fleet(4, 2, 1)), Some(6));
    }

    /// A scale-out at the end of minute 0 (60 s) holds every step until
    /// 360 s, the end of minute 5, even though the metric stays high.
    #[test]
    fn cooldown_holds_the_next_step() {
        let mut s = StepScaling::new(cfg());
        assert_eq!(s.evaluate(&minute(0, 150.0), &fleet(0, 2, 0)), Some(3));
        for k in 1..5 {
            assert_eq!(s.evaluate(&minute(k, 250.0), &fleet(k, 2, 1)), None, "minute {k}: cooldown");
        }
        assert_eq!(s.evaluate(&minute(5, 250.0), &fleet(5, 3, 0)), Some(6));
        // The cooldown holds scale-in too.
        assert_eq!(s.evaluate(&minute(6, 5.0), &fleet(6, 6, 0)), None);
        assert_eq!(s.evaluate(&minute(9, 5.0), &fleet(9, 6, 0)), None); // 600 s < 360 + 300
        assert_eq!(s.evaluate(&minute(10, 5.0), &fleet(10, 6, 0)), Some(4)); // 660 s
    }

    /// Below-steps scale in: 20/instance on 5 → 4; after the cooldown,
    /// 5/instance → 4 − 2 = 2; later 2 − 2 = 0 clamps at min = 1.
    #[test]
    fn below_steps_scale_in() {
        let mut s = StepScaling::new(StepScalingConfig { cooldown: SimDuration::ZERO, ..cfg() });
        assert_eq!(s.evaluate(&minute(0, 20.0), &fleet(0, 5, 0)), Some(4));
        assert_eq!(s.evaluate(&minute(1, 5.0), &fleet(1, 4, 0)), Some(2));
        assert_eq!(s.evaluate(&minute(2, 50.0), &fleet(2, 2, 0)), None); // no band
        assert_eq!(s.evaluate(&minute(3, 5.0), &fleet(3, 2, 0)), Some(1));
        assert_eq!(s.evaluate(&minute(4, 5.0), &fleet(4, 1, 0)), None); // already at min
    }

    #[test]
    fn bounds_are_honoured() {
        let c = StepScalingConfig { min_instances: 2, max_instances: 4, ..cfg() };
        let mut s = StepScaling::new(c.clone());
        // Out of bounds: clamped at once, whatever the metric.
        assert_eq!(s.evaluate(&minute(0, 50.0), &fleet(0, 1, 0)), Some(2));
        assert_eq!(s.evaluate(&minute(1, 50.0), &fleet(1, 3, 3)), Some(4));
        // That clamp starts no cooldown: +3 from 3 stops at max = 4.
        assert_eq!(s.evaluate(&minute(2, 250.0), &fleet(2, 3, 0)), Some(4));
        let mut s = StepScaling::new(c);
        // At max, a scale-out step changes nothing and starts no cooldown.
        assert_eq!(s.evaluate(&minute(0, 250.0), &fleet(0, 4, 0)), None);
        assert_eq!(s.evaluate(&minute(1, 5.0), &fleet(1, 4, 0)), Some(2));
    }

    #[test]
    fn validation_names_the_step() {
        assert_eq!(validate_steps(&[]), Err(ConfigError::invalid("steps", "`steps` must not be empty")));
        let e = validate_steps(&[above(1.0, 1), above(2.0, 0)]).unwrap_err();
        assert_eq!(e.field(), Some("steps[1].change"));
        let e = e.to_string();
        assert!(e.contains("`steps[1].change`"), "{e}");
        let both = ScalingStep { above: Some(1.0), below: Some(2.0), change: 1 };
        assert!(validate_steps(&[both]).unwrap_err().to_string().contains("`steps[0]`"));
        let neither = ScalingStep { above: None, below: None, change: 1 };
        assert!(validate_steps(&[neither]).unwrap_err().to_string().contains("`steps[0]`"));
        let e = validate_steps(&[below(f64::NAN, -1)]).unwrap_err();
        assert_eq!(e.field(), Some("steps[0].below"));
        let e = e.to_string();
        assert!(e.contains("`steps[0].below`"), "{e}");
        let e = validate_steps(&[above(5.0, 1), below(5.0, -1), above(5.0, 2)]).unwrap_err().to_string();
        assert!(e.contains("`steps[2]`") && e.contains("`steps[0]`"), "{e}");
        assert_eq!(validate_steps(&cfg().steps), Ok(()));
    }
}
