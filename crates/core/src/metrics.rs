//! Run metrics: counters, HDR histograms, and the report they make.

use crate::scale::MinuteMetrics;
use crate::RejectReason;
use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::BTreeMap;

/// Why a request that reached an instance did not complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum FailReason {
    /// Its response not back within the request timeout while it waited
    /// for a slot or was being served (HTTP 5XX).
    Timeout,
    /// Still waiting for its model (downloading or loading) at the request
    /// timeout: SageMaker's `ModelNotReadyException` (HTTP 429, a 4XX
    /// error); the load goes on.
    ModelNotReady,
    /// The model's memory footprint exceeds the instance's memory tier.
    ModelTooLarge,
    /// The model's artifact exceeds the instance's disk tier.
    ArtifactTooLarge,
    /// The instance failed while the request was on it.
    InstanceFailed,
}

impl FailReason {
    /// Every reason, in declaration order (`ALL[r as usize] == r`).
    pub(crate) const ALL: [FailReason; 5] = [
        FailReason::Timeout,
        FailReason::ModelNotReady,
        FailReason::ModelTooLarge,
        FailReason::ArtifactTooLarge,
        FailReason::InstanceFailed,
    ];

    /// Stable snake_case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            FailReason::Timeout => "timeout",
            FailReason::ModelNotReady => "model_not_ready",
            FailReason::ModelTooLarge => "model_too_large",
            FailReason::ArtifactTooLarge => "artifact_too_large",
            FailReason::InstanceFailed => "instance_failed",
        }
    }
}

/// Request counts: `arrived = completed + failed + rejected` once a run
/// has drained.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RequestCounts {
    /// Requests that arrived.
    pub arrived: u64,
    /// Requests served to completion.
    pub completed: u64,
    /// Requests that reached an instance and failed.
    pub failed: u64,
    /// Requests turned away before reaching an instance (or throttled).
    pub rejected: u64,
    /// `failed` by reason.
    pub failed_by_reason: BTreeMap<String, u64>,
    /// `rejected` by reason.
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// Requests counted in latency and hit ratio (arrived at or after the
    /// warm-up).
    pub measured: u64,
    /// Measured requests that failed.
    pub measured_failed: u64,
    /// Measured requests that were rejected.
    pub measured_rejected: u64,
}

/// End-to-end latency of completed, measured requests, milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LatencySummary {
    /// Mean (exact).
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Maximum.
    pub max: f64,
}

/// Time spent waiting for an inference slot, milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct QueueWaitSummary {
    /// Mean (exact).
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Share of completed, measured requests that waited at all (Erlang C's
    /// P(wait)).
    pub waited_fraction: f64,
}

/// Time requests spent waiting for their model (download + load) on a
/// miss, milliseconds (`ModelLoadingWaitTime`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LoadingWaitSummary {
    /// Requests that waited for a model.
    pub count: u64,
    /// Mean over them.
    pub mean: f64,
    /// 99th percentile over them.
    pub p99: f64,
}

/// Model movements over the whole run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CacheCounts {
    /// Artifacts downloaded.
    pub downloads: u64,
    /// Models loaded into memory.
    pub loads: u64,
    /// Models unloaded from memory (the thrashing signal).
    pub unloads: u64,
    /// Artifacts deleted from disk to make room, or idled out (`ttl`).
    pub disk_evictions: u64,
    /// Requests that waited for a download or load already in flight
    /// rather than starting their own.
    pub joined_in_flight: u64,
    /// Keep-alive expiry checks that removed at least one idle model or
    /// artifact (`ttl` policies; unloads and deletions are counted above).
    pub expired: u64,
}

/// The models against the fleet's model memory: the first sizing fact
/// (do they fit?). Fixed by the scenario, before anything runs.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ModelsSummary {
    /// Models in the population (generated, listed, or declared by the
    /// trace).
    pub count: u64,
    /// Σ of the models' footprints in the memory tier (RAM, or GPU memory
    /// on GPU types), bytes.
    pub footprint_bytes: u64,
    /// Σ of what the memory tier holds for each loaded model besides its
    /// footprint: the container's per-model worker (`model_overhead`) on
    /// CPU types; 0 on GPU types, where that overhead is host RAM.
    pub overhead_bytes: u64,
    /// Which memory the models load into: `"ram"` (CPU types) or `"gpu"`.
    pub tier: String,
    /// One instance's memory tier, bytes: RAM × watermark − reserved on CPU
    /// types; on GPU types the usable GPU memory less the CUDA context.
    pub tier_bytes_per_instance: u64,
    /// Instances at the start of the run (what the tier is multiplied by;
    /// an autoscaler may change it later).
    pub instances_at_start: u32,
}

/// Fleet figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FleetSummary {
    /// Instances that ever existed (initial + launched + replacements).
    pub launched: u32,
    /// Largest number in service at once.
    pub peak_in_service: u32,
    /// Instances lost to faults.
    pub failed: u32,
    /// Empty instances started in place of failed ones.
    pub replacements: u32,
    /// Client retries made.
    pub retries: u64,
    /// Mean inference-slot utilisation over the run, percent.
    pub cpu_utilization: f64,
    /// Highest per-minute inference-slot utilisation of the endpoint,
    /// percent (CloudWatch's `CPUUtilization` of its busiest minute).
    pub peak_cpu_utilization: f64,
    /// Mean of the per-minute memory-tier utilisation of the endpoint
    /// (loaded and loading models over capacity), percent.
    pub memory_utilization: f64,
    /// Highest per-minute memory-tier utilisation of the endpoint, percent.
    pub peak_memory_utilization: f64,
}

/// One availability zone's share of a run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ZoneSummary {
    /// Zone name.
    pub name: String,
    /// Measured requests routed to instances of the zone.
    pub requests: u64,
    /// Of those, requests that found their model loaded.
    pub hits: u64,
    /// hits / requests.
    pub model_cache_hit: f64,
    /// Requests completed in the zone (all, warm-up included).
    pub completed: u64,
    /// Requests failed in the zone (all).
    pub failed: u64,
    /// Models loaded in the zone.
    pub loads: u64,
    /// Models unloaded in the zone.
    pub unloads: u64,
    /// Instances of the zone lost to faults.
    pub instances_failed: u32,
    /// Σ lifetime of the zone's instances, hours.
    pub instance_hours: f64,
}

/// A fault's time window, for reports and charts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FaultWindow {
    /// When it struck.
    #[serde(serialize_with = "ser_secs")]
    pub start: mmesim_engine::SimTime,
    /// When it ended (a zone came back); `None` = for good.
    #[serde(serialize_with = "ser_opt_secs")]
    pub end: Option<mmesim_engine::SimTime>,
    /// What failed.
    pub what: String,
}

fn ser_secs<S: serde::Serializer>(t: &mmesim_engine::SimTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(t.as_secs_f64())
}

fn ser_opt_secs<S: serde::Serializer>(t: &Option<mmesim_engine::SimTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_some(&t.as_secs_f64()),
        None => s.serialize_none(),
    }
}

/// The summary of a run (the JSON report of `mmesim run --json`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Report {
    /// Scenario name.
    pub name: String,
    /// Seed the run used.
    pub seed: u64,
    /// Simulated seconds until the last request drained.
    pub simulated_s: f64,
    /// Request accounting.
    pub requests: RequestCounts,
    /// End-to-end latency.
    pub latency_ms: LatencySummary,
    /// Waiting for an inference slot.
    pub queue_wait_ms: QueueWaitSummary,
    /// Waiting for a model on a miss.
    pub model_loading_wait_ms: LoadingWaitSummary,
    /// Share of measured requests routed to an instance that found their
    /// model loaded there.
    pub model_cache_hit: f64,
    /// Downloads, loads, unloads.
    pub cache: CacheCounts,
    /// Σ instance lifetime × hourly price, USD.
    pub cost_usd: f64,
    /// Σ instance lifetime, hours.
    pub instance_hours: f64,
    /// Fleet figures.
    pub fleet: FleetSummary,
    /// The models' footprint against the fleet's model memory.
    pub models: ModelsSummary,
    /// Per-zone breakdown.
    pub zones: Vec<ZoneSummary>,
    /// Faults injected (seconds from the start).
    pub faults: Vec<FaultWindow>,
    /// Closed loop only: the latency the users see, from waking to send
    /// (client processes included) to the response (overhead latency
    /// included), of the measured completed requests — what a load tester
    /// such as Locust reports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_latency_ms: Option<LatencySummary>,
}

pub(crate) fn new_hist() -> Histogram<u64> {
    // Nanoseconds, 3 significant digits, over the whole range of a
    // `SimDuration` (u64 nanoseconds, 584 years): no value is clamped, so
    // `max` is never below `mean` (about 450 KB; the bucket layout of
    // values below 10^5 s is the same as with a lower bound).
    Histogram::new_with_bounds(1, u64::MAX, 3).expect("BUG: static histogram bounds")
}

/// A coarser histogram (2 significant digits) for per-minute percentiles:
/// recorded once more per request, so it is kept small.
pub(crate) fn new_minute_hist() -> Histogram<u64> {
    Histogram::new_with_bounds(1, u64::MAX, 2).expect("BUG: static histogram bounds")
}

fn summarize(h: &Histogram<u64>, sum_ns: u128, n: u64) -> LatencySummary {
    if n == 0 {
        return LatencySummary::default();
    }
    LatencySummary {
        mean: sum_ns as f64 / n as f64 / 1e6,
        p50: ns_to_ms(h.value_at_quantile(0.5)),
        p90: ns_to_ms(h.value_at_quantile(0.9)),
        p99: ns_to_ms(h.value_at_quantile(0.99)),
        p999: ns_to_ms(h.value_at_quantile(0.999)),
        max: ns_to_ms(h.max()),
    }
}

pub(crate) fn ns_to_ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

/// The counts by reason name, only the reasons that occurred (as a map
/// of them would hold).
fn occurred<const N: usize>(names: [&'static str; N], counts: [u64; N]) -> BTreeMap<String, u64> {
    names.into_iter().zip(counts).filter(|&(_, n)| n > 0).map(|(k, n)| (k.to_string(), n)).collect()
}

/// Live counters of a run.
pub(crate) struct Metrics {
    pub arrived: u64,
    pub completed: u64,
    /// Failures by reason, indexed by `FailReason as usize` (an array,
    /// not a map: a thrashing million-model run fails a million requests).
    pub failed: [u64; FailReason::ALL.len()],
    /// Rejections by reason, indexed by `RejectReason as usize`.
    pub rejected: [u64; RejectReason::ALL.len()],
    pub measured: u64,
    pub measured_failed: u64,
    pub measured_rejected: u64,
    pub measured_routed: u64,
    pub measured_hits: u64,
    pub latency: Histogram<u64>,
    pub latency_sum_ns: u128,
    pub latency_n: u64,
    pub client_latency: Histogram<u64>,
    pub client_latency_sum_ns: u128,
    pub client_latency_n: u64,
    /// Slot waits of completed, measured requests that waited (> 0).
    pub queue_wait: Histogram<u64>,
    pub queue_wait_sum_ns: u128,
    /// Completed, measured requests that waited (the rest waited 0).
    pub waited: u64,
    pub loading_wait: Histogram<u64>,
    pub loading_wait_sum_ns: u128,
    pub loading_wait_n: u64,
    pub cache: CacheCounts,
    pub minute: MinuteMetrics,
    pub minute_latency_sum_ns: u128,
    pub minute_routed: u64,
    pub minute_hits: u64,
    pub minute_latency: Histogram<u64>,
    pub retries: u64,
    pub replacements: u32,
}

impl Metrics {
    pub fn new() -> Self {
        Metrics {
            arrived: 0,
            completed: 0,
            failed: [0; FailReason::ALL.len()],
            rejected: [0; RejectReason::ALL.len()],
            measured: 0,
            measured_failed: 0,
            measured_rejected: 0,
            measured_routed: 0,
            measured_hits: 0,
            latency: new_hist(),
            latency_sum_ns: 0,
            latency_n: 0,
            client_latency: new_hist(),
            client_latency_sum_ns: 0,
            client_latency_n: 0,
            queue_wait: new_hist(),
            queue_wait_sum_ns: 0,
            waited: 0,
            loading_wait: new_hist(),
            loading_wait_sum_ns: 0,
            loading_wait_n: 0,
            cache: CacheCounts::default(),
            minute: MinuteMetrics::default(),
            minute_latency_sum_ns: 0,
            minute_routed: 0,
            minute_hits: 0,
            minute_latency: new_minute_hist(),
            retries: 0,
            replacements: 0,
        }
    }

    pub fn failed_total(&self) -> u64 {
        self.failed.iter().sum()
    }

    pub fn rejected_total(&self) -> u64 {
        self.rejected.iter().sum()
    }

    pub fn report_counts(&self) -> RequestCounts {
        RequestCounts {
            arrived: self.arrived,
            completed: self.completed,
            failed: self.failed_total(),
            rejected: self.rejected_total(),
            failed_by_reason: occurred(FailReason::ALL.map(FailReason::as_str), self.failed),
            rejected_by_reason: occurred(RejectReason::ALL.map(RejectReason::as_str), self.rejected),
            measured: self.measured,
            measured_failed: self.measured_failed,
            measured_rejected: self.measured_rejected,
        }
    }

    pub fn latency_summary(&self) -> LatencySummary {
        summarize(&self.latency, self.latency_sum_ns, self.latency_n)
    }

    pub fn client_latency_summary(&self) -> LatencySummary {
        summarize(&self.client_latency, self.client_latency_sum_ns, self.client_latency_n)
    }

    pub fn queue_wait_summary(&self) -> QueueWaitSummary {
        if self.latency_n == 0 {
            return QueueWaitSummary::default();
        }
        // The histogram holds the waits only (the hot path skips the
        // zeros); the requests that did not wait are added back here.
        let mut all = self.queue_wait.clone();
        all.saturating_record_n(0, self.latency_n - self.waited);
        QueueWaitSummary {
            mean: self.queue_wait_sum_ns as f64 / self.latency_n as f64 / 1e6,
            p50: ns_to_ms(all.value_at_quantile(0.5)),
            p99: ns_to_ms(all.value_at_quantile(0.99)),
            waited_fraction: self.waited as f64 / self.latency_n as f64,
        }
    }

    pub fn loading_wait_summary(&self) -> LoadingWaitSummary {
        if self.loading_wait_n == 0 {
            return LoadingWaitSummary::default();
        }
        LoadingWaitSummary {
            count: self.loading_wait_n,
            mean: self.loading_wait_sum_ns as f64 / self.loading_wait_n as f64 / 1e6,
            p99: ns_to_ms(self.loading_wait.value_at_quantile(0.99)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The counters are indexed by `reason as usize`: each `ALL` lists the
    /// reasons in that order, each once, and the report names only the
    /// reasons counted.
    #[test]
    fn reasons_index_their_counters() {
        for (i, r) in FailReason::ALL.iter().enumerate() {
            assert_eq!(*r as usize, i, "{r:?}");
        }
        for (i, r) in RejectReason::ALL.iter().enumerate() {
            assert_eq!(*r as usize, i, "{r:?}");
        }
        let mut m = Metrics::new();
        m.failed[FailReason::ModelNotReady as usize] += 2;
        m.failed[FailReason::Timeout as usize] += 1;
        m.rejected[RejectReason::Throttled as usize] += 4;
        let c = m.report_counts();
        assert_eq!((c.failed, c.rejected), (3, 4));
        let names = |b: &BTreeMap<String, u64>| b.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>();
        assert_eq!(names(&c.failed_by_reason), ["model_not_ready=2", "timeout=1"]);
        assert_eq!(names(&c.rejected_by_reason), ["throttled=4"]);
    }
}
