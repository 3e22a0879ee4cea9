//! The scenario file: what a user writes, with a documented default for
//! every field, validated before anything runs.

use crate::error::{from_toml, Error, ErrorKind};
use crate::trace::TraceSpec;
use mmesim_autoscaling::AutoscalingPolicy;
use mmesim_core::{
    Bytes, Catalog, ClientConfig, ClosedLoop, ClusterConfig, CoreError, Evictor, Fault, FaultKind, Gpu, InstanceId,
    InstanceType, ModelCacheSetting, Policies, RequestSource, Router, ScaleInPick, SimConfig, Simulation, Storage,
    StorageKind, Tier, ZoneId,
};
use mmesim_engine::{RngStreams, SimDuration, Stream};
use mmesim_eviction::EvictionPolicy;
use mmesim_routing::RoutingPolicy;
use mmesim_workload::{ArrivalProcess, ClosedClients, Drift, Generated, ModelsSpec, Popularity};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn d_name() -> String {
    "scenario".into()
}
fn d_seed() -> u64 {
    42
}
fn d_duration() -> f64 {
    3600.0
}

/// A whole scenario (the TOML file). Unknown keys are rejected.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A name for reports. Default `"scenario"`.
    #[serde(default = "d_name")]
    pub name: String,
    /// The seed every random stream derives from. Default 42.
    #[serde(default = "d_seed")]
    pub seed: u64,
    /// Arrivals stop at this time (seconds); in-flight work then drains.
    /// Default 3600.
    #[serde(default = "d_duration")]
    pub duration_s: f64,
    /// Requests arriving earlier (seconds) are left out of latency and
    /// hit-ratio figures. Default 0.
    #[serde(default)]
    pub warmup_s: f64,
    /// The endpoint.
    #[serde(default)]
    pub cluster: ClusterSpec,
    /// Instance types to add to, or override in, the built-in catalog.
    #[serde(default)]
    pub instance_types: Vec<InstanceTypeSpec>,
    /// The models.
    #[serde(default)]
    pub models: ModelsSpec,
    /// The traffic.
    #[serde(default)]
    pub workload: WorkloadSpec,
    /// Routing policy. Default `sticky`.
    #[serde(default, deserialize_with = "strict_routing")]
    pub routing: RoutingPolicy,
    /// Eviction policies of both tiers. Default `lru` for both.
    #[serde(default)]
    pub eviction: EvictionSpec,
    /// Autoscaling policy. Default `none`.
    #[serde(default, deserialize_with = "strict_autoscaling")]
    pub autoscaling: AutoscalingPolicy,
    /// Faults to inject (`[[faults]]`). Default none.
    #[serde(default)]
    pub faults: Vec<FaultSpec>,
    /// Client behaviour (`[client]`): retries.
    #[serde(default)]
    pub client: ClientSpec,
    /// Published figures this scenario reproduces (`mmesim validate`,
    /// see [`crate::validate`]); ignored by `run`. Default none.
    #[serde(default)]
    pub validation: Option<crate::validate::ValidationSpec>,
    /// Where relative paths (trace files) are looked up: the scenario
    /// file's directory (the working directory for a scenario from text).
    #[serde(skip)]
    base_dir: PathBuf,
    /// The TOML table the scenario was read from (for overrides by dotted
    /// path).
    #[serde(skip)]
    pub(crate) source: Option<toml::Table>,
    /// What errors found when the scenario runs name: the file it was read
    /// from (the `origin` of [`from_toml_str`](Scenario::from_toml_str)),
    /// or its `name` when it has none.
    #[serde(skip)]
    origin: Option<String>,
}

/// A zone by index (`0`) or by name (`"zone-b"`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged, expecting = "expected a zone index (0, 1, …) or a zone name in quotes")]
pub enum ZoneRef {
    /// By index.
    Index(i64),
    /// By name.
    Name(String),
}

/// A `[[faults]]` entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "kebab-case",
    deny_unknown_fields,
    expecting = "a fault such as { kind = \"zone-outage\", zone = 0, at_s = 600.0 }"
)]
pub enum FaultSpec {
    /// Every instance of a zone fails; the zone takes no instance while out.
    ZoneOutage {
        /// The zone.
        zone: ZoneRef,
        /// When, seconds from the start.
        at_s: f64,
        /// For how long, seconds; absent = for good.
        #[serde(default)]
        duration_s: Option<f64>,
    },
    /// One instance fails (initial instances are numbered from 0).
    InstanceFailure {
        /// The instance.
        instance: i64,
        /// When, seconds from the start.
        at_s: f64,
        /// Down for this long, then replaced by an empty instance in its
        /// zone; absent = replaced after `cluster.replacement_delay_s` (if
        /// `cluster.replace_failed`).
        #[serde(default)]
        duration_s: Option<f64>,
    },
}

/// The `[client]` table.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSpec {
    /// An AWS SDK's retry behaviour, which sets the four keys below (they
    /// may not be given with it). Default none.
    #[serde(default)]
    pub preset: Option<ClientPreset>,
    /// Retries of a request that failed because its instance failed, that
    /// no instance accepted, or that was throttled. Default 0.
    #[serde(default)]
    pub retries: Option<u32>,
    /// Wait before the first retry, ms; doubles at each further retry.
    /// Default 100.
    #[serde(default)]
    pub backoff_ms: Option<f64>,
    /// The longest wait before a retry, ms. Default: no cap.
    #[serde(default)]
    pub max_backoff_ms: Option<f64>,
    /// Draw each wait uniformly between 0 and the (capped) backoff ("full
    /// jitter", as the AWS SDKs do). Default false.
    #[serde(default)]
    pub jitter: Option<bool>,
    /// Retry a `model_not_ready` answer too (a request still waiting for
    /// its model at the timeout). Default false.
    #[serde(default)]
    pub retry_model_not_ready: Option<bool>,
}

/// An AWS SDK's retry behaviour for `[client] preset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientPreset {
    /// botocore's legacy mode (boto3's default): 5 attempts (4 retries),
    /// waits rand(0, 1) × 2^(n−1) s, no cap; retries HTTP 429, so
    /// `ModelNotReady` too.
    Boto3Legacy,
    /// botocore's standard mode: 3 attempts (2 retries), waits
    /// rand(0, 1) × min(2^(n−1), 20) s; `ModelNotReady` is not retried.
    Boto3Standard,
}

impl ClientSpec {
    /// (retries, backoff ms, cap ms, jitter, retry ModelNotReady) in
    /// effect: the preset's, or the keys' with their defaults.
    pub fn effective(&self) -> (u32, f64, Option<f64>, bool, bool) {
        match self.preset {
            Some(ClientPreset::Boto3Legacy) => (4, 1000.0, None, true, true),
            Some(ClientPreset::Boto3Standard) => (2, 1000.0, Some(20_000.0), true, false),
            None => (
                self.retries.unwrap_or(0),
                self.backoff_ms.unwrap_or(100.0),
                self.max_backoff_ms,
                self.jitter.unwrap_or(false),
                self.retry_model_not_ready.unwrap_or(false),
            ),
        }
    }
}

/// Availability zones: a count (named `zone-a`, `zone-b`, …) or names.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged, expecting = "expected a number of zones (1, 2, …) or a list of zone names [\"a\", \"b\"]")]
pub enum Zones {
    /// This many zones.
    Count(u32),
    /// These zones.
    Names(Vec<String>),
}

impl Default for Zones {
    fn default() -> Self {
        Zones::Count(1)
    }
}

impl Zones {
    /// The zone names.
    pub fn names(&self) -> Vec<String> {
        match self {
            Zones::Names(v) => v.clone(),
            Zones::Count(n) => (0..*n)
                .map(|i| {
                    let mut s = String::new();
                    let mut k = i;
                    loop {
                        s.insert(0, (b'a' + (k % 26) as u8) as char);
                        if k < 26 {
                            break;
                        }
                        k = k / 26 - 1;
                    }
                    format!("zone-{s}")
                })
                .collect(),
        }
    }
}

fn d_type() -> String {
    "ml.m5.xlarge".into()
}
fn d_one() -> u32 {
    1
}
fn d_queue() -> u32 {
    1000
}
fn d_timeout() -> f64 {
    60.0
}
fn d_download_overhead() -> f64 {
    50.0
}
fn d_launch() -> f64 {
    300.0
}

/// The `[cluster]` table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSpec {
    /// Instance type, from the catalog or `[[instance_types]]`. Default
    /// `ml.m5.xlarge`.
    #[serde(default = "d_type")]
    pub instance_type: String,
    /// Instances at the start. Default 1.
    #[serde(default = "d_one")]
    pub instances: u32,
    /// Availability zones (count or names). Default 1.
    #[serde(default)]
    pub zones: Zones,
    /// Concurrent downloads per instance. Default: the type's vCPUs.
    #[serde(default)]
    pub max_concurrent_downloads: Option<u32>,
    /// Concurrent loads per instance. Default: the type's vCPUs.
    #[serde(default)]
    pub max_concurrent_loads: Option<u32>,
    /// Requests that may wait at one instance; beyond, they are throttled.
    /// Default 1000.
    #[serde(default = "d_queue")]
    pub queue_limit: u32,
    /// Inference slots per request. Default 1.
    #[serde(default = "d_one")]
    pub cpu_per_request: u32,
    /// A request not started within this many seconds fails. Default 60
    /// (SageMaker's invocation timeout).
    #[serde(default = "d_timeout")]
    pub request_timeout_s: f64,
    /// Fixed time added to each download, ms. Default 50.
    #[serde(default = "d_download_overhead")]
    pub download_overhead_ms: f64,
    /// Seconds from launching an instance to its taking traffic. Default
    /// 300.
    #[serde(default = "d_launch")]
    pub launch_delay_s: f64,
    /// Replace failed instances with empty ones. Default true.
    #[serde(default = "d_true")]
    pub replace_failed: bool,
    /// Seconds from a failure to its replacement taking traffic. Default
    /// 300.
    #[serde(default = "d_launch")]
    pub replacement_delay_s: f64,
    /// Which instance a scale-in drains: `newest` (default),
    /// `fewest-loaded` or `fewest-outstanding`.
    #[serde(default)]
    pub scale_in_pick: ScaleInPick,
    /// Fixed time each request spends outside the model (front end,
    /// container HTTP layer), ms: part of `OverheadLatency`. Default 0.
    #[serde(default)]
    pub request_overhead_ms: f64,
    /// SageMaker's `ModelCacheSetting`: `enabled` (default) or `disabled`
    /// (unload and delete a model once no request uses it).
    #[serde(default)]
    pub model_cache: ModelCacheSetting,
    /// The serving container's memory per loaded model beyond its
    /// footprint, MiB, for whatever instance type runs (overrides the
    /// type's `model_overhead_mib`).
    #[serde(default)]
    pub model_overhead_mib: Option<f64>,
    /// Share of RAM in use at which the container unloads models, in
    /// (0, 1], for whatever instance type runs (overrides the type's).
    #[serde(default)]
    pub memory_watermark: Option<f64>,
    /// GPU memory the serving container's backend takes for its CUDA
    /// context, MiB (GPU types). Default 776.
    #[serde(default = "d_gpu_context")]
    pub gpu_context_mib: f64,
    /// Dynamic batching on GPU types (`{ max_batch = 16, marginal = 0.2 }`).
    /// Default none.
    #[serde(default)]
    pub batching: Option<BatchingSpec>,
}

/// `batching = { max_batch = 16, marginal = 0.2 }`: see
/// [`mmesim_core::Batching`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchingSpec {
    /// The most requests in a batch (Triton's `max_batch_size`), 1 … 1024.
    pub max_batch: u32,
    /// What each request beyond the first adds to the batch's time, as a
    /// share of one request's, 0 … 1000.
    pub marginal: f64,
}

fn d_gpu_context() -> f64 {
    776.0
}

fn d_true() -> bool {
    true
}

impl Default for ClusterSpec {
    fn default() -> Self {
        ClusterSpec {
            instance_type: d_type(),
            instances: 1,
            zones: Zones::default(),
            max_concurrent_downloads: None,
            max_concurrent_loads: None,
            queue_limit: d_queue(),
            cpu_per_request: 1,
            request_timeout_s: d_timeout(),
            download_overhead_ms: d_download_overhead(),
            launch_delay_s: d_launch(),
            replace_failed: true,
            replacement_delay_s: d_launch(),
            scale_in_pick: ScaleInPick::Newest,
            request_overhead_ms: 0.0,
            model_cache: ModelCacheSetting::Enabled,
            model_overhead_mib: None,
            memory_watermark: None,
            gpu_context_mib: d_gpu_context(),
            batching: None,
        }
    }
}

/// An `[[instance_types]]` entry. With the name of a catalog type, only
/// the fields given override it; a new name must give `vcpus`,
/// `memory_gib` and `price_per_hour` (the rest default: no reserved
/// memory, no GPU, a 100 GiB EBS volume at 250 MB/s, 200 MB/s downloads
/// and network with no per-download limit, 87.5 MB/s per S3 connection).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceTypeSpec {
    /// Type name.
    pub name: String,
    /// vCPUs.
    pub vcpus: Option<u32>,
    /// RAM, GiB.
    pub memory_gib: Option<f64>,
    /// RAM reserved for the OS and container, GiB.
    pub reserved_memory_gib: Option<f64>,
    /// The container's RAM per loaded model beyond its footprint, MiB.
    pub model_overhead_mib: Option<f64>,
    /// Share of RAM in use at which the container unloads, in (0, 1].
    pub memory_watermark: Option<f64>,
    /// Speed of a vCPU relative to the reference (service times are
    /// divided by it).
    pub cpu_speed: Option<f64>,
    /// Network bandwidth for payloads, MB/s (10^6 bytes): the baseline.
    pub network_mb_per_s: Option<f64>,
    /// Burst ("up to") network bandwidth, MB/s (10^6 bytes);
    /// informational.
    pub network_burst_mb_per_s: Option<f64>,
    /// Most one S3 connection of a download moves, MB/s (10^6 bytes).
    pub s3_stream_mb_per_s: Option<f64>,
    /// S3 connections one download uses (0: no per-download limit).
    pub download_streams: Option<u32>,
    /// A GPU.
    pub gpu: Option<GpuSpec>,
    /// The disk tier.
    pub storage: Option<StorageSpec>,
    /// Download bandwidth from the model store, MB/s (10^6 bytes).
    pub download_mb_per_s: Option<f64>,
    /// Hourly price, USD.
    pub price_per_hour: Option<f64>,
}

/// `gpu = { memory_gib = 24.0, slots = 4 }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuSpec {
    /// GPUs. Default 1.
    #[serde(default = "d_one")]
    pub count: u32,
    /// GPU memory (all GPUs), GiB: the memory tier.
    pub memory_gib: f64,
    /// Concurrent inferences: the inference slots.
    pub slots: u32,
}

/// `storage = { kind = "ebs", size_gib = 100.0, read_mb_per_s = 250.0 }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageSpec {
    /// `ebs` or `nvme`.
    pub kind: StorageKind,
    /// Capacity, GiB.
    pub size_gib: f64,
    /// Read throughput, MB/s (10^6 bytes): drives load time.
    pub read_mb_per_s: f64,
}

/// The `[workload]` table.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSpec {
    /// Arrival process. Default Poisson, 100/s. `process = "closed"`:
    /// closed-loop users (a load test), see [`ArrivalProcess::Closed`].
    #[serde(default)]
    pub arrival: ArrivalProcess,
    /// Popularity over the models. Default Zipf, α = 0.8.
    #[serde(default)]
    pub popularity: Popularity,
    /// Popularity drift (which model holds which rank changes every
    /// period). Default none.
    #[serde(default)]
    pub drift: Option<Drift>,
    /// Real traffic instead of `arrival` and `popularity`: a request trace
    /// (`{ format = "csv" | "azure-functions-2019" | "oracle-general", … }`,
    /// see [`crate::trace`]). Default none.
    #[serde(default)]
    pub trace: Option<TraceSpec>,
}

/// The `[eviction]` table.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvictionSpec {
    /// Memory tier (loaded models): a name or a table with parameters.
    /// Default `lru`.
    #[serde(default, deserialize_with = "strict_eviction")]
    pub memory: EvictionPolicy,
    /// Disk tier (artifacts). Default `lru`.
    #[serde(default, deserialize_with = "strict_eviction")]
    pub disk: EvictionPolicy,
}

/// Reads a policy given as a bare name (`"gdsf"`) or as a table
/// (`{ policy = "lruk", k = 3 }`), rejecting any key the named policy does
/// not take (a typo in a parameter must not pass in silence).
///
/// The table goes through a `toml::Value`, which keeps every TOML value as
/// it is (a JSON value would turn `nan` into null, and the error would be
/// about the table, not the field); an error inside it names the key
/// (`` `steps[0].above`: … ``).
fn strict_policy<'de, D, T>(
    d: D,
    params: fn(&str) -> Option<&'static [&'static str]>,
    names: &[&str],
) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::de::Error as _;
    let v = toml::Value::deserialize(d)?;
    let v = match v {
        toml::Value::String(name) => {
            if params(&name).is_none() {
                return Err(D::Error::custom(format!("unknown policy `{name}`; known: {}", names.join(", "))));
            }
            let mut t = toml::Table::new();
            t.insert("policy".into(), toml::Value::String(name));
            toml::Value::Table(t)
        }
        toml::Value::Table(obj) => {
            if let Some(name) = obj.get("policy").and_then(|p| p.as_str()) {
                if params(name).is_none() {
                    return Err(D::Error::custom(format!(
                        "`policy`: unknown policy `{name}`; known: {}",
                        names.join(", ")
                    )));
                }
                if let Some(allowed) = params(name) {
                    if let Some(k) = obj.keys().find(|k| *k != "policy" && !allowed.contains(&k.as_str())) {
                        let expected = if allowed.is_empty() {
                            "it takes no parameter".to_string()
                        } else {
                            format!(
                                "it takes {}",
                                allowed.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")
                            )
                        };
                        return Err(D::Error::custom(format!("unknown field `{k}` for policy `{name}`: {expected}")));
                    }
                }
            }
            toml::Value::Table(obj)
        }
        other => return Err(D::Error::custom(format!("expected a policy name or a table, found {other}"))),
    };
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = inner.message().trim().to_string();
        if path.is_empty() || path == "." {
            D::Error::custom(message)
        } else {
            D::Error::custom(format!("`{path}`: {message}"))
        }
    })
}

fn strict_eviction<'de, D: serde::Deserializer<'de>>(d: D) -> Result<EvictionPolicy, D::Error> {
    strict_policy(d, EvictionPolicy::param_names, EvictionPolicy::NAMES)
}

fn strict_routing<'de, D: serde::Deserializer<'de>>(d: D) -> Result<RoutingPolicy, D::Error> {
    strict_policy(d, RoutingPolicy::param_names, RoutingPolicy::NAMES)
}

fn strict_autoscaling<'de, D: serde::Deserializer<'de>>(d: D) -> Result<AutoscalingPolicy, D::Error> {
    strict_policy(d, AutoscalingPolicy::param_names, AutoscalingPolicy::NAMES)
}

/// Switches for a run that are not part of the scenario.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Record every download, load, unload and request outcome.
    pub record_trace: bool,
    /// Check invariants after every event (slow).
    pub check_invariants: bool,
    /// Keep CloudWatch-style per-minute rows per instance, zone and
    /// endpoint (`mmesim run --metrics`).
    pub record_metrics: bool,
}

/// Longest time any duration may take, seconds (~31.7 years; SimTime
/// reaches 584 years, so sums of such spans stay representable).
pub const MAX_SECONDS: f64 = 1e9;
/// Shortest `duration_s`, seconds: a shorter run is empty at any realistic
/// rate (and below a nanosecond it has no time at all), yet would report
/// success.
pub const MIN_DURATION_S: f64 = 1e-3;
/// Most instances a scenario may start with.
pub const MAX_INSTANCES: u32 = 100_000;
/// Instances × the models one instance can hold at once
/// ([`models_held_at_once`]): an instance keeps state only for the models
/// it has to do with (issue 15), so this binds only for fleets of huge
/// disks full of tiny models (see also [`MAX_MODEL_STATE_BYTES`], which
/// usually binds first: 2^24 slots at the lightest policies' 256 bytes each, 208
/// for the core and 24 for each tier's evictor, is 4.3 GB).
pub const MAX_INSTANCE_MODEL_SLOTS: u64 = 1 << 24;
/// The most memory the per-(instance, model) state of a run may take at
/// worst, bytes (4 GiB): instances (the most in service at once: the
/// initial ones or the autoscaler's maximum) × the models one instance can
/// hold at once ([`models_held_at_once`]) × (the core's
/// [`CORE_BYTES_PER_SLOT`] + what each tier's evictor keeps per model,
/// [`eviction_bytes_per_model`]). Checked before the run; the state grows
/// as models are loaded, so without the check a run could abort on
/// allocation hours in.
pub const MAX_MODEL_STATE_BYTES: u64 = 4 << 30;
/// The core's state per (instance, model) the instance holds, bytes, at
/// worst: the model's residency in its slot (one 64-byte line), the
/// slot's entry in the instance's hash index, its links in the recency
/// list, its entry in the routing view's copies, with vector and table
/// growth (with `lru` on both tiers, evictors included, measured at 253
/// bytes per slot by `tests/state_bytes.rs`, 237 with the 56-byte
/// residency before; 116 + 48 before issue 15's sparse slots).
pub const CORE_BYTES_PER_SLOT: u64 = 208;

// The endpoint's capacities summed over the instances fit in u64 bytes.
const _: () = assert!(MAX_INSTANCES as u128 * mmesim_core::MAX_INSTANCE_BYTES as u128 <= u64::MAX as u128);

/// The most bytes an evictor of `policy` keeps per model it has held, at
/// worst (vector growth included; measured by `tests/state_bytes.rs`,
/// which checks that these bound what each policy allocates). `lruk`
/// keeps `k` access times per model.
pub fn eviction_bytes_per_model(policy: &EvictionPolicy) -> u64 {
    match *policy {
        EvictionPolicy::Lru | EvictionPolicy::Fifo | EvictionPolicy::Random => 24,
        EvictionPolicy::Sieve => 32,
        EvictionPolicy::Ttl { .. } => 40,
        EvictionPolicy::S3Fifo { .. } | EvictionPolicy::Arc | EvictionPolicy::Belady { .. } => 64,
        EvictionPolicy::Lfu | EvictionPolicy::Lfuda => 128,
        EvictionPolicy::Gds | EvictionPolicy::Gdsf => 160,
        EvictionPolicy::LruK { k } => 128 + 16 * k as u64,
        // A policy added later: a generous guess until it is measured.
        _ => 256,
    }
}

/// About the most models one instance of type `ty` has to do with at once,
/// which bounds its per-model state (issue 15): the artifacts its disk
/// holds (every model in memory is on disk too), as many again remembered
/// by the disk tier's evictor and as many as the memory tier holds
/// remembered by the memory tier's (ghosts are bounded by their tier's
/// capacity), and one per request its queue can hold; at most all the
/// models. Tiers are counted full of models of the population's mean
/// sizes, so this is an estimate, like the evictors' bytes: a disk holding
/// only the smallest models, or a long backlog of downloads whose waiters
/// all timed out (their models stay queued), can pass it.
pub fn models_held_at_once(models: &mmesim_core::Models, ty: &mmesim_core::InstanceType, queue_limit: u32) -> u64 {
    let n = models.len() as u64;
    let fit = |cap: u64, total: u128| match total {
        0 => n,
        t => (cap as u128 * n as u128 / t).min(n as u128) as u64,
    };
    // One pass over the sizes, making no spec.
    let (artifacts, memory) = (0..models.len())
        .map(|i| models.sizes(i))
        .fold((0u128, 0u128), |(a, m), (mem, art)| (a + art.0 as u128, m + mem.0 as u128));
    let on_disk = fit(ty.storage.size.0, artifacts);
    let in_memory = fit(ty.model_memory().0, memory);
    on_disk.saturating_mul(2).saturating_add(in_memory).saturating_add(queue_limit as u64).min(n)
}

/// A setting that is legal but surely a mistake, reported on stderr by
/// the CLI (`warning: FILE: field: message`); see [`Scenario::warnings`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// The dotted path of the field, e.g. `autoscaling.metric`.
    pub field: String,
    /// What is wrong, in one line.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

fn finite_nonneg(v: f64) -> bool {
    v.is_finite() && v >= 0.0
}

impl Scenario {
    /// Parses a scenario from TOML text; `origin` names it in errors
    /// (a file name). Validates it.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Scenario, Error> {
        let de = toml::Deserializer::new(text);
        let mut s: Scenario = serde_path_to_error::deserialize(de).map_err(|e| from_toml(origin, text, e))?;
        s.source = toml::from_str(text).ok();
        s.origin = Some(origin.to_string());
        s.validate(origin)?;
        Ok(s)
    }

    /// This scenario with fields overridden by dotted path (the paths
    /// sweeps use: `cluster.instances`, `workload.arrival.users`), checked
    /// again. Needs a scenario read from TOML.
    pub fn with_overrides(&self, set: &BTreeMap<String, toml::Value>, origin: &str) -> Result<Scenario, Error> {
        let Some(mut t) = self.source.clone() else {
            return Err(Error::invalid_in(origin, "overrides need a scenario read from TOML".to_string()));
        };
        for (path, v) in set {
            crate::sweep::set_path(&mut t, path, v.clone()).map_err(|m| Error::invalid(origin, path, m))?;
        }
        let mut s = crate::sweep::scenario_of(&t, &self.base_dir).map_err(|m| Error::invalid_in(origin, m))?;
        s.source = Some(t);
        s.origin = Some(origin.to_string());
        Ok(s)
    }

    /// Reads, parses and validates a scenario file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Scenario, Error> {
        let path = path.as_ref();
        let text = crate::error::read_text(path)?;
        let de = toml::Deserializer::new(&text);
        let origin = path.display().to_string();
        let mut s: Scenario = serde_path_to_error::deserialize(de).map_err(|e| from_toml(&origin, &text, e))?;
        s.base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        s.source = toml::from_str(&text).ok();
        s.validate(&origin)?;
        s.origin = Some(origin);
        Ok(s)
    }

    /// Reads a scenario file with fields overridden by dotted path
    /// (`mmesim run s.toml --set cluster.instances=8`, see
    /// [`crate::overrides`]), then parses and validates the result as
    /// [`from_file`](Scenario::from_file) does; relative paths stay
    /// relative to the file. An error the overrides cause names the `--set`
    /// argument; an error of the file alone is reported as the file's.
    pub fn from_file_with_overrides(
        path: impl AsRef<Path>,
        overrides: &[crate::overrides::Override],
    ) -> Result<Scenario, Error> {
        let path = path.as_ref();
        if overrides.is_empty() {
            return Scenario::from_file(path);
        }
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let origin = path.display().to_string();
        let mut table: toml::Table =
            toml::from_str(&text).map_err(|e| crate::error::toml_error(&origin, &text, "", &e))?;
        for o in overrides {
            o.apply(&mut table)?;
        }
        // Says which `--set` an error comes from, or that it came with them.
        let blame = |e: Error| -> Error {
            let culprit = e.field().and_then(|f| overrides.iter().rev().find(|o| o.concerns(f)));
            if culprit.is_none() {
                // The same fault in the file alone is the file's, with its
                // line.
                match Scenario::from_file(path) {
                    Err(own) if own.field() == e.field() => return own,
                    _ => {}
                }
            }
            let why = match culprit {
                Some(o) => format!("(from --set `{}`)", o.arg),
                None => format!("(with {})", crate::overrides::describe(overrides)),
            };
            Error::with_kind(e.kind().clone(), format!("{} {why}", e.message())).with_source(e)
        };
        let mut s: Scenario = serde_path_to_error::deserialize(toml::Value::Table(table.clone())).map_err(|e| {
            let field = e.path().to_string();
            blame(crate::error::toml_error(&origin, "", &field, e.inner()))
        })?;
        s.base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        s.source = Some(table);
        s.validate(&origin).map_err(blame)?;
        s.origin = Some(origin);
        Ok(s)
    }

    /// Parses and validates a scenario given as a TOML table (built in
    /// memory: a Python dict, say); `origin` names it in errors. Relative
    /// paths in it (a trace file) are relative to the working directory.
    /// Overrides ([`with_overrides`](Scenario::with_overrides)) work on it
    /// as on a file's.
    pub fn from_table(table: toml::Table, origin: &str) -> Result<Scenario, Error> {
        let mut s: Scenario = serde_path_to_error::deserialize(toml::Value::Table(table.clone())).map_err(|e| {
            let field = e.path().to_string();
            crate::error::toml_error(origin, "", &field, e.inner())
        })?;
        s.source = Some(table);
        s.validate(origin)?;
        s.origin = Some(origin.to_string());
        Ok(s)
    }

    /// The scenario's TOML as read (its file's text as a table, with any
    /// overrides applied; defaults are not filled in), if it was read from
    /// TOML or built from a table: with [`from_table`](Scenario::from_table)
    /// and [`set_base_dir`](Scenario::set_base_dir) it rebuilds the same
    /// scenario elsewhere (another process: the Python package pickles
    /// scenarios this way).
    pub fn source_toml(&self) -> Option<String> {
        self.source.as_ref().and_then(|t| toml::to_string(t).ok())
    }

    /// What errors met while running this scenario name: the file it was
    /// read from, or (built another way) its `name`.
    pub fn origin(&self) -> &str {
        self.origin.as_deref().unwrap_or(&self.name)
    }

    /// Where relative paths in the scenario (trace files) are looked up.
    pub fn base_dir(&self) -> &Path {
        &self.base_dir
    }

    /// Sets where relative paths in the scenario are looked up (set by
    /// [`from_file`](Scenario::from_file) to the file's directory).
    pub fn set_base_dir(&mut self, dir: impl Into<PathBuf>) {
        self.base_dir = dir.into();
    }

    /// The catalog: built-in types with this scenario's additions and
    /// overrides.
    pub fn catalog(&self, origin: &str) -> Result<Catalog, Error> {
        let mut cat = Catalog::builtin();
        for (i, t) in self.instance_types.iter().enumerate() {
            let field = |f: &str| format!("instance_types[{i}].{f}");
            let base = cat.get(&t.name).cloned();
            let need = |v: Option<f64>, f: &str| -> Result<f64, Error> {
                v.ok_or_else(|| {
                    Error::invalid(
                        origin,
                        &field(f),
                        format!("required for `{}`, which is not in the built-in catalog", t.name),
                    )
                })
            };
            let mut ty = match base {
                Some(b) => b,
                None => InstanceType {
                    name: t.name.clone(),
                    vcpus: t.vcpus.ok_or_else(|| {
                        Error::invalid(
                            origin,
                            &field("vcpus"),
                            format!("required for `{}`, which is not in the built-in catalog", t.name),
                        )
                    })?,
                    cpu_speed: 1.0,
                    memory: Bytes::from_gib(need(t.memory_gib, "memory_gib")?),
                    reserved_memory: Bytes::ZERO,
                    model_overhead: Bytes::ZERO,
                    memory_watermark: 1.0,
                    gpu: None,
                    storage: Storage { kind: StorageKind::Ebs, size: Bytes::from_gib(100.0), read_bytes_per_s: 250e6 },
                    download_bytes_per_s: 200e6,
                    s3_stream_bytes_per_s: mmesim_core::S3_STREAM_BYTES_PER_S,
                    // No per-download limit unless given.
                    download_streams: 0,
                    network_bytes_per_s: 200e6,
                    network_burst_bytes_per_s: 200e6,
                    price_per_hour: need(t.price_per_hour, "price_per_hour")?,
                },
            };
            let num = |v: f64, f: &str, pos: bool| -> Result<f64, Error> {
                if v.is_finite() && (v > 0.0 || (!pos && v == 0.0)) {
                    Ok(v)
                } else {
                    Err(Error::invalid(
                        origin,
                        &field(f),
                        format!("must be a {} number, got {v}", if pos { "positive" } else { "non-negative" }),
                    ))
                }
            };
            if let Some(v) = t.vcpus {
                ty.vcpus = v;
            }
            if let Some(v) = t.memory_gib {
                ty.memory = Bytes::from_gib(num(v, "memory_gib", true)?);
            }
            if let Some(v) = t.reserved_memory_gib {
                ty.reserved_memory = Bytes::from_gib(num(v, "reserved_memory_gib", false)?);
            }
            if let Some(v) = t.model_overhead_mib {
                ty.model_overhead = Bytes::from_mib(num(v, "model_overhead_mib", false)?);
            }
            if let Some(v) = t.memory_watermark {
                ty.memory_watermark = num(v, "memory_watermark", true)?;
            }
            if let Some(v) = t.cpu_speed {
                ty.cpu_speed = num(v, "cpu_speed", true)?;
            }
            if let Some(v) = t.network_mb_per_s {
                ty.network_bytes_per_s = num(v, "network_mb_per_s", true)? * 1e6;
            }
            if let Some(v) = t.network_burst_mb_per_s {
                ty.network_burst_bytes_per_s = num(v, "network_burst_mb_per_s", true)? * 1e6;
            }
            if let Some(v) = t.s3_stream_mb_per_s {
                ty.s3_stream_bytes_per_s = num(v, "s3_stream_mb_per_s", true)? * 1e6;
            }
            if let Some(v) = t.download_streams {
                ty.download_streams = v;
            }
            if let Some(g) = &t.gpu {
                ty.gpu = Some(Gpu {
                    count: g.count,
                    memory: Bytes::from_gib(num(g.memory_gib, "gpu.memory_gib", true)?),
                    slots: g.slots,
                });
            }
            if let Some(s) = &t.storage {
                ty.storage = Storage {
                    kind: s.kind,
                    size: Bytes::from_gib(num(s.size_gib, "storage.size_gib", true)?),
                    read_bytes_per_s: num(s.read_mb_per_s, "storage.read_mb_per_s", true)? * 1e6,
                };
            }
            if let Some(v) = t.download_mb_per_s {
                ty.download_bytes_per_s = num(v, "download_mb_per_s", true)? * 1e6;
            }
            if let Some(v) = t.price_per_hour {
                ty.price_per_hour = num(v, "price_per_hour", false)?;
            }
            ty.validate().map_err(|e| {
                let path = match e.field() {
                    Some(f) => format!("instance_types[{i}].{f}"),
                    None => format!("instance_types[{i}]"),
                };
                let message = format!("`instance_types[{i}]` (`{}`): {e}", t.name);
                Error::with_kind(ErrorKind::Invalid { file: origin.into(), field: Some(path) }, message).with_source(e)
            })?;
            cat.insert(ty);
        }
        // The container's settings in `[cluster]` apply to every type.
        let c = &self.cluster;
        if c.model_overhead_mib.is_some() || c.memory_watermark.is_some() {
            if let Some(v) = c.model_overhead_mib {
                if !(v.is_finite() && (0.0..=mmesim_workload::MAX_MIB).contains(&v)) {
                    return Err(Error::invalid(
                        origin,
                        "cluster.model_overhead_mib",
                        format!("must be a non-negative number of MiB, got {v}"),
                    ));
                }
            }
            if let Some(v) = c.memory_watermark {
                if !(v.is_finite() && v > 0.0 && v <= 1.0) {
                    return Err(Error::invalid(
                        origin,
                        "cluster.memory_watermark",
                        format!("must be in (0, 1], got {v}"),
                    ));
                }
            }
            let all: Vec<InstanceType> = cat.iter().cloned().collect();
            for mut ty in all {
                if let Some(v) = c.model_overhead_mib {
                    ty.model_overhead = Bytes::from_mib(v);
                }
                if let Some(v) = c.memory_watermark {
                    ty.memory_watermark = v;
                }
                // A type this leaves without room is refused when it runs.
                cat.insert(ty);
            }
        }
        Ok(cat)
    }

    /// Checks every field; the error names the file and the field.
    pub fn validate(&self, origin: &str) -> Result<(), Error> {
        let inv = |field: &str, msg: String| Err(Error::invalid(origin, field, msg));
        if !(self.duration_s.is_finite() && self.duration_s > 0.0 && self.duration_s <= MAX_SECONDS) {
            return inv(
                "duration_s",
                format!("must be a positive number of seconds up to {MAX_SECONDS:e}, got {}", self.duration_s),
            );
        }
        if self.duration_s < MIN_DURATION_S {
            return inv(
                "duration_s",
                format!(
                    "must be at least {MIN_DURATION_S} s (a shorter run holds no request), got {}",
                    self.duration_s
                ),
            );
        }
        if !finite_nonneg(self.warmup_s) || self.warmup_s >= self.duration_s {
            return inv(
                "warmup_s",
                format!("must be ≥ 0 and less than duration_s ({}), got {}", self.duration_s, self.warmup_s),
            );
        }
        let c = &self.cluster;
        let cat = self.catalog(origin)?;
        let Some(ty) = cat.get(&c.instance_type) else {
            let known: Vec<&str> = cat.names().collect();
            return inv(
                "cluster.instance_type",
                format!("unknown instance type `{}`; known: {}", c.instance_type, known.join(", ")),
            );
        };
        ty.validate().map_err(|e| {
            let message = format!("instance type `{}`: {e}", ty.name);
            Error::with_kind(
                ErrorKind::Invalid {
                    file: origin.into(),
                    field: Some(format!("cluster.{}", e.field().unwrap_or("instance_type"))),
                },
                message,
            )
            .with_source(e)
        })?;
        if !finite_nonneg(c.gpu_context_mib) || c.gpu_context_mib > mmesim_workload::MAX_MIB {
            return inv(
                "cluster.gpu_context_mib",
                format!("must be a non-negative number of MiB, got {}", c.gpu_context_mib),
            );
        }
        if let Some(g) = ty.gpu {
            if Bytes::from_mib(c.gpu_context_mib) >= g.memory {
                return inv(
                    "cluster.gpu_context_mib",
                    format!("leaves no GPU memory for models on `{}` ({:.0} MiB)", ty.name, g.memory.as_mib()),
                );
            }
        }
        if let Some(b) = c.batching {
            if !(1..=1024).contains(&b.max_batch) {
                return inv("cluster.batching.max_batch", format!("must be between 1 and 1024, got {}", b.max_batch));
            }
            if !(b.marginal.is_finite() && (0.0..=1000.0).contains(&b.marginal)) {
                return inv("cluster.batching.marginal", format!("must be between 0 and 1000, got {}", b.marginal));
            }
        }
        if !finite_nonneg(c.request_overhead_ms) || c.request_overhead_ms > MAX_SECONDS * 1e3 {
            return inv(
                "cluster.request_overhead_ms",
                format!("must be a non-negative number, got {}", c.request_overhead_ms),
            );
        }
        if c.instances == 0 || c.instances > MAX_INSTANCES {
            return inv("cluster.instances", format!("must be between 1 and {MAX_INSTANCES}, got {}", c.instances));
        }
        let n_models =
            if self.models.list.is_empty() { self.models.count as u64 } else { self.models.list.len() as u64 };
        // The per-instance model state is checked when the models' sizes
        // are known (`sim_config_with`): an instance holds only the models
        // its disk has room for.
        // The core numbers zones with a u16; check before naming them all.
        let n_zones = match &c.zones {
            Zones::Count(n) => *n as usize,
            Zones::Names(v) => v.len(),
        };
        if n_zones > u16::MAX as usize {
            return inv("cluster.zones", format!("at most {} zones are supported, got {n_zones}", u16::MAX));
        }
        let zones = c.zones.names();
        if zones.is_empty() {
            return inv("cluster.zones", "at least one zone is needed".into());
        }
        if let Some(i) = zones.iter().position(|z| z.trim().is_empty()) {
            return inv(&format!("cluster.zones[{i}]"), format!("a zone name must not be empty, got {:?}", zones[i]));
        }
        let mut sorted = zones.clone();
        sorted.sort();
        if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return inv("cluster.zones", format!("zone `{}` is listed twice", w[0]));
        }
        if c.queue_limit == 0 {
            return inv("cluster.queue_limit", "must be at least 1 (a miss always waits for its model)".into());
        }
        if c.max_concurrent_downloads == Some(0) {
            return inv("cluster.max_concurrent_downloads", "must be at least 1".into());
        }
        if c.max_concurrent_loads == Some(0) {
            return inv("cluster.max_concurrent_loads", "must be at least 1".into());
        }
        if c.cpu_per_request == 0 || c.cpu_per_request > ty.slots() {
            return inv(
                "cluster.cpu_per_request",
                format!(
                    "must be between 1 and the {} inference slots of `{}`, got {}",
                    ty.slots(),
                    ty.name,
                    c.cpu_per_request
                ),
            );
        }
        if !(c.request_timeout_s.is_finite() && c.request_timeout_s > 0.0 && c.request_timeout_s <= MAX_SECONDS) {
            return inv(
                "cluster.request_timeout_s",
                format!("must be a positive number up to {MAX_SECONDS:e}, got {}", c.request_timeout_s),
            );
        }
        if !finite_nonneg(c.download_overhead_ms) || c.download_overhead_ms > MAX_SECONDS * 1e3 {
            return inv(
                "cluster.download_overhead_ms",
                format!("must be a non-negative number, got {}", c.download_overhead_ms),
            );
        }
        if !finite_nonneg(c.replacement_delay_s) || c.replacement_delay_s > MAX_SECONDS {
            return inv(
                "cluster.replacement_delay_s",
                format!("must be a non-negative number of seconds, got {}", c.replacement_delay_s),
            );
        }
        let cl = &self.client;
        if cl.preset.is_some() {
            for (key, given) in [
                ("retries", cl.retries.is_some()),
                ("backoff_ms", cl.backoff_ms.is_some()),
                ("max_backoff_ms", cl.max_backoff_ms.is_some()),
                ("jitter", cl.jitter.is_some()),
                ("retry_model_not_ready", cl.retry_model_not_ready.is_some()),
            ] {
                if given {
                    return inv(&format!("client.{key}"), "is set by `client.preset`; give one or the other".into());
                }
            }
        }
        let (retries, backoff_ms, max_backoff_ms, _, _) = cl.effective();
        if !finite_nonneg(backoff_ms) || backoff_ms > MAX_SECONDS * 1e3 {
            return inv("client.backoff_ms", format!("must be a non-negative number, got {backoff_ms}"));
        }
        if let Some(m) = max_backoff_ms {
            if !finite_nonneg(m) || m > MAX_SECONDS * 1e3 {
                return inv("client.max_backoff_ms", format!("must be a non-negative number, got {m}"));
            }
        }
        if retries > 20 {
            return inv("client.retries", format!("must be at most 20, got {retries}"));
        }
        self.faults(origin)?;
        if !finite_nonneg(c.launch_delay_s) || c.launch_delay_s > MAX_SECONDS {
            return inv("cluster.launch_delay_s", format!("must be a non-negative number, got {}", c.launch_delay_s));
        }
        self.models.validate().map_err(|e| Error::invalid(origin, "models", e))?;
        self.workload.arrival.validate().map_err(|e| Error::invalid(origin, "workload.arrival", e))?;
        self.workload.popularity.validate().map_err(|e| Error::invalid(origin, "workload.popularity", e))?;
        for (field, p) in [("eviction.memory", &self.eviction.memory), ("eviction.disk", &self.eviction.disk)] {
            p.validate().map_err(|e| Error::config(origin, field, e))?;
            if p.is_offline() {
                return Err(Error::invalid(
                    origin,
                    field,
                    format!(
                        "`{}` needs to know the future; it is available in trace replay (`mmesim cache`)",
                        p.name()
                    ),
                ));
            }
        }
        if let Some(d) = &self.workload.drift {
            d.validate_for(n_models).map_err(|e| Error::invalid(origin, "workload.drift", e))?;
        }
        if let Some(t) = &self.workload.trace {
            t.validate().map_err(|e| Error::invalid(origin, "workload.trace", e))?;
            if self.workload.arrival.is_closed() {
                return inv(
                    "workload.trace",
                    "a trace brings its own arrival times; it cannot be combined with closed-loop users \
                     (`workload.arrival` with `process = \"closed\"`)"
                        .into(),
                );
            }
            if self.workload.drift.is_some() {
                return inv("workload.drift", "applies to generated traffic, not to a `trace`".into());
            }
            if !self.models.list.is_empty() && !matches!(t, TraceSpec::Csv { .. }) {
                return inv(
                    "models.list",
                    "a `csv` trace may name listed models; this trace format brings its own models".into(),
                );
            }
        }
        self.autoscaling.validate().map_err(|e| Error::config(origin, "autoscaling", e))?;
        if let Some((lo, hi)) = self.autoscaling.bounds() {
            if !(lo..=hi).contains(&self.cluster.instances) {
                return inv(
                    "cluster.instances",
                    format!("{} is outside the autoscaling bounds [{lo}, {hi}]", self.cluster.instances),
                );
            }
        }
        self.routing.validate().map_err(|e| Error::config(origin, "routing", e))?;
        Ok(())
    }

    /// The most instances in service at once: the initial ones, or the
    /// autoscaler's maximum.
    fn peak_instances(&self) -> u64 {
        let hi = self.autoscaling.bounds().map_or(0, |(_, hi)| hi);
        self.cluster.instances.max(hi) as u64
    }

    /// The per-(instance, model) state this endpoint may need at worst,
    /// bytes: the most instances in service at once (`cluster.instances`,
    /// or the autoscaler's maximum if larger) × `n_models` × (the core's
    /// [`CORE_BYTES_PER_SLOT`] + both tiers' [`eviction_bytes_per_model`]).
    /// Saturates.
    pub fn model_state_bytes(&self, n_models: u64) -> u64 {
        let per_slot = CORE_BYTES_PER_SLOT
            + eviction_bytes_per_model(&self.eviction.memory)
            + eviction_bytes_per_model(&self.eviction.disk);
        self.peak_instances().saturating_mul(n_models).saturating_mul(per_slot)
    }

    /// Refuses an endpoint whose per-(instance, model) state could pass
    /// [`MAX_INSTANCE_MODEL_SLOTS`] or [`MAX_MODEL_STATE_BYTES`], when
    /// each instance holds at most `n_models` at once.
    fn check_model_state(&self, origin: &str, n_models: u64) -> Result<(), Error> {
        let instances = self.peak_instances();
        let who = if instances > self.cluster.instances as u64 {
            format!("{instances} instances (the autoscaling maximum)")
        } else {
            format!("{instances} instances")
        };
        let slots = instances.saturating_mul(n_models);
        if slots > MAX_INSTANCE_MODEL_SLOTS {
            return Err(Error::invalid(
                origin,
                "cluster.instances",
                format!(
                    "{who} × {n_models} models each can hold at once is {slots} per-instance model \
                     states, more than the {MAX_INSTANCE_MODEL_SLOTS} supported"
                ),
            ));
        }
        let bytes = self.model_state_bytes(n_models);
        if bytes > MAX_MODEL_STATE_BYTES {
            return Err(Error::invalid(
                origin,
                "cluster.instances",
                format!(
                    "{who} × {n_models} models each can hold at once, with eviction `{}` / `{}`, may need {:.1} GiB of per-instance \
                     model state, more than the {} GiB supported (fewer instances or models, or lighter \
                     eviction policies)",
                    self.eviction.memory.name(),
                    self.eviction.disk.name(),
                    bytes as f64 / (1u64 << 30) as f64,
                    MAX_MODEL_STATE_BYTES >> 30
                ),
            ));
        }
        Ok(())
    }

    /// Settings that are legal but surely a mistake (the CLI prints them on
    /// stderr as `warning: FILE: field: message`); empty for a scenario
    /// that does not [`validate`](Self::validate).
    pub fn warnings(&self) -> Vec<Warning> {
        use mmesim_autoscaling::TrackedMetric;
        let mut out = Vec::new();
        let Ok(cat) = self.catalog(&self.name) else {
            return out;
        };
        let Some(ty) = cat.get(&self.cluster.instance_type) else {
            return out;
        };
        let metric = match &self.autoscaling {
            AutoscalingPolicy::TargetTracking { metric, .. } | AutoscalingPolicy::Step { metric, .. } => Some(*metric),
            _ => None,
        };
        if metric == Some(TrackedMetric::GPUUtilization) && ty.gpu.is_none() {
            out.push(Warning {
                field: "autoscaling.metric".into(),
                message: format!(
                    "`GPUUtilization` on `{}`, which has no GPU: CloudWatch publishes no such metric for it, \
                     and the simulation tracks its vCPUs' utilisation instead (say `CPUUtilization`)",
                    ty.name
                ),
            });
        }
        out
    }

    /// The faults, resolved (zones by index, validated).
    pub fn faults(&self, origin: &str) -> Result<Vec<Fault>, Error> {
        let zones = self.cluster.zones.names();
        let mut out = Vec::new();
        for (i, f) in self.faults.iter().enumerate() {
            let field = |k: &str| format!("faults[{i}].{k}");
            let (at_s, duration_s) = match f {
                FaultSpec::ZoneOutage { at_s, duration_s, .. }
                | FaultSpec::InstanceFailure { at_s, duration_s, .. } => (*at_s, *duration_s),
            };
            if !(at_s.is_finite() && (0.0..=MAX_SECONDS).contains(&at_s)) {
                return Err(Error::invalid(
                    origin,
                    &field("at_s"),
                    format!("must be between 0 and {MAX_SECONDS:e} seconds, got {at_s}"),
                ));
            }
            if at_s >= self.duration_s {
                return Err(Error::invalid(
                    origin,
                    &field("at_s"),
                    format!(
                        "{at_s} s is not before the end of the arrivals (duration_s = {} s): the fault would \
                         only keep the endpoint running, and billed, until it comes",
                        self.duration_s
                    ),
                ));
            }
            if let Some(d) = duration_s {
                if !(d.is_finite() && d > 0.0 && d <= MAX_SECONDS) {
                    return Err(Error::invalid(
                        origin,
                        &field("duration_s"),
                        format!("must be a positive number of seconds, got {d}"),
                    ));
                }
            }
            let kind = match f {
                FaultSpec::ZoneOutage { zone, .. } => {
                    let z = match zone {
                        ZoneRef::Index(n) => usize::try_from(*n).ok().filter(|&n| n < zones.len()),
                        ZoneRef::Name(name) => zones.iter().position(|z| z == name),
                    };
                    let Some(z) = z else {
                        let shown = match zone {
                            ZoneRef::Index(n) => n.to_string(),
                            ZoneRef::Name(s) => format!("`{s}`"),
                        };
                        return Err(Error::invalid(
                            origin,
                            &field("zone"),
                            format!("no zone {shown}; the zones are {} (0–{})", zones.join(", "), zones.len() - 1),
                        ));
                    };
                    FaultKind::ZoneOutage { zone: ZoneId(z as u16) }
                }
                FaultSpec::InstanceFailure { instance, .. } => {
                    let n = self.cluster.instances;
                    let Some(id) = u32::try_from(*instance).ok().filter(|&x| x < n) else {
                        return Err(Error::invalid(
                            origin,
                            &field("instance"),
                            format!("no instance {instance}; the endpoint starts with instances 0–{}", n - 1),
                        ));
                    };
                    FaultKind::InstanceFailure { instance: InstanceId(id) }
                }
            };
            out.push(Fault {
                kind,
                at: SimDuration::from_secs_f64(at_s),
                duration: duration_s.map(SimDuration::from_secs_f64),
            });
        }
        Ok(out)
    }

    /// The core configuration this scenario describes (models generated
    /// from the run's `Models` stream, or read from the trace).
    pub fn sim_config(&self, opts: RunOptions) -> Result<SimConfig, Error> {
        let models = match &self.workload.trace {
            Some(t) => crate::trace::load(t, &self.models, &self.base_dir, self.seed)?.models,
            None => self.models.build(&mut RngStreams::new(self.seed).stream(Stream::Models)),
        };
        self.sim_config_with(opts, models)
    }

    fn sim_config_with(&self, opts: RunOptions, models: mmesim_core::Models) -> Result<SimConfig, Error> {
        let origin = self.origin();
        self.validate(origin)?;
        let cat = self.catalog(origin)?;
        let ty = cat.get(&self.cluster.instance_type).cloned().ok_or_else(|| {
            Error::invalid(
                origin,
                "cluster.instance_type",
                format!("unknown instance type `{}`", self.cluster.instance_type),
            )
        })?;
        self.check_model_state(origin, models_held_at_once(&models, &ty, self.cluster.queue_limit))?;
        let c = &self.cluster;
        Ok(SimConfig {
            cluster: ClusterConfig {
                instance_type: ty,
                instances: c.instances,
                zones: c.zones.names(),
                max_concurrent_downloads: c.max_concurrent_downloads.unwrap_or(0),
                max_concurrent_loads: c.max_concurrent_loads.unwrap_or(0),
                queue_limit: c.queue_limit,
                cpu_per_request: c.cpu_per_request,
                request_timeout: SimDuration::from_secs_f64(c.request_timeout_s),
                download_overhead: SimDuration::from_millis_f64(c.download_overhead_ms),
                launch_delay: SimDuration::from_secs_f64(c.launch_delay_s),
                replace_failed: c.replace_failed,
                replacement_delay: SimDuration::from_secs_f64(c.replacement_delay_s),
                scale_in_pick: c.scale_in_pick,
                request_overhead: SimDuration::from_millis_f64(c.request_overhead_ms),
                model_cache: c.model_cache,
                gpu_context: Bytes::from_mib(c.gpu_context_mib),
                batching: c.batching.map(|b| mmesim_core::Batching { max_batch: b.max_batch, marginal: b.marginal }),
                service_scale: self.models.service_scale,
            },
            models,
            faults: self.faults(origin)?,
            client: {
                let (retries, backoff_ms, max_backoff_ms, jitter, retry_not_ready) = self.client.effective();
                ClientConfig {
                    retries,
                    backoff: SimDuration::from_millis_f64(backoff_ms),
                    max_backoff: max_backoff_ms.map(SimDuration::from_millis_f64),
                    jitter,
                    retry_not_ready,
                }
            },
            duration: SimDuration::from_secs_f64(self.duration_s),
            warmup: SimDuration::from_secs_f64(self.warmup_s),
            seed: self.seed,
            record_trace: opts.record_trace,
            record_metrics: opts.record_metrics,
            check_invariants: opts.check_invariants,
        })
    }

    /// A simulation ready to run: configuration, workload and policies.
    ///
    /// With a `trace`, an error met while streaming it (the file changed
    /// since it was scanned) ends the workload early, silently here; use
    /// [`run_with`](Scenario::run_with), which reports it as an error.
    pub fn simulation(&self, opts: RunOptions) -> Result<Simulation, Error> {
        Ok(self.simulation_watched(opts, CustomPolicies::default())?.0)
    }

    /// The simulation, and where a trace source reports an error met while
    /// streaming (checked after the run).
    fn simulation_watched(
        &self,
        opts: RunOptions,
        custom: CustomPolicies,
    ) -> Result<(Simulation, Option<crate::trace::ErrorSlot>), Error> {
        if let Some(t) = &self.workload.trace {
            let loaded = crate::trace::load(t, &self.models, &self.base_dir, self.seed)?;
            let cfg = self.sim_config_with(opts, loaded.models)?;
            return Ok((self.build(cfg, loaded.source, custom)?, Some(loaded.error)));
        }
        let cfg = self.sim_config(opts)?;
        let streams = RngStreams::new(self.seed);
        let n = cfg.models.len() as u32;
        let (arrival, popularity) = (&self.workload.arrival, &self.workload.popularity);
        if arrival.is_closed() {
            let mut clients = ClosedClients::new(arrival, popularity, n, &streams)
                .map_err(|e| Error::invalid(self.origin(), "workload.arrival", e))?;
            if let Some(d) = &self.workload.drift {
                clients = clients.with_drift(d, n, &streams);
            }
            let sim = self.with_policies(custom, |p| Simulation::closed_loop(cfg, Box::new(clients), p))?;
            return Ok((sim, None));
        }
        let mut source = Generated::try_new(arrival, popularity, n, &streams)
            .map_err(|e| Error::invalid(self.origin(), "workload.arrival", e))?;
        if let Some(d) = &self.workload.drift {
            source = source.with_drift(d, n, &streams);
        }
        Ok((self.build(cfg, Box::new(source), custom)?, None))
    }

    /// A simulation of this scenario's endpoint and policies driven by
    /// another request source (a hand-made list, a trace reader). Model ids
    /// from the source index the scenario's models.
    pub fn simulation_with_source(
        &self,
        opts: RunOptions,
        source: Box<dyn RequestSource>,
    ) -> Result<Simulation, Error> {
        let cfg = self.sim_config(opts)?;
        self.build(cfg, source, CustomPolicies::default())
    }

    /// A simulation of this scenario's endpoint and policies driven by
    /// other closed-loop clients (instrumented, scripted). Model ids from
    /// the clients index the scenario's models.
    pub fn simulation_with_clients(&self, opts: RunOptions, clients: Box<dyn ClosedLoop>) -> Result<Simulation, Error> {
        let cfg = self.sim_config(opts)?;
        self.with_policies(CustomPolicies::default(), |p| Simulation::closed_loop(cfg, clients, p))
    }

    fn build(
        &self,
        cfg: SimConfig,
        source: Box<dyn RequestSource>,
        custom: CustomPolicies,
    ) -> Result<Simulation, Error> {
        self.with_policies(custom, |p| Simulation::new(cfg, source, p))
    }

    /// Builds the scenario's policies, those of `custom` in their place,
    /// and hands them to `make` (which builds the simulation); the core's
    /// error becomes the facade's.
    fn with_policies(
        &self,
        custom: CustomPolicies,
        make: impl FnOnce(Policies) -> Result<Simulation, CoreError>,
    ) -> Result<Simulation, Error> {
        let streams = RngStreams::new(self.seed);
        let (mem, disk) = (self.eviction.memory.clone(), self.eviction.disk.clone());
        let (mut custom_mem, mut custom_disk) = (custom.memory, custom.disk);
        let evictors = Box::new(move |id: InstanceId, tier: Tier, capacity: Bytes| -> Box<dyn Evictor> {
            let (policy, k, custom) = match tier {
                Tier::Memory => (&mem, 2 * id.0 as u64, &mut custom_mem),
                Tier::Disk => (&disk, 2 * id.0 as u64 + 1, &mut custom_disk),
            };
            if let Some(make) = custom {
                return make(id, capacity);
            }
            let seed = {
                use rand::Rng;
                streams.substream(Stream::Eviction, k).random::<u64>()
            };
            policy.build(capacity, seed)
        });
        let router = match custom.router {
            Some(r) => r,
            None => self.routing.build(RngStreams::new(self.seed).substream(Stream::Routing, 0).next_seed()),
        };
        let policies = Policies {
            router,
            autoscaler: self
                .autoscaling
                .build(RngStreams::new(self.seed).substream(Stream::Autoscaling, 0).next_seed()),
            evictors,
        };
        make(policies).map_err(|e| Error::invalid_in(self.origin(), e.to_string()).with_source(e))
    }

    /// Runs the scenario to completion.
    pub fn run(&self) -> Result<mmesim_core::RunResult, Error> {
        self.run_with(RunOptions::default())
    }

    /// Runs the scenario with options, keeping every minute's figures
    /// ([`RunResult::minutes`](mmesim_core::RunResult::minutes)) and, with
    /// [`RunOptions::record_metrics`], every row
    /// ([`RunResult::metrics`](mmesim_core::RunResult::metrics)): memory
    /// grows with the simulated time; [`run_into`](Scenario::run_into)
    /// streams them.
    pub fn run_with(&self, opts: RunOptions) -> Result<mmesim_core::RunResult, Error> {
        let mut all = mmesim_core::CollectMinutes::default();
        let mut out = self.run_into(opts, &mut all)?;
        out.minutes = all.minutes;
        out.metrics = all.rows;
        Ok(out)
    }

    /// Runs the scenario with options, handing each minute's figures and
    /// (with [`RunOptions::record_metrics`]) rows to `sink` as they are
    /// known, keeping none: memory is bounded by the models, the instances
    /// and the requests in flight, whatever the simulated time
    /// ([`MetricsCsvWriter`](crate::MetricsCsvWriter),
    /// [`ExportWriter`](crate::cloudwatch::ExportWriter) and
    /// [`Timeline`](crate::chart::Timeline) are such sinks). An error from
    /// the sink ends the run: an [`Error`] it returned comes back as it is,
    /// another as an I/O error of the scenario.
    pub fn run_into(
        &self,
        opts: RunOptions,
        sink: &mut dyn mmesim_core::MinuteSink,
    ) -> Result<mmesim_core::RunResult, Error> {
        self.run_custom_into(opts, CustomPolicies::default(), sink)
    }

    /// Runs the scenario as [`run_into`](Scenario::run_into) does, with
    /// policies made elsewhere (written in Python, or in a test) in place
    /// of the scenario's `[routing]` or `[eviction]` choices.
    pub fn run_custom_into(
        &self,
        opts: RunOptions,
        custom: CustomPolicies,
        sink: &mut dyn mmesim_core::MinuteSink,
    ) -> Result<mmesim_core::RunResult, Error> {
        let (sim, slot) = self.simulation_watched(opts, custom)?;
        let run = sim.run_into(sink);
        if let Some(slot) = slot {
            if let Some(e) = crate::trace::error_met(&slot) {
                return Err(e);
            }
        }
        let mut out = run.map_err(|e| match e.downcast::<Error>() {
            Ok(e) => *e,
            Err(e) => Error::io_in(self.name.clone(), format!("per-minute output: {e}")),
        })?;
        out.report.name = self.name.clone();
        Ok(out)
    }
}

/// Makes one tier's evictor for an instance (its id and the tier's
/// capacity).
pub type MakeEvictor = Box<dyn FnMut(InstanceId, Bytes) -> Box<dyn Evictor> + Send>;

/// Policies made outside the scenario file, to run in place of its
/// choices ([`Scenario::run_custom_into`]): a router, and what makes each
/// instance's memory or disk evictor. `None` keeps the scenario's. They
/// are used as given: the seeds the scenario would give its own policies
/// are not theirs.
#[derive(Default)]
pub struct CustomPolicies {
    /// The router, in place of `[routing]`'s.
    pub router: Option<Box<dyn Router>>,
    /// Makes the memory tier's evictors, in place of `[eviction] memory`.
    pub memory: Option<MakeEvictor>,
    /// Makes the disk tier's evictors, in place of `[eviction] disk`.
    pub disk: Option<MakeEvictor>,
}

/// A `u64` seed from a generator (for policy seeds).
trait NextSeed {
    fn next_seed(self) -> u64;
}

impl NextSeed for mmesim_engine::SimRng {
    fn next_seed(mut self) -> u64 {
        use rand::Rng;
        self.random()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys a policy serialises besides `policy`: its variant's fields.
    fn keys<T: Serialize>(p: &T) -> Vec<String> {
        let v = serde_json::to_value(p).expect("serialise");
        let mut k: Vec<String> = v.as_object().expect("a table").keys().filter(|k| *k != "policy").cloned().collect();
        k.sort();
        k
    }

    fn sorted(names: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    }

    /// `param_names` (which `strict_policy` checks tables against) lists
    /// exactly the fields of each policy's variant: the two cannot drift.
    #[test]
    fn param_names_are_the_variants_fields() {
        for p in EvictionPolicy::all() {
            assert_eq!(keys(&p), sorted(EvictionPolicy::param_names(p.name()).unwrap()), "{p:?}");
        }
        for p in RoutingPolicy::all() {
            assert_eq!(keys(&p), sorted(RoutingPolicy::param_names(p.name()).unwrap()), "{p:?}");
        }
        let examples = [
            r#"{"policy": "none"}"#,
            r#"{"policy": "target-tracking"}"#,
            r#"{"policy": "step", "steps": [{"above": 1.0, "change": 1}]}"#,
            r#"{"policy": "scheduled", "schedule": [[0.0, 1]]}"#,
        ];
        let mut seen = Vec::new();
        for json in examples {
            let p: AutoscalingPolicy = serde_json::from_str(json).expect(json);
            assert_eq!(keys(&p), sorted(AutoscalingPolicy::param_names(p.name()).unwrap()), "{p:?}");
            seen.push(p.name());
        }
        assert_eq!(seen, AutoscalingPolicy::NAMES);
    }
}
