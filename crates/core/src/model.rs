//! Models and the run configuration the core is built from.

use crate::{Bytes, Dist, InstanceId, InstanceType, ZoneId};
use mmesim_engine::SimDuration;

/// A model's name, for reports and messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelName {
    /// A generated population's model `model-{n}`, formatted only when
    /// shown: a million-model endpoint holds no million strings (issue 15).
    Generated(u32),
    /// A name given by a list of models or a trace.
    Given(String),
}

impl std::fmt::Display for ModelName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ModelName::Generated(n) => write!(f, "model-{n}"),
            ModelName::Given(s) => f.write_str(s),
        }
    }
}

impl From<String> for ModelName {
    fn from(s: String) -> Self {
        ModelName::Given(s)
    }
}

impl From<&str> for ModelName {
    fn from(s: &str) -> Self {
        ModelName::Given(s.to_string())
    }
}

/// One model of the endpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelSpec {
    /// A name for reports (`model-17`, or a trace's id).
    pub name: ModelName,
    /// Footprint in the memory tier (RAM, or GPU memory) when loaded.
    pub memory: Bytes,
    /// Artifact size on disk and to download.
    pub artifact: Bytes,
    /// Inference service time, in milliseconds.
    pub service_ms: Dist,
    /// Fixed time added to every load (container start-up of the model,
    /// deserialisation) after its artifact has been read from disk. The
    /// read shares the disk's throughput with the other loads under way.
    pub load_overhead: SimDuration,
    /// Time an unload takes; the memory frees when it ends.
    pub unload_time: SimDuration,
    /// Bytes a request and its response carry over the network (they add
    /// `payload / network bandwidth` to the request's overhead latency).
    pub payload: Bytes,
    /// CPU time per request besides the model's own inference (decoding
    /// the payload, pre- and post-processing), on the vCPUs at speed 1. On
    /// CPU types it adds to the service; on GPU types it runs on the vCPUs
    /// before the request queues for the GPU.
    pub preprocess: SimDuration,
}

/// The models of an endpoint, indexed by [`ModelId`](crate::ModelId):
/// each given in full, or a generated population kept as one size per
/// model.
///
/// A generated million-model endpoint would be 96 MB of [`ModelSpec`]s,
/// made, read once and dropped before the run starts; as a [`Population`]
/// it is 8 MB (issue 15). Both forms give the same specs
/// ([`Models::get`]), so a run does not depend on which one describes it;
/// equality (`==`) compares the forms too.
///
/// ```
/// use mmesim_core::{Bytes, Dist, ModelName, Models, Population};
/// use mmesim_engine::SimDuration;
/// let models = Models::Generated(Population {
///     memory_mib: vec![512.0, 64.0],
///     artifact_ratio: 0.5,
///     service_ms: Dist::Constant { value: 20.0 },
///     load_overhead: SimDuration::ZERO,
///     unload_time: SimDuration::ZERO,
///     payload: Bytes::ZERO,
///     preprocess: SimDuration::ZERO,
/// });
/// let second = models.get(1).expect("two models");
/// assert_eq!((second.name.clone(), second.memory, second.artifact), (ModelName::Generated(1), Bytes::from_mib(64.0), Bytes::from_mib(32.0)));
/// assert_eq!(models.clone().into_listed()[1], *second);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Models {
    /// Each model's own spec: a scenario's list, a trace's models.
    Listed(Vec<ModelSpec>),
    /// Models alike but for their size, named `model-{i}`.
    Generated(Population),
}

impl Default for Models {
    fn default() -> Self {
        Models::Listed(Vec::new())
    }
}

impl From<Vec<ModelSpec>> for Models {
    fn from(specs: Vec<ModelSpec>) -> Self {
        Models::Listed(specs)
    }
}

impl Models {
    /// The number of models.
    pub fn len(&self) -> usize {
        match self {
            Models::Listed(v) => v.len(),
            Models::Generated(p) => p.memory_mib.len(),
        }
    }

    /// Whether there is no model.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Model `i`'s spec (borrowed from a list, made for a population).
    pub fn get(&self, i: usize) -> Option<std::borrow::Cow<'_, ModelSpec>> {
        use std::borrow::Cow;
        match self {
            Models::Listed(v) => v.get(i).map(Cow::Borrowed),
            Models::Generated(p) => (i < p.memory_mib.len()).then(|| Cow::Owned(p.spec(i))),
        }
    }

    /// Every model's spec, in `ModelId` order.
    pub fn iter(&self) -> impl Iterator<Item = std::borrow::Cow<'_, ModelSpec>> + '_ {
        (0..self.len()).filter_map(move |i| self.get(i))
    }

    /// Model `i`'s memory footprint and artifact size, without making its
    /// spec. Panics if there is no model `i`.
    pub fn sizes(&self, i: usize) -> (Bytes, Bytes) {
        match self {
            Models::Listed(v) => (v[i].memory, v[i].artifact),
            Models::Generated(p) => (p.memory(i), p.artifact(i)),
        }
    }

    /// The specs as a list, made from a population if need be.
    pub fn into_listed(self) -> Vec<ModelSpec> {
        match self {
            Models::Listed(v) => v,
            Models::Generated(p) => (0..p.memory_mib.len()).map(|i| p.spec(i)).collect(),
        }
    }

    /// The specs as a list to change in place; a population becomes one.
    pub fn listed_mut(&mut self) -> &mut Vec<ModelSpec> {
        if let Models::Generated(_) = self {
            *self = Models::Listed(std::mem::take(self).into_listed());
        }
        match self {
            Models::Listed(v) => v,
            Models::Generated(_) => unreachable!("made a list just above"),
        }
    }
}

/// Models alike but for their size ([`Models::Generated`]): model `i`
/// is [`Population::spec`]`(i)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Population {
    /// Each model's memory footprint, in MiB ([`Bytes::from_mib`]).
    pub memory_mib: Vec<f64>,
    /// Each model's artifact is its footprint in MiB times this.
    pub artifact_ratio: f64,
    /// Every model's [`ModelSpec::service_ms`].
    pub service_ms: Dist,
    /// Every model's [`ModelSpec::load_overhead`].
    pub load_overhead: SimDuration,
    /// Every model's [`ModelSpec::unload_time`].
    pub unload_time: SimDuration,
    /// Every model's [`ModelSpec::payload`].
    pub payload: Bytes,
    /// Every model's [`ModelSpec::preprocess`].
    pub preprocess: SimDuration,
}

impl Population {
    /// Model `i`'s memory footprint. Panics if there is no model `i`.
    #[inline]
    pub fn memory(&self, i: usize) -> Bytes {
        Bytes::from_mib(self.memory_mib[i])
    }

    /// Model `i`'s artifact size. Panics if there is no model `i`.
    #[inline]
    pub fn artifact(&self, i: usize) -> Bytes {
        Bytes::from_mib(self.memory_mib[i] * self.artifact_ratio)
    }

    /// Model `i`'s spec. Panics if there is no model `i`.
    pub fn spec(&self, i: usize) -> ModelSpec {
        ModelSpec {
            name: ModelName::Generated(i as u32),
            memory: self.memory(i),
            artifact: self.artifact(i),
            service_ms: self.service_ms.clone(),
            load_overhead: self.load_overhead,
            unload_time: self.unload_time,
            payload: self.payload,
            preprocess: self.preprocess,
        }
    }
}

/// Cluster-wide settings.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterConfig {
    /// The instance type of every instance.
    pub instance_type: InstanceType,
    /// Instances at the start.
    pub instances: u32,
    /// Availability zone names; instances are spread over them round-robin.
    pub zones: Vec<String>,
    /// Concurrent downloads per instance (0 = the type's vCPUs).
    pub max_concurrent_downloads: u32,
    /// Concurrent loads per instance (0 = the type's vCPUs).
    pub max_concurrent_loads: u32,
    /// Requests that may wait at one instance (for a model or a slot);
    /// beyond it, requests are throttled (rejected).
    pub queue_limit: u32,
    /// Inference slots one request occupies.
    pub cpu_per_request: u32,
    /// A request not started within this time fails.
    pub request_timeout: SimDuration,
    /// Fixed time added to every download (request latency to the model
    /// store, listing, decompression set-up), before its bytes flow; the
    /// bytes share the instance's download bandwidth with the other
    /// downloads under way.
    pub download_overhead: SimDuration,
    /// Time from launching an instance (scale-out) to its taking traffic.
    pub launch_delay: SimDuration,
    /// Replace failed instances with empty ones.
    pub replace_failed: bool,
    /// Time from a failure to its replacement taking traffic.
    pub replacement_delay: SimDuration,
    /// Which in-service instance a scale-in drains.
    pub scale_in_pick: ScaleInPick,
    /// Fixed time every request spends outside the model (the endpoint's
    /// front end, the container's HTTP layer): part of `OverheadLatency`,
    /// holding no slot.
    pub request_overhead: SimDuration,
    /// SageMaker's `ModelCacheSetting`: keep models loaded after a call
    /// (`Enabled`), or unload and delete them once no request uses them.
    pub model_cache: ModelCacheSetting,
    /// GPU memory the serving container's backend takes for its CUDA
    /// context once a model is loaded (GPU types): the GPU tier holds
    /// `GPU memory − context` of models.
    pub gpu_context: Bytes,
    /// Dynamic batching on GPU types (Triton's `dynamic_batching`), if on.
    pub batching: Option<Batching>,
    /// Factor on every request's service time, drawn or from a trace
    /// (1.0: as given). What `mmesim calibrate` fits when an endpoint
    /// serves slower or faster than the scenario's service times say.
    pub service_scale: f64,
}

/// Dynamic batching on a GPU, as Triton does it with no queue delay: when
/// a slot frees, the request at the head of the queue takes with it the
/// requests for the same model queued behind it, up to `max_batch` in all,
/// and they run together for `s × (1 + marginal × (b − 1))`, where `s` is
/// the head's service time and `b` the batch size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Batching {
    /// The most requests in a batch (Triton's `max_batch_size`), ≥ 1.
    pub max_batch: u32,
    /// What each request beyond the first adds to the batch's time, as a
    /// share of one request's (0 = free, 1 = no gain from batching).
    pub marginal: f64,
}

/// SageMaker's `ModelCacheSetting` of a multi-model endpoint.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelCacheSetting {
    /// Models stay loaded until memory is needed (the default).
    #[default]
    Enabled,
    /// A model is unloaded, and its artifact deleted, as soon as no request
    /// is waiting for, queued for or being served by it.
    Disabled,
}

/// Which instance a scale-in drains (after cancelling launches).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScaleInPick {
    /// The most recently started (the default).
    #[default]
    Newest,
    /// The one with the fewest loaded models (least cache lost); ties
    /// newest first.
    FewestLoaded,
    /// The one with the fewest outstanding requests (quickest to drain);
    /// ties newest first.
    FewestOutstanding,
}

/// What fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// One instance (by id: initial instances are `0..instances`).
    InstanceFailure {
        /// The instance.
        instance: InstanceId,
    },
    /// Every instance in a zone; no instance can be placed there while it
    /// is out.
    ZoneOutage {
        /// The zone.
        zone: ZoneId,
    },
}

/// A fault injected at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    /// What fails.
    pub kind: FaultKind,
    /// When, from the start of the run.
    pub at: SimDuration,
    /// For how long: a zone comes back after it; a failed instance is
    /// replaced (empty, in its own zone) after it instead of after the
    /// cluster's replacement delay. `None` = for good (a zone never comes
    /// back; an instance is replaced only if the cluster replaces failed
    /// instances).
    pub duration: Option<SimDuration>,
}

/// How clients retry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientConfig {
    /// Retries after a failure the client may retry: the instance failed
    /// under the request, no instance accepted it, or it was throttled.
    pub retries: u32,
    /// Wait before the first retry; doubles at each further retry.
    pub backoff: SimDuration,
    /// The longest wait before a retry (`None`: no cap).
    pub max_backoff: Option<SimDuration>,
    /// "Full jitter": each wait is drawn uniformly from zero to the
    /// (capped) exponential backoff, from its own random stream, as the
    /// AWS SDKs do.
    pub jitter: bool,
    /// Retry a `ModelNotReady` answer too (boto3's legacy retry mode
    /// retries HTTP 429; its standard mode does not).
    pub retry_not_ready: bool,
}

/// Everything the core needs to run, apart from the policies and the
/// request source.
#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    /// The endpoint.
    pub cluster: ClusterConfig,
    /// The models, indexed by `ModelId`.
    pub models: Models,
    /// Faults to inject.
    pub faults: Vec<Fault>,
    /// Client retries.
    pub client: ClientConfig,
    /// Arrivals at or after this time are not admitted; in-flight work
    /// then drains.
    pub duration: SimDuration,
    /// Requests arriving before this time are left out of latency and
    /// hit-ratio figures (they are still counted as arrived / completed …).
    pub warmup: SimDuration,
    /// The run's seed (service-time stream).
    pub seed: u64,
    /// Record every download, load, unload and request outcome in
    /// [`RunResult::trace`](crate::RunResult::trace) (for tests and
    /// debugging; costs memory per request).
    pub record_trace: bool,
    /// Check the model's invariants after every event and panic with `BUG:`
    /// on a violation (slow; for property tests).
    pub check_invariants: bool,
    /// Keep CloudWatch-style per-minute rows per instance, zone and
    /// endpoint in [`RunResult::metrics`](crate::RunResult::metrics).
    pub record_metrics: bool,
}
