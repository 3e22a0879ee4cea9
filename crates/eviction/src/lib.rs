//! # mmesim-eviction: eviction policies
//!
//! Implementations of [`mmesim_core::Evictor`], one policy per file, each
//! headed by its rule in pseudocode, its reference and its cost per
//! operation. An evictor serves the memory tier (loaded models) or the disk
//! tier (downloaded artifacts) of an instance, and works standalone as the
//! replacement policy of a sized-object cache.
//!
//! Key design choice: an evictor only *proposes* victims
//! ([`Evictor::victim`]) and is *told* of removals
//! ([`Evictor::on_remove`]); the caller owns the cache contents, skips
//! pinned objects and performs the removal. This keeps policies free of
//! cluster logic and makes unloads that take time possible.
//!
//! Policies are configured by [`EvictionPolicy`], a serde-tagged enum (the
//! scenario's `[eviction] memory = "lru"`), and built by
//! [`EvictionPolicy::build`]. Today: `lru` (the default); the full suite
//! follows.
//!
//! ```
//! use mmesim_core::{AccessCtx, Bytes, Evictor, ObjectMeta};
//! use mmesim_engine::SimTime;
//! use mmesim_eviction::EvictionPolicy;
//!
//! let mut ev = EvictionPolicy::Lru.build(0);
//! let ctx = AccessCtx { now: SimTime::ZERO, vtime: 0, next_access: None };
//! let meta = ObjectMeta { size: Bytes(1), reload_cost: 1.0 };
//! ev.on_insert(7, meta, ctx);
//! ev.on_insert(8, meta, ctx);
//! ev.on_access(7, ctx);
//! assert_eq!(ev.victim(&|_| false), Some(8)); // least recently used
//! assert_eq!(ev.victim(&|id| id == 8), Some(7)); // 8 pinned
//! ```
#![warn(missing_docs)]

mod lru;

pub use lru::Lru;

use mmesim_core::Evictor;
use serde::{Deserialize, Serialize};

/// An eviction policy by name, with its parameters.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
#[non_exhaustive]
pub enum EvictionPolicy {
    /// Least recently used (the default).
    #[default]
    Lru,
}

impl EvictionPolicy {
    /// Every policy name accepted, for error messages and `--help`.
    pub const NAMES: &'static [&'static str] = &["lru"];

    /// The policy's name as written in a scenario.
    pub fn name(&self) -> &'static str {
        match self {
            EvictionPolicy::Lru => "lru",
        }
    }

    /// Parses a bare name (`"lru"`) with default parameters.
    pub fn from_name(name: &str) -> Option<EvictionPolicy> {
        match name {
            "lru" => Some(EvictionPolicy::Lru),
            _ => None,
        }
    }

    /// Builds an evictor. `seed` feeds policies that randomise (derive it
    /// from the run's seed and the instance, so runs are reproducible).
    pub fn build(&self, _seed: u64) -> Box<dyn Evictor> {
        match self {
            EvictionPolicy::Lru => Box::new(Lru::new()),
        }
    }
}
