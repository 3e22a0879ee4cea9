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
//! built by [`RoutingPolicy::build`]: `sticky` (the default),
//! `least-outstanding`, `random`, `round-robin`, `p2c`, `consistent-hash`
//! and `modelmesh`, one file each.
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

mod consistent_hash;
pub mod hash;
mod least_outstanding;
mod modelmesh;
mod p2c;
mod random;
mod round_robin;
mod sticky;
#[cfg(test)]
pub(crate) mod testutil;

pub use consistent_hash::ConsistentHash;
pub use least_outstanding::LeastOutstanding;
pub use modelmesh::ModelMesh;
pub use p2c::PowerOfTwo;
pub use random::RandomRouter;
pub use round_robin::RoundRobin;
pub use sticky::Sticky;

use mmesim_core::{ConfigError, Router};
use serde::{Deserialize, Serialize};
use strum::{IntoStaticStr, VariantNames};

fn default_spill_factor() -> f64 {
    2.0
}
fn default_load_factor() -> f64 {
    1.25
}

/// A routing policy by name, with its parameters.
///
/// The enum is the one list of policies: their names (the variants' names
/// in kebab case, for serde and strum alike), their parameters (the
/// variants' fields) and their defaults (the fields' serde defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, IntoStaticStr, VariantNames)]
#[serde(tag = "policy", rename_all = "kebab-case", deny_unknown_fields)]
#[strum(serialize_all = "kebab-case")]
#[non_exhaustive]
pub enum RoutingPolicy {
    /// SageMaker-like sticky routing with spill-over (the default).
    Sticky {
        /// Spill to another instance once the least-loaded copy has
        /// `spill_factor × slots` requests holding or waiting for a slot
        /// (default 2.0).
        #[serde(default = "default_spill_factor")]
        spill_factor: f64,
    },
    /// The accepting instance with the fewest outstanding requests.
    LeastOutstanding,
    /// A uniformly random accepting instance.
    Random,
    /// Accepting instances in turn.
    RoundRobin,
    /// Power of two choices, preferring an instance that holds the model.
    P2c,
    /// Consistent hashing with bounded loads (Mirrokni, Thorup,
    /// Zadimoghaddam 2018).
    ConsistentHash {
        /// An instance takes a request only while its outstanding requests
        /// are below `max(ceil(load_factor × (least + 1)), least + 1)`, where
        /// `least` is the fewest outstanding requests of any accepting
        /// instance (a variant of the paper's average-based bound that needs
        /// no scan; default 1.25; > 1).
        #[serde(default = "default_load_factor")]
        load_factor: f64,
    },
    /// ModelMesh-style: a loaded copy with the fewest in-flight requests; on
    /// a miss, an instance with room, else the one whose cache is oldest.
    #[serde(rename = "modelmesh")]
    #[strum(serialize = "modelmesh")]
    ModelMesh,
}

impl Default for RoutingPolicy {
    fn default() -> Self {
        RoutingPolicy::Sticky { spill_factor: default_spill_factor() }
    }
}

impl RoutingPolicy {
    /// Every policy name accepted, in declaration order.
    pub const NAMES: &'static [&'static str] = <Self as VariantNames>::VARIANTS;

    /// Every policy with default parameters, in [`NAMES`](Self::NAMES) order.
    pub fn all() -> Vec<RoutingPolicy> {
        Self::NAMES.iter().filter_map(|n| Self::from_name(n)).collect()
    }

    /// Parses a bare name with default parameters.
    pub fn from_name(name: &str) -> Option<RoutingPolicy> {
        use serde::de::value::{Error, MapDeserializer};
        RoutingPolicy::deserialize(MapDeserializer::<_, Error>::new(std::iter::once(("policy", name)))).ok()
    }

    /// The parameter keys a policy takes (besides `policy`); `None` for an
    /// unknown name.
    pub fn param_names(name: &str) -> Option<&'static [&'static str]> {
        Some(match name {
            "sticky" => &["spill_factor"],
            "consistent-hash" => &["load_factor"],
            n if Self::NAMES.contains(&n) => &[],
            _ => return None,
        })
    }

    /// The policy's name.
    pub fn name(&self) -> &'static str {
        self.into()
    }

    /// Checks the parameters; the error names the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        match *self {
            RoutingPolicy::Sticky { spill_factor } if !(spill_factor.is_finite() && spill_factor > 0.0) => {
                Err(ConfigError::invalid(
                    "spill_factor",
                    format!("`spill_factor` must be a positive number, got {spill_factor}"),
                ))
            }
            RoutingPolicy::ConsistentHash { load_factor } if !(load_factor.is_finite() && load_factor > 1.0) => {
                Err(ConfigError::invalid(
                    "load_factor",
                    format!("`load_factor` must be a number greater than 1, got {load_factor}"),
                ))
            }
            _ => Ok(()),
        }
    }

    /// Builds the router. `seed` feeds policies that randomise.
    pub fn build(&self, seed: u64) -> Box<dyn Router> {
        match *self {
            RoutingPolicy::Sticky { spill_factor } => Box::new(Sticky::new(spill_factor)),
            RoutingPolicy::LeastOutstanding => Box::new(LeastOutstanding::new()),
            RoutingPolicy::Random => Box::new(RandomRouter::new(seed)),
            RoutingPolicy::RoundRobin => Box::new(RoundRobin::new()),
            RoutingPolicy::P2c => Box::new(PowerOfTwo::new(seed)),
            RoutingPolicy::ConsistentHash { load_factor } => Box::new(ConsistentHash::new(load_factor)),
            RoutingPolicy::ModelMesh => Box::new(ModelMesh::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let all = RoutingPolicy::all();
        assert_eq!(all.len(), RoutingPolicy::NAMES.len());
        assert_eq!(all[0], RoutingPolicy::default());
        for (name, p) in RoutingPolicy::NAMES.iter().zip(all) {
            assert_eq!(p.name(), *name);
            assert!(RoutingPolicy::param_names(name).is_some(), "{name}");
            assert_eq!(p.validate(), Ok(()), "{name}: defaults must be valid");
        }
        assert_eq!(RoutingPolicy::from_name("modelmesh"), Some(RoutingPolicy::ModelMesh));
        assert_eq!(RoutingPolicy::from_name("bogus"), None);
    }

    #[test]
    fn validation_names_the_key() {
        let e = RoutingPolicy::ConsistentHash { load_factor: 1.0 }.validate().unwrap_err();
        assert_eq!(e.field(), Some("load_factor"));
        assert_eq!(e.to_string(), "`load_factor` must be a number greater than 1, got 1");
    }
}
