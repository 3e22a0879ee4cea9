//! # mmesim-autoscaling: autoscaling policies
//!
//! Implementations of [`mmesim_core::Autoscaler`], one policy per file.
//! The core evaluates the autoscaler once per simulated minute on that
//! minute's CloudWatch-style [`MinuteMetrics`](mmesim_core::MinuteMetrics)
//! and the [`FleetStatus`](mmesim_core::FleetStatus); the policy returns a
//! desired instance count (or nothing) as data, and the core launches cold
//! instances (after the launch delay) or drains the newest ones.
//!
//! Configured by [`AutoscalingPolicy`], a serde-tagged enum (the
//! scenario's `[autoscaling] policy = "none"`), built by
//! [`AutoscalingPolicy::build`]:
//!
//! - `none` (the default): a fixed fleet ([`NoScaling`]);
//! - `target-tracking`: keep a per-minute metric near a target
//!   ([`TargetTracking`]);
//! - `step`: add or remove a fixed number of instances per band of a
//!   per-minute metric ([`StepScaling`]);
//! - `scheduled`: capacity by time of day ([`Scheduled`]).
//!
//! ```
//! use mmesim_autoscaling::AutoscalingPolicy;
//! let p = AutoscalingPolicy::default();
//! assert_eq!(p.build(0).name(), "none");
//! ```
#![warn(missing_docs)]

mod none;
mod scheduled;
mod step;
mod target_tracking;

pub use none::NoScaling;
pub use scheduled::Scheduled;
pub use step::{ScalingStep, StepScaling, StepScalingConfig};
pub use target_tracking::{TargetTracking, TargetTrackingConfig, TrackedMetric};

use mmesim_core::{Autoscaler, ConfigError};
use serde::{Deserialize, Serialize};
use strum::{IntoStaticStr, VariantNames};

fn d_metric() -> TrackedMetric {
    TrackedMetric::InvocationsPerInstance
}
fn d_target() -> f64 {
    70.0
}
fn d_min() -> u32 {
    1
}
fn d_max() -> u32 {
    10
}
fn d_out_minutes() -> u32 {
    3
}
fn d_in_minutes() -> u32 {
    15
}
fn d_margin() -> f64 {
    0.1
}
fn d_out_cooldown() -> f64 {
    300.0
}
fn d_in_cooldown() -> f64 {
    600.0
}
fn d_cooldown() -> f64 {
    300.0
}
fn d_evaluation_minutes() -> u32 {
    1
}
fn d_period() -> f64 {
    86400.0
}

fn check_min_max(min_instances: u32, max_instances: u32) -> Result<(), ConfigError> {
    if min_instances > max_instances {
        return Err(ConfigError::invalid(
            "min_instances",
            format!("`min_instances` ({min_instances}) must not exceed `max_instances` ({max_instances})"),
        ));
    }
    if max_instances == 0 || max_instances > 100_000 {
        return Err(ConfigError::invalid(
            "max_instances",
            format!("`max_instances` must be between 1 and 100000, got {max_instances}"),
        ));
    }
    Ok(())
}

/// An autoscaling policy by name, with its parameters.
///
/// The enum is the one list of policies: their names (the variants' names
/// in kebab case, for serde and strum alike) and their parameters (the
/// variants' fields).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, IntoStaticStr, VariantNames)]
#[serde(tag = "policy", rename_all = "kebab-case", deny_unknown_fields)]
#[strum(serialize_all = "kebab-case")]
#[non_exhaustive]
pub enum AutoscalingPolicy {
    /// A fixed fleet (the default).
    #[default]
    None,
    /// Keep a per-minute metric near a target (see [`TargetTracking`]).
    TargetTracking {
        /// `InvocationsPerInstance` (default), `CPUUtilization`,
        /// `MemoryUtilization` or `GPUUtilization`.
        #[serde(default = "d_metric")]
        metric: TrackedMetric,
        /// Target value (default 70: invocations per instance per minute).
        #[serde(default = "d_target")]
        target: f64,
        /// Fewest instances (default 1).
        #[serde(default = "d_min")]
        min_instances: u32,
        /// Most instances (default 10).
        #[serde(default = "d_max")]
        max_instances: u32,
        /// Minutes above target before scaling out (default 3).
        #[serde(default = "d_out_minutes")]
        scale_out_minutes: u32,
        /// Minutes below target × (1 − margin) before scaling in (default 15).
        #[serde(default = "d_in_minutes")]
        scale_in_minutes: u32,
        /// Relative margin for scale-in (default 0.1).
        #[serde(default = "d_margin")]
        scale_in_margin: f64,
        /// Seconds after a scale-out before the next (default 300).
        #[serde(default = "d_out_cooldown")]
        scale_out_cooldown_s: f64,
        /// Seconds after any scaling before a scale-in (default 600).
        #[serde(default = "d_in_cooldown")]
        scale_in_cooldown_s: f64,
    },
    /// Add or remove a fixed number of instances per band of a per-minute
    /// metric (see [`StepScaling`]).
    Step {
        /// As for `target-tracking` (default `InvocationsPerInstance`).
        #[serde(default = "d_metric")]
        metric: TrackedMetric,
        /// The bands: `{ above = X, change = +N }` or
        /// `{ below = X, change = -N }`; required, not empty.
        steps: Vec<ScalingStep>,
        /// Fewest instances (default 1).
        #[serde(default = "d_min")]
        min_instances: u32,
        /// Most instances (default 10).
        #[serde(default = "d_max")]
        max_instances: u32,
        /// Seconds after a scaling action before the next (default 300).
        #[serde(default = "d_cooldown")]
        cooldown_s: f64,
        /// Consecutive minutes a band must hold before its step applies
        /// (default 1).
        #[serde(default = "d_evaluation_minutes")]
        evaluation_minutes: u32,
    },
    /// Capacity by time of day (see [`Scheduled`]).
    Scheduled {
        /// `[time_of_day_s, instances]` pairs, the first at 0, times
        /// strictly increasing and below `period_s`; required.
        schedule: Vec<(f64, u32)>,
        /// The schedule's period in seconds (default 86400, at least 60).
        #[serde(default = "d_period")]
        period_s: f64,
    },
}

impl AutoscalingPolicy {
    /// Every policy name accepted, in declaration order.
    pub const NAMES: &'static [&'static str] = <Self as VariantNames>::VARIANTS;

    /// The parameter keys a policy takes (besides `policy`); `None` for an
    /// unknown name.
    pub fn param_names(name: &str) -> Option<&'static [&'static str]> {
        Some(match name {
            "none" => &[],
            "target-tracking" => &[
                "metric",
                "target",
                "min_instances",
                "max_instances",
                "scale_out_minutes",
                "scale_in_minutes",
                "scale_in_margin",
                "scale_out_cooldown_s",
                "scale_in_cooldown_s",
            ],
            "step" => &["metric", "steps", "min_instances", "max_instances", "cooldown_s", "evaluation_minutes"],
            "scheduled" => &["schedule", "period_s"],
            _ => return None,
        })
    }

    /// The policy's name.
    pub fn name(&self) -> &'static str {
        self.into()
    }

    /// The instance bounds the policy keeps, if any.
    pub fn bounds(&self) -> Option<(u32, u32)> {
        match self {
            AutoscalingPolicy::None => None,
            AutoscalingPolicy::TargetTracking { min_instances, max_instances, .. }
            | AutoscalingPolicy::Step { min_instances, max_instances, .. } => Some((*min_instances, *max_instances)),
            AutoscalingPolicy::Scheduled { schedule, .. } => {
                let lo = schedule.iter().map(|&(_, n)| n).min()?;
                let hi = schedule.iter().map(|&(_, n)| n).max()?;
                Some((lo, hi))
            }
        }
    }

    /// Checks the parameters; the error names the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        match self {
            AutoscalingPolicy::Step { steps, min_instances, max_instances, cooldown_s, evaluation_minutes, .. } => {
                check_min_max(*min_instances, *max_instances)?;
                if !(cooldown_s.is_finite() && (0.0..=1e9).contains(cooldown_s)) {
                    return Err(ConfigError::invalid(
                        "cooldown_s",
                        format!("`cooldown_s` must be a non-negative number of seconds, got {cooldown_s}"),
                    ));
                }
                if *evaluation_minutes == 0 {
                    return Err(ConfigError::invalid("evaluation_minutes", "`evaluation_minutes` must be at least 1"));
                }
                return step::validate_steps(steps);
            }
            AutoscalingPolicy::Scheduled { schedule, period_s } => {
                return scheduled::validate_schedule(schedule, *period_s);
            }
            _ => {}
        }
        if let AutoscalingPolicy::TargetTracking {
            target,
            min_instances,
            max_instances,
            scale_out_minutes,
            scale_in_minutes,
            scale_in_margin,
            scale_out_cooldown_s,
            scale_in_cooldown_s,
            ..
        } = *self
        {
            if !(target.is_finite() && target > 0.0) {
                return Err(ConfigError::invalid(
                    "target",
                    format!("`target` must be a positive number, got {target}"),
                ));
            }
            check_min_max(min_instances, max_instances)?;
            if scale_out_minutes == 0 || scale_in_minutes == 0 {
                let field = if scale_out_minutes == 0 { "scale_out_minutes" } else { "scale_in_minutes" };
                return Err(ConfigError::invalid(
                    field,
                    "`scale_out_minutes` and `scale_in_minutes` must be at least 1",
                ));
            }
            if !(scale_in_margin.is_finite() && (0.0..1.0).contains(&scale_in_margin)) {
                return Err(ConfigError::invalid(
                    "scale_in_margin",
                    format!("`scale_in_margin` must be in [0, 1), got {scale_in_margin}"),
                ));
            }
            for (k, v) in [("scale_out_cooldown_s", scale_out_cooldown_s), ("scale_in_cooldown_s", scale_in_cooldown_s)]
            {
                if !(v.is_finite() && (0.0..=1e9).contains(&v)) {
                    return Err(ConfigError::invalid(
                        k,
                        format!("`{k}` must be a non-negative number of seconds, got {v}"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Builds the autoscaler (parameters must be valid).
    pub fn build(&self, _seed: u64) -> Box<dyn Autoscaler> {
        match self {
            AutoscalingPolicy::None => Box::new(NoScaling),
            AutoscalingPolicy::TargetTracking {
                metric,
                target,
                min_instances,
                max_instances,
                scale_out_minutes,
                scale_in_minutes,
                scale_in_margin,
                scale_out_cooldown_s,
                scale_in_cooldown_s,
            } => Box::new(TargetTracking::new(TargetTrackingConfig {
                metric: *metric,
                target: *target,
                min_instances: *min_instances,
                max_instances: *max_instances,
                scale_out_minutes: *scale_out_minutes,
                scale_in_minutes: *scale_in_minutes,
                scale_in_margin: *scale_in_margin,
                scale_out_cooldown: mmesim_engine::SimDuration::from_secs_f64(*scale_out_cooldown_s),
                scale_in_cooldown: mmesim_engine::SimDuration::from_secs_f64(*scale_in_cooldown_s),
            })),
            AutoscalingPolicy::Step { metric, steps, min_instances, max_instances, cooldown_s, evaluation_minutes } => {
                Box::new(StepScaling::new(StepScalingConfig {
                    metric: *metric,
                    steps: steps.clone(),
                    min_instances: *min_instances,
                    max_instances: *max_instances,
                    cooldown: mmesim_engine::SimDuration::from_secs_f64(*cooldown_s),
                    evaluation_minutes: *evaluation_minutes,
                }))
            }
            AutoscalingPolicy::Scheduled { schedule, period_s } => Box::new(Scheduled::new(schedule, *period_s)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses `[autoscaling]` as the scenario loader does: TOML, then JSON,
    /// then the enum.
    fn parse(src: &str) -> Result<AutoscalingPolicy, String> {
        let v: toml::Value = toml::from_str(src).map_err(|e| e.to_string())?;
        let j = serde_json::to_value(v).map_err(|e| e.to_string())?;
        serde_json::from_value(j).map_err(|e| e.to_string())
    }

    #[test]
    fn step_parses_validates_and_builds() {
        let p = parse(
            r#"
            policy = "step"
            metric = "CPUUtilization"
            steps = [
              { above = 70, change = +1 },
              { above = 90, change = +3 },
              { below = 20, change = -1 },
            ]
            max_instances = 8
            evaluation_minutes = 2
            "#,
        )
        .unwrap();
        assert_eq!(p.name(), "step");
        assert_eq!(p.bounds(), Some((1, 8)));
        assert_eq!(p.validate(), Ok(()));
        let AutoscalingPolicy::Step { metric, ref steps, cooldown_s, evaluation_minutes, .. } = p else {
            panic!("{p:?}")
        };
        assert_eq!(metric, TrackedMetric::CPUUtilization);
        assert_eq!(steps[1], ScalingStep { above: Some(90.0), below: None, change: 3 });
        assert_eq!(steps[2], ScalingStep { above: None, below: Some(20.0), change: -1 });
        assert_eq!((cooldown_s, evaluation_minutes), (300.0, 2));
        assert_eq!(p.build(0).name(), "step");
        let keys = AutoscalingPolicy::param_names("step").unwrap();
        assert!(keys.contains(&"steps") && keys.contains(&"cooldown_s"));
    }

    #[test]
    fn step_errors_name_the_key() {
        let err = |src: &str| parse(src).and_then(|p| p.validate().map_err(|e| e.to_string())).unwrap_err();
        let e = err(r#"policy = "step"
            steps = [{ above = 1, change = 1 }, { below = 0.5, change = 0 }]"#);
        assert!(e.contains("`steps[1].change`"), "{e}");
        let e = err(r#"policy = "step"
            steps = []"#);
        assert!(e.contains("`steps`"), "{e}");
        let e = err(r#"policy = "step"
            min_instances = 5
            max_instances = 2
            steps = [{ above = 1, change = 1 }]"#);
        assert!(e.contains("`min_instances`"), "{e}");
        let e = err(r#"policy = "step"
            metric = "Latency"
            steps = [{ above = 1, change = 1 }]"#);
        assert!(e.contains("Latency"), "{e}");
        let e = err(r#"policy = "step"
            steps = [{ above = 1, change = 1, upto = 3 }]"#);
        assert!(e.contains("upto"), "{e}");
        let e = err(r#"policy = "step"
            steps = [{ above = 1, below = 3, change = 1 }]"#);
        assert!(e.contains("`steps[0]`"), "{e}");
        let e = err(r#"policy = "step"
            evaluation_minutes = 0
            steps = [{ above = 1, change = 1 }]"#);
        assert!(e.contains("`evaluation_minutes`"), "{e}");
        assert!(err(r#"policy = "step""#).contains("steps"));
    }

    #[test]
    fn scheduled_parses_validates_and_builds() {
        let p = parse(
            r#"
            policy = "scheduled"
            schedule = [[0, 2], [28800, 6], [64800, 3]]
            "#,
        )
        .unwrap();
        assert_eq!(p.name(), "scheduled");
        assert_eq!(p.validate(), Ok(()));
        assert_eq!(p.bounds(), Some((2, 6)));
        assert_eq!(
            p,
            AutoscalingPolicy::Scheduled { schedule: vec![(0.0, 2), (28800.0, 6), (64800.0, 3)], period_s: 86400.0 }
        );
        assert_eq!(p.build(0).name(), "scheduled");
        assert_eq!(AutoscalingPolicy::param_names("scheduled"), Some(&["schedule", "period_s"][..]));
        let e = parse(
            r#"policy = "scheduled"
            schedule = [[0, 2], [600, 6], [600, 3]]"#,
        )
        .unwrap()
        .validate()
        .unwrap_err()
        .to_string();
        assert!(e.contains("`schedule[2]`"), "{e}");
        let e = parse(
            r#"policy = "scheduled"
            schedule = [[60, 2]]"#,
        )
        .unwrap()
        .validate()
        .unwrap_err()
        .to_string();
        assert!(e.contains("`schedule[0]`"), "{e}");
        let e = parse(
            r#"policy = "scheduled"
            schedule = []"#,
        )
        .unwrap()
        .validate()
        .unwrap_err()
        .to_string();
        assert!(e.contains("`schedule`"), "{e}");
        assert!(parse(
            r#"policy = "scheduled"
            schedule = [[0, -1]]"#
        )
        .is_err());
    }

    #[test]
    fn every_name_has_params_and_round_trips() {
        for name in AutoscalingPolicy::NAMES {
            assert!(AutoscalingPolicy::param_names(name).is_some(), "{name}");
        }
        assert_eq!(AutoscalingPolicy::param_names("bogus"), None);
        assert_eq!(AutoscalingPolicy::NAMES, ["none", "target-tracking", "step", "scheduled"]);
        assert_eq!(AutoscalingPolicy::None.name(), "none");
        let step = parse(
            r#"policy = "step"
            steps = [{ below = 10, change = -2 }]"#,
        )
        .unwrap();
        let back: AutoscalingPolicy = serde_json::from_value(serde_json::to_value(&step).unwrap()).unwrap();
        assert_eq!(back, step);
    }
}
