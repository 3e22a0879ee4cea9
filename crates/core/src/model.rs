//! Models and the run configuration the core is built from.

use crate::{Bytes, Dist, InstanceType};
use mmesim_engine::SimDuration;

/// One model of the endpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelSpec {
    /// A name for reports (`model-17`, or a trace's id).
    pub name: String,
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
}

/// Everything the core needs to run, apart from the policies and the
/// request source.
#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    /// The endpoint.
    pub cluster: ClusterConfig,
    /// The models, indexed by `ModelId`.
    pub models: Vec<ModelSpec>,
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
}
