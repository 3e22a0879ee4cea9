//! # mmesim-core: the cluster model
//!
//! This crate models a **multi-model inference endpoint**: a fleet of
//! instances, spread over availability zones, each caching loaded models in
//! a memory tier (RAM, or GPU memory) backed by a disk tier of downloaded
//! artifacts, and serving requests on a fixed number of inference slots.
//! It knows no concrete policy: routing, eviction and autoscaling are the
//! traits [`Router`], [`Evictor`] and [`Autoscaler`], implemented in their
//! own crates, and requests come from any [`RequestSource`] (open arrivals)
//! or [`ClosedLoop`] (users who wait for each response, then think).
//!
//! ## The request lifecycle
//!
//! ```text
//!  arrival ──► Router ──► instance i
//!                          │ model loaded?  ── yes (hit) ──► FIFO slot queue ─► serve ─► completed
//!                          │ no (miss)
//!                          ▼
//!              on disk? ── no ──► download (disk room: delete idle artifacts)
//!                          │                      │
//!                          ▼                      ▼
//!                        load (memory room: unload idle models; an unload takes time)
//!                          │
//!                          └──► every request waiting for it joins the slot queue
//!  a request not started within the timeout fails; a model larger than the
//!  memory (or artifact larger than the disk) fails at once; a full queue throttles.
//! ```
//!
//! Main types: [`Simulation`] (built from a [`SimConfig`], a request source
//! — or closed-loop clients, [`Simulation::closed_loop`] — and [`Policies`]; [`Simulation::run`] gives a [`RunResult`] with the
//! [`Report`]), [`InstanceType`] and the built-in [`Catalog`],
//! [`ModelSpec`], [`Dist`] for service-time and size distributions, and the
//! read-only [`ClusterView`] routers decide on.
//!
//! ## Key design choices
//!
//! * **Dense integer ids** ([`ModelId`], [`InstanceId`]) index flat vectors;
//!   each instance keeps a *residency* (memory state, disk state, pins,
//!   wait list) only for the models it holds, in small per-instance
//!   *slots* found by one hash probe when a request is routed, so a
//!   million-model endpoint costs each instance only what it holds.
//!   Requests live in a slab that is reused, and wait lists are
//!   intrusive, so the hot path allocates nothing per request.
//! * **The simulation is split into rooms** (`sim/`: requests, tiers,
//!   fleet, minutes), each owning its data; only the tier room writes a
//!   model's memory and disk state, and field privacy enforces it.
//! * **Policies return decisions as data.** An evictor *proposes* a victim;
//!   the core checks it is not pinned and performs the unload. A router
//!   returns an instance id; the core checks it accepts requests.
//! * **Determinism**: integer-nanosecond time, events ordered by
//!   (time, sequence), one random stream per purpose, no hash-map iteration
//!   in any decision.
//!
//! ## Example
//!
//! A one-instance endpoint, one model, three requests; the first pays the
//! cold start. (The `mmesim` facade builds all this from a TOML scenario.)
//!
//! ```
//! use mmesim_core::*;
//! use mmesim_engine::{SimDuration, SimTime};
//!
//! // A minimal "keep everything" evictor and "always instance 0" router.
//! struct Keep(usize);
//! impl Evictor for Keep {
//!     fn name(&self) -> &str { "keep" }
//!     fn on_insert(&mut self, _: u32, _: ObjectMeta, _: AccessCtx) { self.0 += 1 }
//!     fn on_access(&mut self, _: u32, _: AccessCtx) {}
//!     fn on_remove(&mut self, _: u32) { self.0 -= 1 }
//!     fn victim(&mut self, _: &dyn Fn(u32) -> bool) -> Option<u32> { None }
//!     fn len(&self) -> usize { self.0 }
//! }
//! struct First;
//! impl Router for First {
//!     fn name(&self) -> &str { "first" }
//!     fn route(&mut self, _: ModelId, _: &ClusterView<'_>) -> RouteDecision {
//!         RouteDecision::To(InstanceId(0))
//!     }
//! }
//! struct Fixed;
//! impl Autoscaler for Fixed {
//!     fn name(&self) -> &str { "none" }
//!     fn evaluate(&mut self, _: &MinuteMetrics, _: &FleetStatus) -> Option<u32> { None }
//! }
//!
//! let ty = Catalog::builtin().get("ml.m5.xlarge").unwrap().clone();
//! let cfg = SimConfig {
//!     cluster: ClusterConfig {
//!         instance_type: ty, instances: 1, zones: vec!["a".into()],
//!         max_concurrent_downloads: 0, max_concurrent_loads: 0, queue_limit: 100,
//!         cpu_per_request: 1, request_timeout: SimDuration::from_secs(60),
//!         download_overhead: SimDuration::ZERO, launch_delay: SimDuration::from_secs(300),
//!         replace_failed: true, replacement_delay: SimDuration::from_secs(300),
//!         scale_in_pick: ScaleInPick::Newest,
//!         request_overhead: SimDuration::ZERO, model_cache: ModelCacheSetting::Enabled,
//!         gpu_context: Bytes::ZERO, batching: None, service_scale: 1.0,
//!     },
//!     models: vec![ModelSpec {
//!         name: "m0".into(), memory: Bytes::from_mib(100.0), artifact: Bytes::from_mib(100.0),
//!         service_ms: Dist::Constant { value: 10.0 },
//!         load_overhead: SimDuration::ZERO, unload_time: SimDuration::ZERO,
//!         payload: Bytes::ZERO, preprocess: SimDuration::ZERO,
//!     }].into(),
//!     faults: vec![], client: ClientConfig::default(),
//!     duration: SimDuration::from_secs(10), warmup: SimDuration::ZERO, seed: 1,
//!     record_trace: false, check_invariants: true, record_metrics: false,
//! };
//! let arrivals = (0..3).map(|i| Arrival {
//!     time: SimTime::from_secs(2 * i), model: ModelId(0), service: None,
//! }).collect();
//! let policies = Policies {
//!     router: Box::new(First),
//!     autoscaler: Box::new(Fixed),
//!     evictors: Box::new(|_, _, _| Box::new(Keep(0)) as Box<dyn Evictor>),
//! };
//! let out = Simulation::new(cfg, Box::new(VecSource::new(arrivals)), policies)?.run();
//! assert_eq!(out.report.requests.completed, 3);
//! assert_eq!(out.report.cache.loads, 1);
//! assert!((out.report.model_cache_hit - 2.0 / 3.0).abs() < 1e-12);
//! # Ok::<(), CoreError>(())
//! ```
#![warn(missing_docs)]

mod catalog;
mod cw;
mod dist;
mod error;
mod evict;
mod ids;
mod metrics;
mod model;
mod pipe;
mod route;
mod scale;
mod sim;
mod source;

pub use catalog::{
    gp2_read_bytes_per_s, Catalog, Gpu, InstanceType, Storage, StorageKind, A10G_MIB, DEFAULT_DOWNLOAD_STREAMS,
    DEFAULT_EBS_VOLUME_GIB, MAX_DOWNLOAD_STREAMS, MAX_INSTANCE_BYTES, NVME_READ_BYTES_PER_S, S3_STREAM_BYTES_PER_S,
    T4_MIB,
};
pub use cw::{Dimension, MetricRow, METRIC_NAMES};
pub use dist::{Dist, Sampler};
pub use error::{ConfigError, ConfigErrorKind, CoreError, CoreErrorKind};
pub use evict::{AccessCtx, Evictor, ObjectMeta};
pub use ids::{Bytes, InstanceId, ModelId, ZoneId};
pub use metrics::{
    CacheCounts, FailReason, FaultWindow, FleetSummary, LatencySummary, LoadingWaitSummary, ModelsSummary,
    QueueWaitSummary, Report, RequestCounts, ZoneSummary,
};
pub use model::{
    Batching, ClientConfig, ClusterConfig, Fault, FaultKind, ModelCacheSetting, ModelName, ModelSpec, Models,
    Population, ScaleInPick, SimConfig,
};
pub use route::{
    ClusterView, DiskState, FleetIndex, InstanceStatus, MemState, ModelCopy, RejectReason, RouteDecision, Router,
};
pub use scale::{Autoscaler, FleetStatus, MinuteMetrics};
pub use sim::{
    run_horizon, CollectMinutes, EvictorFactory, MinuteSink, Policies, RunResult, Simulation, SinkError, Tier,
    TraceKind, TraceRecord, Truncation, MAX_PENDING_RUNS, MIN_DRAIN_LIMIT_S,
};
pub use source::{Arrival, ClientStation, ClosedLoop, RequestSource, VecSource};
