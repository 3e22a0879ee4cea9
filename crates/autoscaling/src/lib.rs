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
//! [`AutoscalingPolicy::build`]: `none` (the default) and
//! `target-tracking`; step and scheduled scaling follow.
//!
//! ```
//! use mmesim_autoscaling::AutoscalingPolicy;
//! let p = AutoscalingPolicy::default();
//! assert_eq!(p.build(0).name(), "none");
//! ```
#![warn(missing_docs)]

mod none;
mod target_tracking;

pub use none::NoScaling;
pub use target_tracking::{TargetTracking, TargetTrackingConfig, TrackedMetric};

use mmesim_core::Autoscaler;
use serde::{Deserialize, Serialize};

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

/// An autoscaling policy by name, with its parameters.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "policy", rename_all = "kebab-case", deny_unknown_fields)]
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
}

impl AutoscalingPolicy {
    /// Every policy name accepted.
    pub const NAMES: &'static [&'static str] = &["none", "target-tracking"];

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
            _ => return None,
        })
    }

    /// The policy's name.
    pub fn name(&self) -> &'static str {
        match self {
            AutoscalingPolicy::None => "none",
            AutoscalingPolicy::TargetTracking { .. } => "target-tracking",
        }
    }

    /// The instance bounds the policy keeps, if any.
    pub fn bounds(&self) -> Option<(u32, u32)> {
        match *self {
            AutoscalingPolicy::None => None,
            AutoscalingPolicy::TargetTracking { min_instances, max_instances, .. } => {
                Some((min_instances, max_instances))
            }
        }
    }

    /// Checks the parameters; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
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
                return Err(format!("`target` must be a positive number, got {target}"));
            }
            if min_instances > max_instances {
                return Err(format!(
                    "`min_instances` ({min_instances}) must not exceed `max_instances` ({max_instances})"
                ));
            }
            if max_instances == 0 || max_instances > 100_000 {
                return Err(format!("`max_instances` must be between 1 and 100000, got {max_instances}"));
            }
            if scale_out_minutes == 0 || scale_in_minutes == 0 {
                return Err("`scale_out_minutes` and `scale_in_minutes` must be at least 1".into());
            }
            if !(scale_in_margin.is_finite() && (0.0..1.0).contains(&scale_in_margin)) {
                return Err(format!("`scale_in_margin` must be in [0, 1), got {scale_in_margin}"));
            }
            for (k, v) in [("scale_out_cooldown_s", scale_out_cooldown_s), ("scale_in_cooldown_s", scale_in_cooldown_s)]
            {
                if !(v.is_finite() && (0.0..=1e9).contains(&v)) {
                    return Err(format!("`{k}` must be a non-negative number of seconds, got {v}"));
                }
            }
        }
        Ok(())
    }

    /// Builds the autoscaler (parameters must be valid).
    pub fn build(&self, _seed: u64) -> Box<dyn Autoscaler> {
        match *self {
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
                metric,
                target,
                min_instances,
                max_instances,
                scale_out_minutes,
                scale_in_minutes,
                scale_in_margin,
                scale_out_cooldown: mmesim_engine::SimDuration::from_secs_f64(scale_out_cooldown_s),
                scale_in_cooldown: mmesim_engine::SimDuration::from_secs_f64(scale_in_cooldown_s),
            })),
        }
    }
}
