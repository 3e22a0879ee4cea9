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

use mmesim_core::{Bytes, Evictor};
use mmesim_engine::SimDuration;
use serde::{Deserialize, Serialize};

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
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "policy", deny_unknown_fields)]
#[non_exhaustive]
pub enum EvictionPolicy {
    /// Least recently used (the default).
    #[default]
    #[serde(rename = "lru")]
    Lru,
    /// First in, first out.
    #[serde(rename = "fifo")]
    Fifo,
    /// A uniformly random unpinned victim.
    #[serde(rename = "random")]
    Random,
    /// Least frequently used; ties broken by recency.
    #[serde(rename = "lfu")]
    Lfu,
    /// LFU with dynamic ageing.
    #[serde(rename = "lfuda")]
    Lfuda,
    /// GreedyDual-Size: priority = L + cost / size.
    #[serde(rename = "gds")]
    Gds,
    /// GreedyDual-Size-Frequency: priority = L + frequency × cost / size.
    #[serde(rename = "gdsf")]
    Gdsf,
    /// SIEVE: FIFO with a visited bit and a moving hand.
    #[serde(rename = "sieve")]
    Sieve,
    /// S3-FIFO: a small probationary FIFO, a main FIFO and a ghost queue.
    #[serde(rename = "s3fifo")]
    S3Fifo {
        /// Share of the capacity for the small queue (default 0.1).
        #[serde(default = "d_small_ratio")]
        small_ratio: f64,
    },
    /// Adaptive Replacement Cache.
    #[serde(rename = "arc")]
    Arc,
    /// LRU-K: evict the object whose K-th most recent access is oldest.
    #[serde(rename = "lruk")]
    LruK {
        /// K (default 2).
        #[serde(default = "d_k")]
        k: u32,
    },
    /// Idle keep-alive: an object idle for `ttl_s` is removed even without
    /// pressure; under pressure, LRU order.
    #[serde(rename = "ttl")]
    Ttl {
        /// Idle time before removal, seconds (default 600).
        #[serde(default = "d_ttl")]
        ttl_s: f64,
    },
    /// Belady's offline optimum: evict the object whose next use is
    /// farthest; needs the future (trace replay with next-access times).
    #[serde(rename = "belady")]
    Belady {
        /// Weigh size × distance instead of distance (default false).
        #[serde(default)]
        size_aware: bool,
    },
}

impl EvictionPolicy {
    /// Every policy name accepted.
    pub const NAMES: &'static [&'static str] =
        &["lru", "fifo", "random", "lfu", "lfuda", "gds", "gdsf", "sieve", "s3fifo", "arc", "lruk", "ttl", "belady"];

    /// Every policy with default parameters, in [`NAMES`](Self::NAMES) order.
    pub fn all() -> Vec<EvictionPolicy> {
        Self::NAMES.iter().filter_map(|n| Self::from_name(n)).collect()
    }

    /// The policy's name as written in a scenario.
    pub fn name(&self) -> &'static str {
        match self {
            EvictionPolicy::Lru => "lru",
            EvictionPolicy::Fifo => "fifo",
            EvictionPolicy::Random => "random",
            EvictionPolicy::Lfu => "lfu",
            EvictionPolicy::Lfuda => "lfuda",
            EvictionPolicy::Gds => "gds",
            EvictionPolicy::Gdsf => "gdsf",
            EvictionPolicy::Sieve => "sieve",
            EvictionPolicy::S3Fifo { .. } => "s3fifo",
            EvictionPolicy::Arc => "arc",
            EvictionPolicy::LruK { .. } => "lruk",
            EvictionPolicy::Ttl { .. } => "ttl",
            EvictionPolicy::Belady { .. } => "belady",
        }
    }

    /// Parses a bare name with default parameters.
    pub fn from_name(name: &str) -> Option<EvictionPolicy> {
        Some(match name {
            "lru" => EvictionPolicy::Lru,
            "fifo" => EvictionPolicy::Fifo,
            "random" => EvictionPolicy::Random,
            "lfu" => EvictionPolicy::Lfu,
            "lfuda" => EvictionPolicy::Lfuda,
            "gds" => EvictionPolicy::Gds,
            "gdsf" => EvictionPolicy::Gdsf,
            "sieve" => EvictionPolicy::Sieve,
            "s3fifo" => EvictionPolicy::S3Fifo { small_ratio: d_small_ratio() },
            "arc" => EvictionPolicy::Arc,
            "lruk" => EvictionPolicy::LruK { k: d_k() },
            "ttl" => EvictionPolicy::Ttl { ttl_s: d_ttl() },
            "belady" => EvictionPolicy::Belady { size_aware: false },
            _ => return None,
        })
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

    /// Checks the parameters; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            EvictionPolicy::S3Fifo { small_ratio } if !(small_ratio > 0.0 && small_ratio < 1.0) => {
                Err(format!("`small_ratio` must be between 0 and 1 (exclusive), got {small_ratio}"))
            }
            EvictionPolicy::LruK { k } if !(1..=64).contains(&k) => {
                Err(format!("`k` must be between 1 and 64, got {k}"))
            }
            EvictionPolicy::Ttl { ttl_s } if !(ttl_s.is_finite() && ttl_s > 0.0 && ttl_s <= 1e9) => {
                Err(format!("`ttl_s` must be a positive number of seconds up to 1e9, got {ttl_s}"))
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

/// Deserialises a policy written either as a bare name (`"gdsf"`, default
/// parameters) or as a table (`{ policy = "lruk", k = 3 }`). Use with
/// `#[serde(deserialize_with = "mmesim_eviction::name_or_table")]`.
pub fn name_or_table<'de, D: serde::Deserializer<'de>>(d: D) -> Result<EvictionPolicy, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = EvictionPolicy;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(
                f,
                "a policy name ({}) or a table such as {{ policy = \"lruk\", k = 3 }}",
                EvictionPolicy::NAMES.join(", ")
            )
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<EvictionPolicy, E> {
            let map = serde::de::value::MapDeserializer::<_, E>::new(std::iter::once(("policy", s)));
            EvictionPolicy::deserialize(map)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<EvictionPolicy, A::Error> {
            EvictionPolicy::deserialize(serde::de::value::MapAccessDeserializer::new(map))
        }
    }
    d.deserialize_any(V)
}
