//! # mmesim-routing: routing policies
//!
//! Implementations of [`mmesim_core::Router`], one policy per file. A
//! router sees a read-only [`ClusterView`](mmesim_core::ClusterView) (per
//! instance: health, draining, zone, outstanding requests, free memory;
//! per model: which instances hold it in memory or on disk, or are fetching
//! it) and returns a decision as data: an instance, or a rejection with a
//! reason. The core applies it and updates outstanding counts at once, so
//! decisions at the same instant see each other.
//!
//! Policies are configured by [`RoutingPolicy`], a serde-tagged enum (the
//! scenario's `[routing] policy = "sticky"` plus the policy's keys), and
//! built by [`RoutingPolicy::build`]. Today: `sticky` (the default); the
//! full suite follows.
//!
//! Key design choice: stable choices use a consistent-hash ring over the
//! accepting instances ([`hash::HashRing`]), so a model keeps its home while
//! that instance is up and only the models of a lost instance move.
//!
//! ```
//! use mmesim_routing::RoutingPolicy;
//! let p: RoutingPolicy = toml::from_str("policy = \"sticky\"\nspill_factor = 3.0").unwrap();
//! assert_eq!(p, RoutingPolicy::Sticky { spill_factor: 3.0 });
//! assert_eq!(p.build(1).name(), "sticky");
//! ```
#![warn(missing_docs)]

pub mod hash;
mod sticky;

pub use sticky::Sticky;

use mmesim_core::Router;
use serde::{Deserialize, Serialize};

fn default_spill_factor() -> f64 {
    2.0
}

/// A routing policy by name, with its parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "policy", rename_all = "kebab-case", deny_unknown_fields)]
#[non_exhaustive]
pub enum RoutingPolicy {
    /// SageMaker-like sticky routing with spill-over (the default).
    Sticky {
        /// Spill to another instance once the least-loaded copy has
        /// `spill_factor × slots` outstanding requests (default 2.0).
        #[serde(default = "default_spill_factor")]
        spill_factor: f64,
    },
}

impl Default for RoutingPolicy {
    fn default() -> Self {
        RoutingPolicy::Sticky { spill_factor: default_spill_factor() }
    }
}

impl RoutingPolicy {
    /// Every policy name accepted.
    pub const NAMES: &'static [&'static str] = &["sticky"];

    /// The policy's name.
    pub fn name(&self) -> &'static str {
        match self {
            RoutingPolicy::Sticky { .. } => "sticky",
        }
    }

    /// Checks the parameters; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            RoutingPolicy::Sticky { spill_factor } => {
                if !(spill_factor.is_finite() && spill_factor > 0.0) {
                    return Err(format!("`spill_factor` must be a positive number, got {spill_factor}"));
                }
            }
        }
        Ok(())
    }

    /// Builds the router. `seed` feeds policies that randomise.
    pub fn build(&self, _seed: u64) -> Box<dyn Router> {
        match *self {
            RoutingPolicy::Sticky { spill_factor } => Box::new(Sticky::new(spill_factor)),
        }
    }
}
