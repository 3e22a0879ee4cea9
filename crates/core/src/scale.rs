//! The autoscaling-policy trait and the per-minute metrics it reads.

use mmesim_engine::SimTime;

/// Endpoint-wide figures of one simulated minute, CloudWatch-style.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MinuteMetrics {
    /// The minute (0-based).
    pub minute: u64,
    /// Requests that arrived in the minute (`Invocations`).
    pub invocations: u64,
    /// `Invocations` divided by the instances in service.
    pub invocations_per_instance: f64,
    /// Share of the minute's requests that found their model loaded.
    pub model_cache_hit: f64,
    /// Average busy share of inference slots over the minute, percent
    /// (`CPUUtilization` normalised to 0–100 over all slots).
    pub cpu_utilization: f64,
    /// Memory tier occupied at the minute's end, percent of capacity.
    pub memory_utilization: f64,
    /// Disk tier occupied at the minute's end, percent of capacity.
    pub disk_utilization: f64,
    /// Instances in service at the minute's end (`InstanceCount`).
    pub instance_count: u32,
    /// Instances launched but not yet in service.
    pub pending_instances: u32,
    /// Models loaded at the minute's end, summed over instances.
    pub loaded_model_count: u64,
    /// Requests that completed in the minute.
    pub completed: u64,
    /// Requests that failed in the minute (5XX).
    pub failed: u64,
    /// Requests rejected in the minute (4XX: throttled, no instance).
    pub rejected: u64,
    /// Models loaded in the minute.
    pub loads: u64,
    /// Models unloaded in the minute (the thrashing signal).
    pub unloads: u64,
    /// Mean end-to-end latency of requests completed in the minute, ms.
    pub mean_latency_ms: f64,
    /// 99th percentile of the same, ms.
    pub p99_latency_ms: f64,
}

/// What an autoscaler knows about the fleet when it decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FleetStatus {
    /// Simulated time of the decision (a minute boundary).
    pub now: SimTime,
    /// Instances in service (healthy, not draining).
    pub in_service: u32,
    /// Instances launched and not yet in service, and replacements of
    /// failed instances on their way.
    pub pending: u32,
    /// Instances draining.
    pub draining: u32,
}

/// An autoscaling policy, evaluated once per simulated minute.
pub trait Autoscaler: Send {
    /// The policy's name as written in a scenario (`"none"`).
    fn name(&self) -> &str;
    /// Given the minute that just ended, the desired instance count (in
    /// service + pending), or `None` to leave the fleet as it is.
    fn evaluate(&mut self, minute: &MinuteMetrics, fleet: &FleetStatus) -> Option<u32>;
}
