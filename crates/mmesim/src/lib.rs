//! # mmesim: simulate multi-model inference endpoints
//!
//! The facade of the workspace. It turns a **scenario** (a TOML file: the
//! instance type and count, the models, the traffic, the policies by name)
//! into a deterministic discrete-event simulation, runs it, and returns a
//! [`Report`]: request accounting, latency percentiles, cache hit ratio,
//! downloads / loads / unloads, cost.
//!
//! ```text
//!   scenario.toml ──► Scenario (serde, validated) ──► SimConfig + policies by name
//!                                                        │
//!          mmesim-workload (arrivals, popularity) ──►  mmesim-core::Simulation ──► Report (JSON, table)
//!          mmesim-eviction / -routing / -autoscaling ──┘
//! ```
//!
//! Main types: [`Scenario`] (with [`Scenario::from_file`],
//! [`Scenario::run`]), [`Report`], [`summary_table`], and the opaque
//! [`Error`] whose message names the file and the field. On top of single
//! runs: [`trace`] (real traffic: `[workload] trace`), [`Sweep`] (a grid of
//! scenarios by dotted-path axes, run in parallel, shardable, see
//! [`sweep`]), [`recommend()`] (the cheapest instance type and count that
//! meet a p99 target, see [`mod@recommend`]), [`replay`] (cache-only trace
//! replay), [`validate`] (published figures against a scenario) and
//! [`calibrate`] (a twin fitted to an endpoint's CloudWatch metrics, read
//! and written by [`cloudwatch`]). For discovery: [`catalog`] (the
//! instance types as a table or JSON) and [`policies`] (every policy with
//! its parameters and defaults); [`overrides`] sets fields of a scenario
//! file by dotted path (`--set`).
//!
//! Key design choice: every scenario field has a documented default and
//! unknown keys are rejected, so a typo is an error rather than a silently
//! ignored setting; and the same scenario and seed always give a
//! byte-identical report.
//!
//! ```
//! use mmesim::Scenario;
//!
//! let s = Scenario::from_toml_str(r#"
//!     name = "doc"
//!     duration_s = 100.0
//!     warmup_s = 40.0          # cold starts happen here; not measured
//!     [cluster]
//!     instance_type = "ml.m5.xlarge"
//!     instances = 2
//!     [models]
//!     count = 20
//!     memory_mib = { dist = "constant", value = 200.0 }
//!     [workload]
//!     arrival = { process = "poisson", rate_per_s = 50.0 }
//! "#, "doc.toml")?;
//! let out = s.run()?;
//! let r = &out.report;
//! assert_eq!(r.requests.arrived, r.requests.completed + r.requests.failed + r.requests.rejected);
//! assert!(r.model_cache_hit > 0.99); // 20 × 200 MiB fit in 2 × 14 GiB: warm after the warm-up
//! // Same scenario, same seed: the same report, to the byte.
//! let again = s.run()?;
//! assert_eq!(mmesim::to_json(&again.report), mmesim::to_json(r));
//! # Ok::<(), mmesim::Error>(())
//! ```
#![warn(missing_docs)]

pub mod calibrate;
pub mod catalog;
pub mod chart;
pub mod cloudwatch;
mod error;
pub mod fmt;
mod metrics_csv;
pub mod overrides;
pub mod policies;
pub mod recommend;
pub mod replay;
mod scenario;
mod summary;
pub mod sweep;
pub mod trace;
pub mod validate;

pub use error::{Error, ErrorKind};
pub use metrics_csv::{metrics_csv, MetricsCsvWriter};
pub use overrides::Override;
pub use recommend::{recommend, Recommendation, SearchOptions, Targets};
pub use scenario::{
    eviction_bytes_per_model, models_held_at_once, Warning, CORE_BYTES_PER_SLOT, MAX_MODEL_STATE_BYTES, MIN_DURATION_S,
};
pub use scenario::{
    BatchingSpec, ClientPreset, ClientSpec, ClusterSpec, CustomPolicies, EvictionSpec, GpuSpec, InstanceTypeSpec,
    MakeEvictor, RunOptions, Scenario, StorageSpec, WorkloadSpec, Zones, MAX_INSTANCES, MAX_INSTANCE_MODEL_SLOTS,
    MAX_SECONDS,
};
pub use summary::summary_table;
pub use sweep::{Shard, Sweep};

pub use mmesim_autoscaling as autoscaling;
pub use mmesim_core as core;
pub use mmesim_core::{Report, RunResult};
pub use mmesim_engine as engine;
pub use mmesim_eviction as eviction;
pub use mmesim_routing as routing;
pub use mmesim_workload as workload;

/// The report as pretty-printed JSON (the output of `mmesim run --json`).
pub fn to_json(report: &Report) -> String {
    // Serialising plain structs of numbers, strings and BTreeMaps cannot fail.
    serde_json::to_string_pretty(report).unwrap_or_else(|e| panic!("BUG: report serialisation failed: {e}"))
}
