//! CloudWatch-style per-minute metrics, per instance, per zone and for the
//! endpoint, as tidy rows (one per minute × metric × dimension).

use serde::Serialize;

/// Where a metric row applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Dimension {
    /// The whole endpoint.
    Endpoint,
    /// One availability zone (index into the zone names).
    Zone(u16),
    /// One instance.
    Instance(u32),
}

/// One value of one metric in one minute (a CloudWatch datapoint).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricRow {
    /// The minute (0-based): the row covers `[60·minute, 60·(minute+1))` s.
    pub minute: u64,
    /// SageMaker's metric name (`Invocations`, `ModelCacheHit`, …).
    pub metric: &'static str,
    /// Endpoint, zone or instance.
    pub dimension: Dimension,
    /// The value: a sum for counts, an average for times (ms) and ratios,
    /// a percentage for utilisations, a snapshot at the minute's end for
    /// `LoadedModelCount` and `InstanceCount`.
    pub value: f64,
    /// How many samples the value summarises (CloudWatch's SampleCount).
    pub samples: u64,
}

/// A running mean.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Stat {
    sum: f64,
    n: u64,
}

impl Stat {
    #[inline]
    pub fn add(&mut self, x: f64) {
        self.sum += x;
        self.n += 1;
    }
    fn merge(&mut self, o: &Stat) {
        self.sum += o.sum;
        self.n += o.n;
    }
    fn mean(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.sum / self.n as f64
        }
    }
}

/// One instance's (or an aggregate's) accumulators for the current minute.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct MinuteAcc {
    pub invocations: u64,
    pub hits: u64,
    pub model_latency: Stat,
    pub overhead_latency: Stat,
    pub loading_wait: Stat,
    pub downloading: Stat,
    pub loading: Stat,
    pub unloading: Stat,
    pub errors_4xx: u64,
    pub errors_5xx: u64,
    // Snapshots and utilisation, filled at the minute's end.
    pub busy_ns: u128,
    pub slot_ns: u128,
    pub mem_used: u64,
    pub mem_cap: u64,
    pub disk_used: u64,
    pub disk_cap: u64,
    pub loaded: u64,
    pub instances: u64,
    /// Instances launching (endpoint level only).
    pub pending: u64,
}

impl MinuteAcc {
    pub fn merge(&mut self, o: &MinuteAcc) {
        self.invocations += o.invocations;
        self.hits += o.hits;
        self.model_latency.merge(&o.model_latency);
        self.overhead_latency.merge(&o.overhead_latency);
        self.loading_wait.merge(&o.loading_wait);
        self.downloading.merge(&o.downloading);
        self.loading.merge(&o.loading);
        self.unloading.merge(&o.unloading);
        self.errors_4xx += o.errors_4xx;
        self.errors_5xx += o.errors_5xx;
        self.busy_ns += o.busy_ns;
        self.slot_ns += o.slot_ns;
        self.mem_used += o.mem_used;
        self.mem_cap += o.mem_cap;
        self.disk_used += o.disk_used;
        self.disk_cap += o.disk_cap;
        self.loaded += o.loaded;
        self.instances += o.instances;
        self.pending += o.pending;
    }

    /// The rows of this accumulator.
    pub fn rows(&self, minute: u64, dimension: Dimension, out: &mut Vec<MetricRow>) {
        let pct = |a: f64, b: f64| if b > 0.0 { 100.0 * a / b } else { 0.0 };
        let mut row = |metric: &'static str, value: f64, samples: u64| {
            out.push(MetricRow { minute, metric, dimension, value, samples });
        };
        row("Invocations", self.invocations as f64, self.invocations);
        let per_instance =
            if self.instances > 0 { self.invocations as f64 / self.instances as f64 } else { self.invocations as f64 };
        row("InvocationsPerInstance", per_instance, self.invocations);
        row("ModelLatency", self.model_latency.mean(), self.model_latency.n);
        row("OverheadLatency", self.overhead_latency.mean(), self.overhead_latency.n);
        let hit = if self.invocations > 0 { self.hits as f64 / self.invocations as f64 } else { 0.0 };
        row("ModelCacheHit", hit, self.invocations);
        row("ModelLoadingWaitTime", self.loading_wait.mean(), self.loading_wait.n);
        row("ModelDownloadingTime", self.downloading.mean(), self.downloading.n);
        row("ModelLoadingTime", self.loading.mean(), self.loading.n);
        row("ModelUnloadingTime", self.unloading.mean(), self.unloading.n);
        row("LoadedModelCount", self.loaded as f64, 1);
        row("CPUUtilization", pct(self.busy_ns as f64, self.slot_ns as f64), 1);
        row("MemoryUtilization", pct(self.mem_used as f64, self.mem_cap as f64), 1);
        row("DiskUtilization", pct(self.disk_used as f64, self.disk_cap as f64), 1);
        row("InstanceCount", self.instances as f64, 1);
        row("PendingInstanceCount", self.pending as f64, 1);
        row("Invocation4XXErrors", self.errors_4xx as f64, self.errors_4xx);
        row("Invocation5XXErrors", self.errors_5xx as f64, self.errors_5xx);
    }
}

/// The metric names, in the order each dimension's rows come.
pub const METRIC_NAMES: [&str; 17] = [
    "Invocations",
    "InvocationsPerInstance",
    "ModelLatency",
    "OverheadLatency",
    "ModelCacheHit",
    "ModelLoadingWaitTime",
    "ModelDownloadingTime",
    "ModelLoadingTime",
    "ModelUnloadingTime",
    "LoadedModelCount",
    "CPUUtilization",
    "MemoryUtilization",
    "DiskUtilization",
    "InstanceCount",
    "PendingInstanceCount",
    "Invocation4XXErrors",
    "Invocation5XXErrors",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names_are_the_rows_in_order() {
        let mut rows = Vec::new();
        MinuteAcc::default().rows(3, Dimension::Zone(1), &mut rows);
        let names: Vec<&str> = rows.iter().map(|r| r.metric).collect();
        assert_eq!(names, METRIC_NAMES);
        assert!(rows.iter().all(|r| r.minute == 3 && r.dimension == Dimension::Zone(1)));
    }
}
