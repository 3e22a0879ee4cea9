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
//! [`AutoscalingPolicy::build`]. Today: `none` (the default); target
//! tracking, step and scheduled scaling follow.
//!
//! ```
//! use mmesim_autoscaling::AutoscalingPolicy;
//! let p = AutoscalingPolicy::default();
//! assert_eq!(p.build(0).name(), "none");
//! ```
#![warn(missing_docs)]

mod none;

pub use none::NoScaling;

use mmesim_core::Autoscaler;
use serde::{Deserialize, Serialize};

/// An autoscaling policy by name, with its parameters.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "policy", rename_all = "kebab-case", deny_unknown_fields)]
#[non_exhaustive]
pub enum AutoscalingPolicy {
    /// A fixed fleet (the default).
    #[default]
    None,
}

impl AutoscalingPolicy {
    /// Every policy name accepted.
    pub const NAMES: &'static [&'static str] = &["none"];

    /// The parameter keys a policy takes (besides `policy`); `None` for an
    /// unknown name.
    pub fn param_names(name: &str) -> Option<&'static [&'static str]> {
        Self::NAMES.contains(&name).then_some(&[] as &[&str])
    }

    /// The policy's name.
    pub fn name(&self) -> &'static str {
        match self {
            AutoscalingPolicy::None => "none",
        }
    }

    /// Builds the autoscaler.
    pub fn build(&self, _seed: u64) -> Box<dyn Autoscaler> {
        match self {
            AutoscalingPolicy::None => Box::new(NoScaling),
        }
    }
}
