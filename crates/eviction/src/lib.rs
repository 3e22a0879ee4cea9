//! # mmesim-eviction: eviction policies
//!
//! Implementations of [`mmesim_core::Evictor`], one policy per file, each
//! headed by its rule in pseudocode, its reference and its cost per
//! operation. An evictor serves the memory tier (loaded models) or the disk
//! tier (downloaded artifacts) of an instance, and works standalone as the
//! replacement policy of a sized-object cache ([`SizedCache`], the engine
//! of `mmesim cache`).
//!
//! Key design choice: an evictor only *proposes* victims
//! ([`Evictor::victim`]) and is *told* of removals
//! ([`Evictor::on_remove`]); the caller owns the cache contents, skips
//! pinned objects and performs the removal. This keeps policies free of
//! cluster logic and makes unloads that take time possible. Objects are
//! dense `u32` ids, so policies keep their state in flat vectors.
//!
//! | name | policy | parameters |
//! |---|---|---|
//! | `lru` | least recently used (default) | |
//! | `fifo` | first in, first out | |
//! | `random` | uniformly random victim | |
//! | `lfu` | least frequently used, ties by recency | |
//! | `lfuda` | LFU with dynamic ageing | |
//! | `gds` | GreedyDual-Size | |
//! | `gdsf` | GreedyDual-Size-Frequency | |
//! | `sieve` | SIEVE | |
//! | `s3fifo` | S3-FIFO (small, main, ghost) | `small_ratio` (0.1) |
//! | `arc` | Adaptive Replacement Cache | |
//! | `lruk` | LRU-K | `k` (2) |
//! | `ttl` | idle keep-alive, LRU under pressure | `ttl_s` (600) |
//! | `belady` | offline optimum (needs the future) | `size_aware` (false) |
//!
//! Policies are configured by [`EvictionPolicy`]: in a scenario either a
//! bare name (`memory = "gdsf"`) or a table with parameters
//! (`memory = { policy = "lruk", k = 3 }`); [`EvictionPolicy::build`] makes
//! the evictor.
//!
//! ```
//! use mmesim_core::{AccessCtx, Bytes, Evictor, ObjectMeta};
//! use mmesim_engine::SimTime;
//! use mmesim_eviction::EvictionPolicy;
//!
//! let mut ev = EvictionPolicy::Lru.build(Bytes(100), 0);
//! let ctx = AccessCtx { now: SimTime::ZERO, vtime: 0, next_access: None };
//! let meta = ObjectMeta { size: Bytes(1), reload_cost: 1.0 };
//! ev.on_insert(7, meta, ctx);
//! ev.on_insert(8, meta, ctx);
//! ev.on_access(7, ctx);
//! assert_eq!(ev.victim(&|_| false), Some(8)); // least recently used
//! assert_eq!(ev.victim(&|id| id == 8), Some(7)); // 8 pinned
//! ```
#![warn(missing_docs)]

mod arc;
mod belady;
mod cache;
mod fifo;
mod gds;
mod gdsf;
mod keyed;
mod lfu;
mod lfuda;
mod lru;
mod lruk;
mod random;
mod s3fifo;
mod sieve;
#[cfg(test)]
pub(crate) mod testutil;
mod ttl;

pub use arc::ArcCache;
pub use belady::Belady;
pub use cache::{CacheStats, SizedCache};
pub use fifo::Fifo;
pub use gds::Gds;
pub use gdsf::Gdsf;
pub use lfu::Lfu;
pub use lfuda::Lfuda;
pub use lru::Lru;
pub use lruk::LruK;
pub use random::RandomEviction;
pub use s3fifo::S3Fifo;
pub use sieve::Sieve;
pub use ttl::Ttl;

use mmesim_core::{Bytes, ConfigError, Evictor};
use mmesim_engine::SimDuration;
use serde::{Deserialize, Serialize};
use strum::{IntoStaticStr, VariantNames};

fn d_small_ratio() -> f64 {
    0.1
}
fn d_k() -> u32 {
    2
}
fn d_ttl() -> f64 {
    600.0
}

/// An eviction policy by name, with its parameters.
///
/// The enum is the one list of policies: their names (the variants' names
/// in lower case, for serde and strum alike), their parameters (the
/// variants' fields) and their defaults (the fields' serde defaults).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, IntoStaticStr, VariantNames)]
#[serde(tag = "policy", rename_all = "lowercase", deny_unknown_fields)]
#[strum(serialize_all = "lowercase")]
#[non_exhaustive]
pub enum EvictionPolicy {
    /// Least recently used (the default).
    #[default]
    Lru,
    /// First in, first out.
    Fifo,
    /// A uniformly random unpinned victim.
    Random,
    /// Least frequently used; ties broken by recency.
    Lfu,
    /// LFU with dynamic ageing.
    Lfuda,
    /// GreedyDual-Size: priority = L + cost / size.
    Gds,
    /// GreedyDual-Size-Frequency: priority = L + frequency × cost / size.
    Gdsf,
    /// SIEVE: FIFO with a visited bit and a moving hand.
    Sieve,
    /// S3-FIFO: a small probationary FIFO, a main FIFO and a ghost queue.
    S3Fifo {
        /// Share of the capacity for the small queue (default 0.1).
        #[serde(default = "d_small_ratio")]
        small_ratio: f64,
    },
    /// Adaptive Replacement Cache.
    Arc,
    /// LRU-K: evict the object whose K-th most recent access is oldest.
    LruK {
        /// K (default 2).
        #[serde(default = "d_k")]
        k: u32,
    },
    /// Idle keep-alive: an object idle for `ttl_s` is removed even without
    /// pressure; under pressure, LRU order.
    Ttl {
        /// Idle time before removal, seconds (default 600).
        #[serde(default = "d_ttl")]
        ttl_s: f64,
    },
    /// Belady's offline optimum: evict the object whose next use is
    /// farthest; needs the future (trace replay with next-access times).
    Belady {
        /// Weigh size × distance instead of distance (default false).
        #[serde(default)]
        size_aware: bool,
    },
}

impl EvictionPolicy {
    /// Every policy name accepted, in declaration order.
    pub const NAMES: &'static [&'static str] = <Self as VariantNames>::VARIANTS;

    /// Every policy with default parameters, in [`NAMES`](Self::NAMES) order.
    pub fn all() -> Vec<EvictionPolicy> {
        Self::NAMES.iter().filter_map(|n| Self::from_name(n)).collect()
    }

    /// The policy's name as written in a scenario.
    pub fn name(&self) -> &'static str {
        self.into()
    }

    /// Parses a bare name with default parameters.
    pub fn from_name(name: &str) -> Option<EvictionPolicy> {
        use serde::de::value::{Error, MapDeserializer};
        EvictionPolicy::deserialize(MapDeserializer::<_, Error>::new(std::iter::once(("policy", name)))).ok()
    }

    /// The parameter keys a policy takes in a table (besides `policy`);
    /// `None` for an unknown name.
    pub fn param_names(name: &str) -> Option<&'static [&'static str]> {
        Some(match name {
            "s3fifo" => &["small_ratio"],
            "lruk" => &["k"],
            "ttl" => &["ttl_s"],
            "belady" => &["size_aware"],
            n if Self::NAMES.contains(&n) => &[],
            _ => return None,
        })
    }

    /// Whether the policy needs to know the future (`next_access`).
    pub fn is_offline(&self) -> bool {
        matches!(self, EvictionPolicy::Belady { .. })
    }

    /// Checks the parameters; the error names the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        match *self {
            EvictionPolicy::S3Fifo { small_ratio } if !(small_ratio > 0.0 && small_ratio < 1.0) => {
                Err(ConfigError::invalid(
                    "small_ratio",
                    format!("`small_ratio` must be between 0 and 1 (exclusive), got {small_ratio}"),
                ))
            }
            EvictionPolicy::LruK { k } if !(1..=64).contains(&k) => {
                Err(ConfigError::invalid("k", format!("`k` must be between 1 and 64, got {k}")))
            }
            EvictionPolicy::Ttl { ttl_s } if !(ttl_s.is_finite() && ttl_s > 0.0 && ttl_s <= 1e9) => {
                Err(ConfigError::invalid(
                    "ttl_s",
                    format!("`ttl_s` must be a positive number of seconds up to 1e9, got {ttl_s}"),
                ))
            }
            _ => Ok(()),
        }
    }

    /// Builds an evictor for a cache of `capacity` bytes. `seed` feeds
    /// policies that randomise (derive it from the run's seed and the
    /// instance, so runs are reproducible). Parameters must be valid.
    pub fn build(&self, capacity: Bytes, seed: u64) -> Box<dyn Evictor> {
        match *self {
            EvictionPolicy::Lru => Box::new(Lru::new()),
            EvictionPolicy::Fifo => Box::new(Fifo::new()),
            EvictionPolicy::Random => Box::new(RandomEviction::new(seed)),
            EvictionPolicy::Lfu => Box::new(Lfu::new()),
            EvictionPolicy::Lfuda => Box::new(Lfuda::new()),
            EvictionPolicy::Gds => Box::new(Gds::new()),
            EvictionPolicy::Gdsf => Box::new(Gdsf::new()),
            EvictionPolicy::Sieve => Box::new(Sieve::new()),
            EvictionPolicy::S3Fifo { small_ratio } => Box::new(S3Fifo::new(capacity, small_ratio)),
            EvictionPolicy::Arc => Box::new(ArcCache::new(capacity)),
            EvictionPolicy::LruK { k } => Box::new(LruK::new(k)),
            EvictionPolicy::Ttl { ttl_s } => Box::new(Ttl::new(SimDuration::from_secs_f64(ttl_s))),
            EvictionPolicy::Belady { size_aware } => Box::new(Belady::new(size_aware)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(EvictionPolicy::NAMES.len(), EvictionPolicy::all().len());
        for (name, p) in EvictionPolicy::NAMES.iter().zip(EvictionPolicy::all()) {
            assert_eq!(p.name(), *name);
            assert!(EvictionPolicy::param_names(name).is_some(), "{name}");
            assert_eq!(p.validate(), Ok(()), "{name}: defaults must be valid");
        }
        assert_eq!(EvictionPolicy::from_name("lruk"), Some(EvictionPolicy::LruK { k: 2 }));
        assert_eq!(EvictionPolicy::from_name("s3fifo"), Some(EvictionPolicy::S3Fifo { small_ratio: 0.1 }));
        assert_eq!(EvictionPolicy::from_name("bogus"), None);
        assert_eq!(EvictionPolicy::param_names("bogus"), None);
    }

    #[test]
    fn validation_names_the_key() {
        let e = EvictionPolicy::Ttl { ttl_s: -1.0 }.validate().unwrap_err();
        assert_eq!(e.kind(), &mmesim_core::ConfigErrorKind::Invalid { field: "ttl_s".into() });
        assert_eq!(e.to_string(), "`ttl_s` must be a positive number of seconds up to 1e9, got -1");
    }
}
