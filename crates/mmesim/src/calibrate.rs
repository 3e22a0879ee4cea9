//! Calibration: a digital twin of a running endpoint, fitted to the
//! per-minute CloudWatch metrics it publishes.
//!
//! ```text
//!  scenario.toml (what the user knows:        metrics export (get-metric-data JSON or CSV)
//!  type, count, models, traffic)                        │
//!        │                                              ▼
//!        └──► run (seed fixed) ──► window means ◄─► window means (observed)
//!                 ▲                     │ per parameter: its metric's error
//!                 └── coordinate search ┘
//!                     (one parameter at a time, secant + bisection)
//!                                       │
//!                                       ▼
//!           calibrated.toml (the scenario + fitted fields) ──► run · sweep · recommend
//! ```
//!
//! **What is compared.** Every metric is reduced to its mean over the
//! comparison window (by default the scenario's measured minutes, from the
//! end of its warm-up to its end, clipped to the export's minutes; the
//! export's first minute is the scenario's second 0): per-request times
//! (`ModelLatency`, `OverheadLatency`, the loading, downloading and
//! unloading times) weighted by their `SampleCount` when the export has it,
//! `ModelCacheHit` by its `SampleCount` (else by `Invocations`), counts and
//! snapshots (`Invocations`, `LoadedModelCount`, the utilisations,
//! `InstanceCount`) per minute. `CPUUtilization` is read as CloudWatch
//! publishes it, summed over the type's vCPUs, and divided by them;
//! `LoadedModelCount` as its `Average`, the models loaded per instance.
//!
//! **What is fitted** ([`Param`]): each parameter has one metric that
//! identifies it, and is fitted only when the export has that metric with
//! samples in the window; otherwise it keeps the scenario's value and the
//! report says why it is not identifiable.
//!
//! | parameter | scenario field | identified by |
//! |---|---|---|
//! | service-time scale | `models.service_scale` | `ModelLatency` |
//! | vCPUs per request (contention) | `cluster.cpu_per_request` | `CPUUtilization` (CPU types) |
//! | overhead latency | `cluster.request_overhead_ms` | `OverheadLatency` |
//! | download bandwidth | `[[instance_types]]` `s3_stream_mb_per_s`, `download_mb_per_s` | `ModelDownloadingTime` |
//! | per-model memory overhead | `cluster.model_overhead_mib` | `LoadedModelCount` when models were unloaded, else `MemoryUtilization` (CPU types) |
//! | memory watermark | `cluster.memory_watermark` | `MemoryUtilization`, when models were unloaded (CPU types) |
//! | concurrent loads | `cluster.max_concurrent_loads` | `ModelLoadingWaitTime`, when models were loaded |
//! | unload time | `models.unload_ms` | `ModelUnloadingTime`, when models were unloaded |
//! | load overhead | `models.load_overhead_ms` | `ModelLoadingTime`, when models were loaded |
//!
//! A time metric identifies its parameter only with at least
//! [`MIN_SAMPLES`] samples in the window, when the export gives its
//! `SampleCount` (without one, every minute weighs the same and the
//! calibration warns). The overhead latency is fitted to `OverheadLatency`
//! less the loading waits SageMaker counts in it, which needs the
//! `SampleCount` of both.
//! `Invocations` and `ModelLatency` are required; every other metric is
//! optional and identifies its parameter. Traffic is the user's input and
//! never fitted: when the twin's `Invocations` differ from the observed by
//! more than 10 %, the calibration warns.
//!
//! **The search** (key design choice: deterministic, cheap, explainable):
//! Gauss–Seidel coordinate search. In a fixed order, each parameter in turn
//! is moved until its metric matches: a secant step on (parameter, metric)
//! — in log space for scales and bandwidths — kept inside a bracket once
//! one is found (bisection otherwise; a step that leaves the metric where
//! it was is doubled), at most [`CalibrateOptions::max_evals`] runs; whole
//! numbers are searched by their logarithm and rounded. Concurrent loads
//! and the load overhead trade off on the loading time, so every number of
//! concurrent loads tried gets its load overhead fitted anew; likewise the
//! service scale for every number of vCPUs per request (both move the
//! model latency). After the first sweep the twin is run once more on the
//! next seed: a metric's relative difference between the two seeds, its
//! *sampling noise*, becomes its tolerance where it exceeds
//! [`CalibrateOptions::tolerance`] (the endpoint's metrics are one sample
//! of its traffic; a twin closer than that is not closer), capped at
//! [`MAX_NOISE_TOLERANCE`], and estimated again at the end for the report.
//! Sweeps repeat until every fitted metric is within its tolerance or
//! after [`CalibrateOptions::max_sweeps`]. Then each whole-number
//! parameter's neighbours are tried with the continuous parameters
//! refitted (at most [`MAX_POLISH_TRIALS`]), and kept when the fitted
//! metrics' total squared error falls by 5 %. Last, each fitted parameter
//! is probed at +10 % (+1 for whole numbers): its metric's change is its
//! *sensitivity*, and below [`LOOSE_SENSITIVITY`] the parameter is
//! reported loosely determined. Every run uses the scenario's seed (common
//! random numbers: a parameter change moves the metrics smoothly, not
//! through a new sample; only the two noise runs use the next seed), and
//! every candidate value is rounded to four significant digits, so the
//! written scenario reproduces the fitted run exactly.
//!
//! ```
//! use mmesim::calibrate::{calibrate, CalibrateOptions};
//! use mmesim::cloudwatch::{self, ExportOptions};
//! use mmesim::{RunOptions, Scenario};
//!
//! let text = r#"
//!     duration_s = 600.0
//!     warmup_s = 60.0
//!     [cluster]
//!     instance_type = "ml.m5.xlarge"
//!     [models]
//!     count = 20
//!     memory_mib = { dist = "constant", value = 100.0 }
//!     service_ms = 10.0
//!     [workload]
//!     arrival = { process = "poisson", rate_per_s = 20.0 }
//! "#;
//! // The "real" endpoint serves 1.5× slower than the scenario says.
//! let truth = Scenario::from_toml_str(&text.replace("10.0", "15.0"), "truth.toml")?;
//! let out = truth.run_with(RunOptions { record_metrics: true, ..Default::default() })?;
//! let export = cloudwatch::parse_get_metric_data_json(
//!     &cloudwatch::to_get_metric_data_json(&out, &ExportOptions::for_scenario(&truth)?), "metrics.json")?;
//!
//! let twin = calibrate(&Scenario::from_toml_str(text, "s.toml")?, &export, &CalibrateOptions::default(), &|_| {})?;
//! let scale = twin.param("service_scale").and_then(|p| p.fitted).unwrap();
//! assert!((scale - 1.5).abs() < 0.01, "{scale}");
//! // Nothing was unloaded: the watermark cannot be told, and is left alone.
//! assert!(twin.param("memory_watermark").is_some_and(|p| p.fitted.is_none()));
//! # Ok::<(), mmesim::Error>(())
//! ```

use crate::cloudwatch::{Export, Statistic};
use crate::error::Error;
use crate::scenario::{RunOptions, Scenario};
use mmesim_core::{Dimension, MetricRow};
use serde::Serialize;
use std::collections::BTreeMap;

/// How a calibration searches.
#[derive(Clone, Debug, PartialEq)]
pub struct CalibrateOptions {
    /// The compared window, seconds `[from, to)` of the scenario (whole
    /// minutes); `None`: from the end of the warm-up to the end, clipped
    /// to the export.
    pub window_s: Option<[f64; 2]>,
    /// Relative error at which a parameter's metric counts as matched
    /// (default 0.01).
    pub tolerance: f64,
    /// Most runs per parameter per sweep (default 6).
    pub max_evals: u32,
    /// Most sweeps over the parameters (default 4).
    pub max_sweeps: u32,
    /// Parameters to leave at the scenario's value (by [`Param::name`]).
    pub fixed: Vec<String>,
}

impl Default for CalibrateOptions {
    fn default() -> Self {
        CalibrateOptions { window_s: None, tolerance: 0.01, max_evals: 6, max_sweeps: 4, fixed: Vec::new() }
    }
}

/// A parameter the calibration can fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Param {
    /// `models.service_scale`, from `ModelLatency`.
    ServiceScale,
    /// `cluster.cpu_per_request`, from `CPUUtilization`.
    CpuPerRequest,
    /// `cluster.request_overhead_ms`, from `OverheadLatency`.
    RequestOverhead,
    /// One download's bandwidth (the type's S3 and network download rates
    /// scaled together), from `ModelDownloadingTime`.
    DownloadBandwidth,
    /// `cluster.model_overhead_mib`, from `LoadedModelCount` or
    /// `MemoryUtilization`.
    ModelOverhead,
    /// `cluster.memory_watermark`, from `MemoryUtilization`.
    MemoryWatermark,
    /// `cluster.max_concurrent_loads`, from `ModelLoadingWaitTime`.
    LoadConcurrency,
    /// `models.unload_ms`, from `ModelUnloadingTime`.
    UnloadTime,
    /// `models.load_overhead_ms`, from `ModelLoadingTime`.
    LoadOverhead,
}

/// Every parameter, in the order the search visits them: memory first
/// (it decides how much the endpoint thrashes, and no time moves it), then
/// the load path, then the requests' service, CPU and overhead.
pub const PARAMS: [Param; 9] = [
    Param::ModelOverhead,
    Param::MemoryWatermark,
    Param::UnloadTime,
    Param::DownloadBandwidth,
    Param::LoadOverhead,
    Param::LoadConcurrency,
    Param::ServiceScale,
    Param::CpuPerRequest,
    Param::RequestOverhead,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Space {
    /// Positive values searched by their logarithm.
    Log,
    /// Values from 0 searched as they are.
    Linear,
    /// Whole numbers from 1.
    Integer,
}

impl Param {
    /// Its name (`service_scale`, …): in reports and `--fix`.
    pub fn name(self) -> &'static str {
        match self {
            Param::ServiceScale => "service_scale",
            Param::CpuPerRequest => "cpu_per_request",
            Param::RequestOverhead => "request_overhead_ms",
            Param::DownloadBandwidth => "download_mb_per_s",
            Param::ModelOverhead => "model_overhead_mib",
            Param::MemoryWatermark => "memory_watermark",
            Param::LoadConcurrency => "max_concurrent_loads",
            Param::UnloadTime => "unload_ms",
            Param::LoadOverhead => "load_overhead_ms",
        }
    }

    /// The parameter called `name`.
    pub fn from_name(name: &str) -> Option<Param> {
        PARAMS.into_iter().find(|p| p.name() == name)
    }

    /// What it is, for people.
    pub fn description(self) -> &'static str {
        match self {
            Param::ServiceScale => "factor on every service time",
            Param::CpuPerRequest => "vCPUs one request keeps busy (contention)",
            Param::RequestOverhead => "fixed overhead latency per request, ms",
            Param::DownloadBandwidth => "bandwidth of one download alone, MB/s",
            Param::ModelOverhead => "container memory per loaded model beyond its footprint, MiB",
            Param::MemoryWatermark => "share of RAM in use at which models are unloaded",
            Param::LoadConcurrency => "loads that run at once per instance",
            Param::UnloadTime => "time an unload takes, ms",
            Param::LoadOverhead => "CPU time a load spends after reading its artifact, ms",
        }
    }

    /// The metric that identifies it (for the memory overhead: the one
    /// used when models were unloaded).
    pub fn metric(self, unloads: bool) -> &'static str {
        match self {
            Param::ServiceScale => "ModelLatency",
            Param::CpuPerRequest => "CPUUtilization",
            Param::RequestOverhead => OVERHEAD_NO_WAIT,
            Param::DownloadBandwidth => "ModelDownloadingTime",
            Param::ModelOverhead if unloads => "LoadedModelCount",
            Param::ModelOverhead | Param::MemoryWatermark => "MemoryUtilization",
            Param::LoadConcurrency => "ModelLoadingWaitTime",
            Param::UnloadTime => "ModelUnloadingTime",
            Param::LoadOverhead => "ModelLoadingTime",
        }
    }

    fn space(self) -> Space {
        match self {
            Param::ServiceScale | Param::DownloadBandwidth | Param::MemoryWatermark | Param::UnloadTime => Space::Log,
            Param::RequestOverhead | Param::ModelOverhead | Param::LoadOverhead => Space::Linear,
            Param::CpuPerRequest | Param::LoadConcurrency => Space::Integer,
        }
    }
}

/// Status of one parameter after the search.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamStatus {
    /// Its metric matches within the tolerance.
    Fitted,
    /// The best value found; its metric still misses by more than the
    /// tolerance (often: at a bound, or another parameter limits it).
    BestEffort,
    /// Kept at the scenario's value: the metrics do not identify it (see
    /// the reason).
    NotIdentifiable,
    /// Kept at the scenario's value, as asked (`fixed`).
    Fixed,
}

/// One parameter's outcome.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParamFit {
    /// [`Param::name`].
    pub name: &'static str,
    /// [`Param::description`].
    pub description: &'static str,
    /// The metric that identifies it.
    pub metric: &'static str,
    /// The scenario's value before calibration.
    pub initial: f64,
    /// The fitted value (`None` unless fitted or best effort).
    pub fitted: Option<f64>,
    /// The outcome.
    pub status: ParamStatus,
    /// Why it was not fitted, or what limits it.
    pub reason: Option<String>,
    /// How much its metric moves, relative, when the fitted value grows by
    /// 10 % (by 1 for whole numbers), the others as fitted: the smaller,
    /// the more loosely the metric determines it (a metric off by 1 % moves
    /// the value by about 10 % / |sensitivity| × 1 %).
    pub sensitivity: Option<f64>,
    /// The scenario fields the calibration writes for it.
    pub fields: Vec<String>,
}

/// One metric: observed against the scenario before and after.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricFit {
    /// CloudWatch's name.
    pub metric: &'static str,
    /// The observed window mean.
    pub observed: f64,
    /// The scenario's before calibration.
    pub initial: Option<f64>,
    /// The twin's.
    pub simulated: Option<f64>,
    /// Twin − observed: relative, or absolute for `ModelCacheHit`.
    pub error: Option<f64>,
    /// Whether `error` is absolute.
    pub absolute: bool,
    /// The relative error under which it counts as matched: the larger of
    /// [`CalibrateOptions::tolerance`] and its sampling noise — the twin's
    /// difference between its seed and the next, relative to the observed
    /// value, measured after the first sweep and again at the end — at
    /// most [`MAX_NOISE_TOLERANCE`]. `None` for a ratio compared in
    /// absolute terms (`ModelCacheHit`).
    pub tolerance: Option<f64>,
    /// The parameter it identified, if it was fitted.
    pub fits: Option<&'static str>,
}

/// A calibration's result: the twin and how well it fits.
#[derive(Clone, Debug, Serialize)]
pub struct Calibration {
    /// The scenario's name.
    pub scenario: String,
    /// The export it was fitted to.
    pub metrics_file: String,
    /// The compared minutes, `[from, to)`.
    pub window_min: [u64; 2],
    /// Simulated runs the search took.
    pub runs: u32,
    /// Sweeps over the parameters.
    pub sweeps: u32,
    /// Every parameter, in [`PARAMS`] order.
    pub parameters: Vec<ParamFit>,
    /// Every metric the export has at the endpoint.
    pub metrics: Vec<MetricFit>,
    /// What to look at before trusting the twin.
    pub warnings: Vec<String>,
    /// The scenario fields the calibration sets (dotted paths).
    pub set: BTreeMap<String, toml::Value>,
    /// The calibrated scenario, as TOML (a header comment, then the
    /// scenario with the fitted fields).
    #[serde(skip)]
    pub scenario_toml: String,
    /// The calibrated scenario.
    #[serde(skip)]
    pub twin: Scenario,
}

impl Calibration {
    /// The outcome of the parameter called `name`.
    pub fn param(&self, name: &str) -> Option<&ParamFit> {
        self.parameters.iter().find(|p| p.name == name)
    }

    /// The fit of `metric`.
    pub fn metric(&self, metric: &str) -> Option<&MetricFit> {
        self.metrics.iter().find(|m| m.metric == metric)
    }
}

/// Where the search is (for a progress bar).
#[derive(Clone, Copy, Debug)]
pub struct Progress<'a> {
    /// Runs so far.
    pub runs: u32,
    /// The sweep (1-based).
    pub sweep: u32,
    /// The parameter being fitted.
    pub param: &'a str,
}

// ---------------------------------------------------------------------------
// Window means

/// Below this |sensitivity| (relative change of the metric for +10 % of
/// the parameter, or +1), a fitted parameter is reported loosely
/// determined.
pub const LOOSE_SENSITIVITY: f64 = 0.02;

/// Largest tolerance a metric's seed-to-seed noise sets.
pub const MAX_NOISE_TOLERANCE: f64 = 0.2;

/// Seed-to-seed noise above which a metric gets a warning.
const NOISY: f64 = 0.1;

/// Most neighbours of whole-number parameters tried, each with the
/// continuous parameters refitted, after the coordinate search.
pub const MAX_POLISH_TRIALS: u32 = 8;

/// Fewest samples of a time metric in the window that identify its
/// parameter (below, one slow download or load sways the mean).
pub const MIN_SAMPLES: f64 = 30.0;

/// Metrics compared, in report order.
const COMPARED: [&str; 14] = [
    "Invocations",
    "ModelLatency",
    "OverheadLatency",
    "ModelCacheHit",
    "LoadedModelCount",
    "ModelLoadingWaitTime",
    "ModelDownloadingTime",
    "ModelLoadingTime",
    "ModelUnloadingTime",
    "CPUUtilization",
    "MemoryUtilization",
    "DiskUtilization",
    "InstanceCount",
    "Invocation5XXErrors",
];

fn is_time(metric: &str) -> bool {
    crate::cloudwatch::MICROSECOND_METRICS.contains(&metric)
}

/// A window's summary: metric → (mean, total weight).
#[derive(Clone, Debug, Default, PartialEq)]
struct Summary {
    means: BTreeMap<&'static str, (f64, f64)>,
    /// Time metrics whose weights are sample counts (not minutes).
    counted: Vec<&'static str>,
}

impl Summary {
    fn get(&self, metric: &str) -> Option<f64> {
        self.means.get(metric).filter(|m| m.1 > 0.0).map(|m| m.0)
    }

    /// How many samples a time metric has in the window (0 when absent).
    fn samples(&self, metric: &str) -> f64 {
        self.means.get(metric).map_or(0.0, |m| m.1)
    }
}

/// Mean of `value` weighted by `weight` over (minute, value, weight)
/// points in `[from, to)`.
fn mean(points: impl Iterator<Item = (u64, f64, f64)>, from: u64, to: u64) -> (f64, f64) {
    let (mut sum, mut w) = (0.0, 0.0);
    for (m, v, weight) in points {
        if (from..to).contains(&m) && weight > 0.0 {
            sum += v * weight;
            w += weight;
        }
    }
    (if w > 0.0 { sum / w } else { 0.0 }, w)
}

fn observed_summary(export: &Export, from: u64, to: u64, vcpus: u32, warnings: &mut Vec<String>) -> Summary {
    let mut s = Summary::default();
    let mut uncounted = Vec::new();
    let at = |metric: &str, st: Statistic| export.get(metric, st, "endpoint");
    for metric in COMPARED {
        let stat = if metric == "Invocations" || metric == "Invocation5XXErrors" {
            Statistic::Sum
        } else {
            Statistic::Average
        };
        let Some(series) = at(metric, stat) else { continue };
        let counts: Option<BTreeMap<u64, f64>> = if is_time(metric) || metric == "ModelCacheHit" {
            at(metric, Statistic::SampleCount)
                .or_else(|| if metric == "ModelCacheHit" { at("Invocations", Statistic::Sum) } else { None })
                .map(|c| c.points.iter().copied().collect())
        } else {
            None
        };
        // CloudWatch sums CPUUtilization over the vCPUs; mmesim's is their share.
        let scale = if metric == "CPUUtilization" { 1.0 / f64::from(vcpus.max(1)) } else { 1.0 };
        if metric == "CPUUtilization" && series.points.iter().any(|p| p.1 > 100.0 * f64::from(vcpus.max(1)) + 1e-9) {
            warnings.push(format!(
                "CPUUtilization exceeds {} %, the most {vcpus} vCPUs can show: is the export of this instance type?",
                100 * vcpus
            ));
        }
        if counts.is_some() {
            s.counted.push(metric);
        } else if is_time(metric) {
            uncounted.push(metric);
        }
        let points = series.points.iter().map(|&(m, v)| {
            let w = match &counts {
                Some(c) => c.get(&m).copied().unwrap_or(0.0),
                None => 1.0,
            };
            (m, v * scale, w)
        });
        s.means.insert(metric, mean(points, from, to));
    }
    if !uncounted.is_empty() {
        warnings.push(format!(
            "no SampleCount for {}: every minute weighs the same, and the {MIN_SAMPLES}-sample rule cannot be applied",
            uncounted.join(", ")
        ));
    }
    // The residual needs sample counts, not minutes, as weights.
    if export.get("OverheadLatency", Statistic::SampleCount, "endpoint").is_some()
        && export.get("ModelLoadingWaitTime", Statistic::SampleCount, "endpoint").is_some()
    {
        s.derive();
    }
    s
}

/// The simulated window means, weighted as the observed ones are: a time
/// metric the export gives with its `SampleCount` by the samples, one
/// without by the minutes that have samples (CloudWatch has no datapoint
/// for a minute without).
fn simulated_summary(rows: &[MetricRow], from: u64, to: u64, counted: &[&str]) -> Summary {
    let mut s = Summary::default();
    // LoadedModelCount's Average is per instance in CloudWatch; the rows
    // hold the endpoint's sum.
    let instances: BTreeMap<u64, f64> = rows
        .iter()
        .filter(|r| r.dimension == Dimension::Endpoint && r.metric == "InstanceCount")
        .map(|r| (r.minute, r.value.max(1.0)))
        .collect();
    for metric in COMPARED {
        let weighted = is_time(metric) || metric == "ModelCacheHit";
        let points = rows.iter().filter(|r| r.dimension == Dimension::Endpoint && r.metric == metric).map(|r| {
            let v = if metric == "LoadedModelCount" {
                r.value / instances.get(&r.minute).copied().unwrap_or(1.0)
            } else {
                r.value
            };
            let w = if !weighted {
                1.0
            } else if metric == "ModelCacheHit" || counted.contains(&metric) {
                r.samples as f64
            } else if r.samples > 0 {
                1.0
            } else {
                0.0
            };
            (r.minute, v, w)
        });
        s.means.insert(metric, mean(points, from, to));
    }
    s.derive();
    s
}

/// `OverheadLatency` without the loading waits it includes (SageMaker
/// counts a request's wait for its model as overhead): the mean overhead
/// left once the waits are taken out, `(OL·n_OL − LW·n_LW) / n_OL`. It
/// needs both sample counts.
const OVERHEAD_NO_WAIT: &str = "OverheadLatency without loading waits";

impl Summary {
    fn derive(&mut self) {
        if let (Some(&(ol, n_ol)), Some(&(lw, n_lw))) =
            (self.means.get("OverheadLatency"), self.means.get("ModelLoadingWaitTime"))
        {
            if n_ol > 0.0 {
                self.means.insert(OVERHEAD_NO_WAIT, (((ol * n_ol - lw * n_lw) / n_ol).max(0.0), n_ol));
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The parameters in a scenario

/// Rounds to four significant digits (what the calibrated file holds).
fn round4(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let e = x.abs().log10().floor() as i32 - 3;
    let p = 10f64.powi(e.abs());
    if e >= 0 {
        (x / p).round() * p
    } else {
        (x * p).round() / p
    }
}

/// The base scenario's source with everything a parameter writes made
/// addressable, and what it needs to know.
struct Base {
    table: toml::Table,
    dir: std::path::PathBuf,
    /// Index of the `[[instance_types]]` entry of the endpoint's type.
    type_entry: usize,
    /// Whether the scenario has that entry (else it is appended when needed).
    type_entry_exists: bool,
    /// The type's name.
    type_name: String,
    /// The type's download rates (MB/s): one S3 stream, the instance.
    s3_stream: f64,
    download: f64,
    streams: u32,
    slots: u32,
    gpu: bool,
}

impl Base {
    fn new(s: &Scenario, origin: &str) -> Result<(Base, BTreeMap<Param, f64>), Error> {
        let Some(table) = s.source.clone() else {
            return Err(Error::invalid_in(origin, "calibration needs a scenario read from TOML"));
        };
        let cat = s.catalog(origin)?;
        let ty = cat.get(&s.cluster.instance_type).cloned().ok_or_else(|| {
            Error::invalid(
                origin,
                "cluster.instance_type",
                format!("unknown instance type `{}`", s.cluster.instance_type),
            )
        })?;
        // The `[[instance_types]]` entry of the endpoint's type: its index,
        // or where one is appended if the download rates are fitted.
        let list = match table.get("instance_types") {
            None => &[][..],
            Some(toml::Value::Array(list)) => list.as_slice(),
            Some(_) => return Err(Error::invalid(origin, "instance_types", "must be a list of tables")),
        };
        let found = list.iter().position(|t| t.get("name").and_then(|n| n.as_str()) == Some(&s.cluster.instance_type));
        let (type_entry, type_entry_exists) = match found {
            Some(i) => (i, true),
            None => (list.len(), false),
        };
        let s3_stream = ty.s3_stream_bytes_per_s / 1e6;
        let download = ty.download_bytes_per_s / 1e6;
        let streams = ty.download_streams;
        let one = if streams == 0 { download } else { download.min(f64::from(streams) * s3_stream) };
        let slots = ty.slots();
        let vcpus = ty.vcpus.max(1);
        let initial = BTreeMap::from([
            (Param::ServiceScale, s.models.service_scale),
            (Param::CpuPerRequest, f64::from(s.cluster.cpu_per_request)),
            (Param::RequestOverhead, s.cluster.request_overhead_ms),
            (Param::DownloadBandwidth, one),
            (Param::ModelOverhead, ty.model_overhead.as_mib()),
            (Param::MemoryWatermark, ty.memory_watermark),
            (
                Param::LoadConcurrency,
                f64::from(match s.cluster.max_concurrent_loads.unwrap_or(0) {
                    0 => vcpus,
                    n => n,
                }),
            ),
            (Param::UnloadTime, s.models.unload_ms),
            (Param::LoadOverhead, s.models.load_overhead_ms),
        ]);
        let base = Base {
            table,
            dir: s.base_dir().to_path_buf(),
            type_entry,
            type_entry_exists,
            type_name: s.cluster.instance_type.clone(),
            s3_stream,
            download,
            streams,
            slots,
            gpu: ty.gpu.is_some(),
        };
        Ok((base, initial))
    }

    /// The fields `p` at `v` writes.
    fn fields(&self, p: Param, v: f64) -> Vec<(String, toml::Value)> {
        let f = |path: &str, v: toml::Value| (path.to_string(), v);
        let int = |v: f64| toml::Value::Integer(v.round() as i64);
        match p {
            Param::ServiceScale => vec![f("models.service_scale", toml::Value::Float(v))],
            Param::CpuPerRequest => vec![f("cluster.cpu_per_request", int(v))],
            Param::RequestOverhead => vec![f("cluster.request_overhead_ms", toml::Value::Float(v))],
            Param::DownloadBandwidth => {
                let one = if self.streams == 0 {
                    self.download
                } else {
                    self.download.min(f64::from(self.streams) * self.s3_stream)
                };
                let k = v / one;
                let i = self.type_entry;
                vec![
                    f(
                        &format!("instance_types.{i}.s3_stream_mb_per_s"),
                        toml::Value::Float(round4(self.s3_stream * k)),
                    ),
                    f(&format!("instance_types.{i}.download_mb_per_s"), toml::Value::Float(round4(self.download * k))),
                ]
            }
            Param::ModelOverhead => vec![f("cluster.model_overhead_mib", toml::Value::Float(v))],
            Param::MemoryWatermark => vec![f("cluster.memory_watermark", toml::Value::Float(v))],
            Param::LoadConcurrency => vec![f("cluster.max_concurrent_loads", int(v))],
            Param::UnloadTime => vec![f("models.unload_ms", toml::Value::Float(v))],
            Param::LoadOverhead => vec![f("models.load_overhead_ms", toml::Value::Float(v))],
        }
    }

    /// The scenario with the parameters at `values` (those in `set`).
    fn scenario(&self, values: &BTreeMap<Param, f64>, set: &[Param], origin: &str) -> Result<Scenario, Error> {
        let mut t = self.table.clone();
        if set.contains(&Param::DownloadBandwidth) && !self.type_entry_exists {
            let mut entry = toml::Table::new();
            entry.insert("name".into(), toml::Value::String(self.type_name.clone()));
            let list = t.entry("instance_types").or_insert_with(|| toml::Value::Array(Vec::new()));
            if let toml::Value::Array(list) = list {
                list.push(toml::Value::Table(entry));
            }
        }
        for &p in set {
            for (path, v) in self.fields(p, values[&p]) {
                crate::sweep::set_path(&mut t, &path, v).map_err(|m| Error::invalid(origin, &path, m))?;
            }
        }
        let mut s = crate::sweep::scenario_of(&t, &self.dir).map_err(|m| Error::invalid_in(origin, m))?;
        s.source = Some(t);
        Ok(s)
    }

    /// Bounds of `p`.
    fn bounds(&self, p: Param, initial: f64) -> (f64, f64) {
        match p {
            Param::ServiceScale => (0.01, mmesim_workload::MAX_SERVICE_SCALE),
            Param::CpuPerRequest => (1.0, f64::from(self.slots.max(1))),
            Param::RequestOverhead => (0.0, 60_000.0),
            Param::DownloadBandwidth => (initial / 1000.0, initial * 100.0),
            Param::ModelOverhead => (0.0, 65_536.0),
            Param::MemoryWatermark => (0.2, 1.0),
            Param::LoadConcurrency => (1.0, f64::from(self.slots.max(1)).max(64.0)),
            Param::UnloadTime => (0.01, 600_000.0),
            Param::LoadOverhead => (0.0, 600_000.0),
        }
    }
}

// ---------------------------------------------------------------------------
// The search

struct Search<'a> {
    base: &'a Base,
    origin: &'a str,
    from: u64,
    to: u64,
    values: BTreeMap<Param, f64>,
    active: Vec<Param>,
    cache: BTreeMap<Vec<u64>, Summary>,
    /// The time metrics the export weights by their `SampleCount`.
    counted: Vec<&'static str>,
    /// A parameter fitted (to its metric and target) for every value the
    /// parameter being fitted tries.
    inner: Option<(Param, &'static str, f64)>,
    /// Each metric's tolerance (see [`MetricFit::tolerance`]).
    tols: BTreeMap<&'static str, f64>,
    /// Each metric's sampling noise as measured (before the floor and cap).
    noise: BTreeMap<&'static str, f64>,
    tolerance: f64,
    max_evals: u32,
    runs: u32,
    sweep: u32,
    progress: &'a dyn Fn(Progress<'_>),
}

impl Search<'_> {
    fn key(&self) -> Vec<u64> {
        self.active.iter().map(|p| self.values[p].to_bits()).collect()
    }

    /// The window summary of the scenario at the current values.
    fn eval(&mut self, param: Param) -> Result<Summary, Error> {
        let key = self.key();
        if let Some(s) = self.cache.get(&key) {
            return Ok(s.clone());
        }
        let s = self.base.scenario(&self.values, &self.active, self.origin)?;
        let out = s.run_with(RunOptions { record_metrics: true, ..Default::default() })?;
        let sum = simulated_summary(&out.metrics, self.from, self.to, &self.counted);
        self.runs += 1;
        (self.progress)(Progress { runs: self.runs, sweep: self.sweep, param: param.name() });
        self.cache.insert(key, sum.clone());
        Ok(sum)
    }

    /// Sets each metric's tolerance from its sampling noise at the current
    /// values: how much it moves, relative to the observed value, between
    /// this seed and the next. The endpoint's metrics are one sample of its
    /// traffic; a twin closer than that is not closer. One run.
    fn estimate_noise(&mut self, obs: &Summary, floor: f64) -> Result<(), Error> {
        let here = self.eval(Param::ServiceScale)?;
        let mut s = self.base.scenario(&self.values, &self.active, self.origin)?;
        s.seed = s.seed.wrapping_add(1);
        let out = s.run_with(RunOptions { record_metrics: true, ..Default::default() })?;
        self.runs += 1;
        let there = simulated_summary(&out.metrics, self.from, self.to, &self.counted);
        for m in COMPARED.iter().chain([OVERHEAD_NO_WAIT].iter()) {
            let noise = match (here.get(m), there.get(m), obs.get(m)) {
                (Some(a), Some(b), Some(o)) if o != 0.0 => ((b - a) / o).abs(),
                _ => 0.0,
            };
            self.noise.insert(m, noise);
            self.tols.insert(m, noise.clamp(floor, MAX_NOISE_TOLERANCE.max(floor)));
        }
        Ok(())
    }

    /// The tolerance of `metric`.
    fn tol_of(&self, metric: &str) -> f64 {
        self.tols.get(metric).copied().unwrap_or(self.tolerance)
    }

    /// The metric of `p` with `p` at `x` (others as they are, but for
    /// [`inner`](Search::inner), fitted anew for this `x`).
    fn metric_at(&mut self, p: Param, metric: &str, x: f64) -> Result<f64, Error> {
        self.values.insert(p, x);
        if let Some((q, m, target)) = self.inner.take() {
            let fit = self.fit(q, m, target, self.tol_of(m), self.max_evals);
            self.inner = Some((q, m, target));
            fit?;
        }
        Ok(self.eval(p)?.get(metric).unwrap_or(0.0))
    }

    /// Moves `p` until `metric` matches `target`; returns the relative
    /// error reached.
    fn fit(&mut self, p: Param, metric: &str, target: f64, tol: f64, max_evals: u32) -> Result<f64, Error> {
        let (lo, hi) = self.base.bounds(p, self.values[&p]);
        let rel = |f: f64| if target != 0.0 { (f - target) / target } else { f };
        let x0 = self.values[&p];
        let f0 = self.metric_at(p, metric, x0)?;
        let mut best = (x0, f0);
        if rel(f0).abs() <= tol {
            return Ok(rel(f0));
        }
        let space = p.space();
        let to_u = |x: f64| if space == Space::Linear { x } else { x.max(1e-300).ln() };
        let from_u = |u: f64| match space {
            Space::Log => round4(u.exp()).clamp(lo, hi),
            Space::Integer => u.exp().round().clamp(lo, hi),
            Space::Linear => round4(u).clamp(lo, hi),
        };
        // First step: the metric taken as proportional (log) or additive
        // (linear) in the parameter.
        let ratio = if target > 0.0 && f0 > 0.0 { (target / f0).clamp(0.05, 20.0) } else { 2.0 };
        let mut x1 = match p {
            Param::RequestOverhead | Param::LoadOverhead => x0 + (target - f0),
            // LoadedModelCount falls with the overhead; MemoryUtilization rises.
            Param::ModelOverhead if metric == "LoadedModelCount" => (x0 + 100.0) / ratio - 100.0,
            Param::ModelOverhead => (x0 + 100.0) * ratio - 100.0,
            // Times that fall as the parameter grows.
            Param::DownloadBandwidth | Param::LoadConcurrency => x0 / ratio,
            _ => x0 * ratio,
        };
        x1 = from_u(to_u(x1.clamp(lo, hi)));
        if x1 == x0 {
            let decreasing = matches!(p, Param::DownloadBandwidth | Param::LoadConcurrency)
                || (p == Param::ModelOverhead && metric == "LoadedModelCount");
            let up = (target > f0) != decreasing;
            let sign = if up { 1.0 } else { -1.0 };
            x1 = match space {
                Space::Integer => (x0 + sign).clamp(lo, hi),
                Space::Log => from_u(to_u(x0) + 0.1 * sign),
                Space::Linear => from_u(x0 + sign),
            };
            if x1 == x0 {
                return Ok(rel(f0));
            }
        }
        // (u, residual) points; a bracket once the residual changes sign.
        let mut pts: Vec<(f64, f64)> = vec![(to_u(x0), f0 - target)];
        let mut x = x1;
        for _ in 1..max_evals {
            let f = self.metric_at(p, metric, x)?;
            if rel(f).abs() < rel(best.1).abs() {
                best = (x, f);
            }
            if rel(f).abs() <= tol {
                break;
            }
            pts.push((to_u(x), f - target));
            let (ua, ra) = pts[pts.len() - 2];
            let (ub, rb) = pts[pts.len() - 1];
            // Bracket: the closest pair of points with opposite residuals.
            let below = pts.iter().filter(|q| q.1 < 0.0).min_by(|a, b| b.1.total_cmp(&a.1));
            let above = pts.iter().filter(|q| q.1 > 0.0).min_by(|a, b| a.1.total_cmp(&b.1));
            let secant = if rb != ra && ub != ua { ub - rb * (ub - ua) / (rb - ra) } else { f64::NAN };
            let next = match (below, above) {
                (Some(l), Some(h)) => {
                    let (a, b) = (l.0.min(h.0), l.0.max(h.0));
                    if secant.is_finite() && secant > a && secant < b {
                        secant
                    } else {
                        (a + b) / 2.0
                    }
                }
                _ if secant.is_finite() => secant,
                // The metric did not move (a flat stretch: e.g. every model
                // fits at both values): go twice as far the same way.
                _ if ub != ua => ub + 2.0 * (ub - ua),
                _ => break,
            };
            let nx = from_u(next);
            if nx == x || pts.iter().any(|q| from_u(q.0) == nx) {
                // Nothing new to try at four digits: bisect once more or stop.
                break;
            }
            x = nx;
        }
        self.values.insert(p, best.0);
        let f = self.metric_at(p, metric, best.0)?;
        Ok(rel(f))
    }
}

/// Calibrates `base` to `export`: fits the identifiable parameters
/// ([`PARAMS`]) by coordinate search (module docs). `progress` is called
/// after every run. Errors name the export and the series (a missing
/// required metric, no minute in common) or the scenario.
pub fn calibrate(
    base: &Scenario,
    export: &Export,
    opts: &CalibrateOptions,
    progress: &dyn Fn(Progress<'_>),
) -> Result<Calibration, Error> {
    let origin = base.name.clone();
    let file = export.origin.clone();
    if !(opts.tolerance.is_finite() && opts.tolerance > 0.0 && opts.tolerance < 1.0) {
        return Err(Error::usage(format!("--tolerance: must be in (0, 1), got {}", opts.tolerance)));
    }
    if opts.max_evals < 2 || opts.max_sweeps == 0 {
        return Err(Error::usage("calibration needs at least 2 runs per parameter and 1 sweep"));
    }
    for name in &opts.fixed {
        if Param::from_name(name).is_none() {
            let names: Vec<&str> = PARAMS.iter().map(|p| p.name()).collect();
            return Err(Error::usage(format!("--fix: unknown parameter `{name}` (one of {})", names.join(", "))));
        }
    }
    export.require("Invocations", Statistic::Sum, "endpoint")?;
    export.require("ModelLatency", Statistic::Average, "endpoint")?;
    // The window: whole minutes of the scenario that the export covers.
    let last = export.series.iter().flat_map(|s| s.points.last()).map(|p| p.0).max().unwrap_or(0);
    let run_min = (base.duration_s / 60.0).floor() as u64;
    let (from, to) = match opts.window_s {
        Some([a, b]) => {
            if !(a.is_finite() && b.is_finite() && a >= 0.0 && a + 60.0 <= b) {
                return Err(Error::usage(format!("--window: needs 0 ≤ FROM and TO ≥ FROM + 60, got {a},{b}")));
            }
            ((a / 60.0).ceil() as u64, (b / 60.0).floor() as u64)
        }
        None => ((base.warmup_s / 60.0).ceil() as u64, run_min),
    };
    let to = to.min(last + 1).min(run_min);
    if from >= to {
        return Err(Error::invalid_in(
            &file,
            format!(
                "no minute in common: the export covers minutes 0–{last} (from {}), the scenario `{origin}` measures \
                 minutes {from}–{} (after its {} s warm-up, up to its {} s); the export's first minute is the \
                 scenario's second 0",
                crate::cloudwatch::format_rfc3339(export.start_unix_s),
                run_min.saturating_sub(1),
                base.warmup_s,
                base.duration_s
            ),
        ));
    }
    let (b, initial) = Base::new(base, &origin)?;
    let mut warnings = Vec::new();
    let vcpus = crate::cloudwatch::cpu_utilization_vcpus(base)?;
    let obs = observed_summary(export, from, to, vcpus, &mut warnings);
    if obs.samples("ModelLatency") == 0.0 {
        return Err(Error::invalid(
            &file,
            &crate::cloudwatch::label("ModelLatency", Statistic::Average, "endpoint"),
            format!("no samples in the compared minutes {from}–{}", to - 1),
        ));
    }
    let loads = obs.samples("ModelLoadingTime") > 0.0 && obs.get("ModelLoadingTime").is_some_and(|v| v > 0.0);
    let unloads = obs.samples("ModelUnloadingTime") > 0.0 && obs.get("ModelUnloadingTime").is_some_and(|v| v > 0.0);

    // What each parameter can be fitted from.
    let mut plan: Vec<(Param, Result<&'static str, String>)> = Vec::new();
    for p in PARAMS {
        let metric = p.metric(unloads);
        let why = if opts.fixed.iter().any(|f| f == p.name()) {
            Err("fixed (--fix)".to_string())
        } else if p == Param::RequestOverhead && obs.get(metric).is_none() {
            Err("needs OverheadLatency and ModelLoadingWaitTime with their SampleCount (the overhead includes the \
                 waits for loads)"
                .into())
        } else if obs.get(metric).is_none() {
            Err(format!("the export has no `{metric}` with samples in the window"))
        } else if is_time(metric) && obs.counted.contains(&metric) && obs.samples(metric) < MIN_SAMPLES {
            Err(format!(
                "only {} {metric} samples in the window; at least {MIN_SAMPLES} identify it",
                obs.samples(metric)
            ))
        } else {
            match p {
                Param::CpuPerRequest if b.gpu => {
                    Err("GPU types serve on the GPU: CPUUtilization does not measure it".into())
                }
                Param::CpuPerRequest if b.slots <= 1 => Err("the type has one vCPU".into()),
                Param::ModelOverhead | Param::MemoryWatermark if b.gpu => Err(
                    "GPU types hold models in GPU memory; MemoryUtilization is the host's RAM (set gpu_context_mib)"
                        .into(),
                ),
                Param::MemoryWatermark if !unloads => {
                    Err("no unloads in the window: memory never filled, so the watermark was never reached".into())
                }
                Param::UnloadTime if !unloads => Err("no unloads in the window".into()),
                Param::LoadOverhead
                    if !base.models.list.is_empty()
                        && base.models.list.iter().all(|m| m.load_overhead_ms.is_some()) =>
                {
                    Err("every model of `[[models.list]]` sets its own load_overhead_ms".into())
                }
                Param::LoadOverhead | Param::LoadConcurrency if !loads => Err("no loads in the window".into()),
                Param::LoadConcurrency if obs.samples("ModelLoadingWaitTime") == 0.0 => {
                    Err("no request waited for a load in the window".into())
                }
                Param::RequestOverhead if obs.samples("OverheadLatency") == 0.0 => {
                    Err("no OverheadLatency samples in the window".into())
                }
                _ => Ok(metric),
            }
        };
        plan.push((p, why));
    }
    let active: Vec<Param> = plan.iter().filter(|(_, w)| w.is_ok()).map(|(p, _)| *p).collect();
    let mut search = Search {
        base: &b,
        origin: &origin,
        from,
        to,
        values: initial.clone(),
        active: active.clone(),
        cache: BTreeMap::new(),
        counted: obs.counted.clone(),
        inner: None,
        tols: BTreeMap::new(),
        noise: BTreeMap::new(),
        tolerance: opts.tolerance,
        max_evals: opts.max_evals,
        runs: 0,
        sweep: 1,
        progress,
    };
    let first = search.eval(Param::ServiceScale)?;
    let fitted: Vec<(Param, &'static str)> =
        plan.iter().filter_map(|(p, w)| w.as_ref().ok().map(|m| (*p, *m))).collect();
    let rel_of = |sum: &Summary, m: &str| {
        let t = obs.get(m).unwrap_or(0.0);
        let f = sum.get(m).unwrap_or(0.0);
        if t != 0.0 {
            (f - t) / t
        } else {
            f
        }
    };
    // The sum of squared relative errors of the fitted metrics.
    let objective = |sum: &Summary| fitted.iter().map(|(_, m)| rel_of(sum, m).powi(2)).sum::<f64>();
    for sweep in 1..=opts.max_sweeps {
        search.sweep = sweep;
        let before = search.values.clone();
        let block = fitted.iter().any(|f| f.0 == Param::LoadOverhead);
        for &(p, metric) in &fitted {
            let target = obs.get(metric).unwrap_or(0.0);
            match p {
                Param::LoadConcurrency if block => {
                    // Both move the loading time and the wait: every
                    // number of concurrent loads tried gets its own
                    // overhead fitted to the loading time.
                    let loading = obs.get("ModelLoadingTime").unwrap_or(0.0);
                    search.inner = Some((Param::LoadOverhead, "ModelLoadingTime", loading));
                    let fit = search.fit(p, metric, target, search.tol_of(metric), opts.max_evals);
                    search.inner = None;
                    fit?;
                }
                Param::CpuPerRequest if fitted.iter().any(|f| f.0 == Param::ServiceScale) => {
                    // Both move the model latency (a request on more
                    // vCPUs waits longer for them): every number tried gets
                    // its service scale fitted to the latency.
                    let latency = obs.get("ModelLatency").unwrap_or(0.0);
                    search.inner = Some((Param::ServiceScale, "ModelLatency", latency));
                    let fit = search.fit(p, metric, target, search.tol_of(metric), opts.max_evals);
                    search.inner = None;
                    fit?;
                }
                _ => {
                    search.fit(p, metric, target, search.tol_of(metric), opts.max_evals)?;
                }
            }
        }
        // After the first sweep, the twin is near: its sampling noise sets
        // how close the metrics need to come from now on.
        if sweep == 1 && !fitted.is_empty() {
            search.estimate_noise(&obs, opts.tolerance)?;
        }
        // Every metric checked again at the sweep's end values.
        let now = search.eval(Param::ServiceScale)?;
        let all_ok = fitted.iter().all(|(_, m)| rel_of(&now, m).abs() <= search.tol_of(m));
        if all_ok || search.values == before {
            break;
        }
    }
    // Whole-number parameters: a coordinate search can settle where a
    // continuous parameter makes up for a wrong whole number (two loads
    // at a time with no load overhead instead of four with some). Try
    // each one's neighbours, refitting the continuous parameters, and keep
    // a neighbour when the fitted metrics' total squared error falls.
    let integers: Vec<Param> = fitted.iter().map(|f| f.0).filter(|p| p.space() == Space::Integer).collect();
    let mut best_j = objective(&search.eval(Param::ServiceScale)?);
    let mut trials = 0;
    'polish: while best_j > 0.0 {
        let mut improved = false;
        for &p in &integers {
            for step in [-1.0, 1.0] {
                let (lo, hi) = b.bounds(p, initial[&p]);
                let x = search.values[&p] + step;
                if !(lo..=hi).contains(&x) {
                    continue;
                }
                if trials == MAX_POLISH_TRIALS {
                    break 'polish;
                }
                trials += 1;
                let saved = search.values.clone();
                search.values.insert(p, x);
                for &(q, metric) in fitted.iter().filter(|f| f.0.space() != Space::Integer) {
                    let target = obs.get(metric).unwrap_or(0.0);
                    search.fit(q, metric, target, search.tol_of(metric), opts.max_evals)?;
                }
                let j = objective(&search.eval(p)?);
                if j < best_j * 0.95 {
                    best_j = j;
                    improved = true;
                } else {
                    search.values = saved;
                }
            }
        }
        if !improved {
            break;
        }
    }
    let sweeps = search.sweep;
    // The twin's own noise judges it.
    if !fitted.is_empty() {
        search.estimate_noise(&obs, opts.tolerance)?;
    }
    let tols = search.tols.clone();
    for (m, n) in &search.noise {
        if *n > NOISY && obs.get(m).is_some() {
            let capped = if *n > MAX_NOISE_TOLERANCE {
                format!(" (its tolerance stops at {:.0} %)", MAX_NOISE_TOLERANCE * 100.0)
            } else {
                String::new()
            };
            warnings.push(format!(
                "{m} moves by {:.0} % between two seeds of the twin: the window is too short to fit its parameter \
                 closer than that{capped}",
                n * 100.0
            ));
        }
    }
    let tol_of_param = |p: Param| tols.get(p.metric(unloads)).copied().unwrap_or(opts.tolerance);
    let end = search.eval(Param::ServiceScale)?;
    let errors: BTreeMap<Param, f64> = fitted.iter().map(|&(p, m)| (p, rel_of(&end, m))).collect();
    // A whole number that misses its metric is fitted when its neighbours
    // fit worse overall (the polish above tried them).
    let nearest_whole: Vec<Param> =
        integers.iter().copied().filter(|p| errors.get(p).is_some_and(|e| e.abs() > tol_of_param(*p))).collect();
    let values = search.values.clone();
    // How strongly each fitted metric answers its parameter: its relative
    // change for +10 % of the parameter (+1 for whole numbers), the others
    // as fitted. A weak answer means a loosely determined value.
    let mut sensitivity: BTreeMap<Param, f64> = BTreeMap::new();
    for &(p, m) in &fitted {
        let (lo, hi) = b.bounds(p, initial[&p]);
        let x = values[&p];
        let probe = match p.space() {
            Space::Integer if x + 1.0 <= hi => x + 1.0,
            Space::Integer => x - 1.0,
            _ if x > 0.0 && round4(x * 1.1) <= hi => round4(x * 1.1),
            _ if x > 0.0 => round4(x / 1.1),
            _ => continue,
        };
        if !(lo..=hi).contains(&probe) || probe == x {
            continue;
        }
        let f = search.metric_at(p, m, probe)?;
        search.values = values.clone();
        let f0 = end.get(m).unwrap_or(0.0);
        if f0 != 0.0 {
            // Per +10 % (or +1): the probe may have gone the other way.
            let sign = if probe > x { 1.0 } else { -1.0 };
            sensitivity.insert(p, sign * (f - f0) / f0);
        }
    }
    let twin_sum = end;
    let runs = search.runs;
    let twin = b.scenario(&values, &active, &origin)?;

    let parameters: Vec<ParamFit> = plan
        .iter()
        .map(|(p, why)| {
            let fields = b.fields(*p, values[p]).into_iter().map(|(path, _)| path).collect();
            let (fitted, status, reason) = match why {
                Err(r) if r.starts_with("fixed") => (None, ParamStatus::Fixed, Some(r.clone())),
                Err(r) => (None, ParamStatus::NotIdentifiable, Some(r.clone())),
                Ok(m) => {
                    let e = errors.get(p).copied().unwrap_or(0.0);
                    if e.abs() <= tol_of_param(*p) {
                        (Some(values[p]), ParamStatus::Fitted, None)
                    } else if nearest_whole.contains(p) {
                        let reason = format!("the nearest whole number: {m} off by {:+.1} %", e * 100.0);
                        (Some(values[p]), ParamStatus::Fitted, Some(reason))
                    } else {
                        let (lo, hi) = b.bounds(*p, initial[p]);
                        let at = if values[p] <= lo {
                            " at its lower bound"
                        } else if values[p] >= hi {
                            " at its upper bound"
                        } else {
                            ""
                        };
                        (
                            Some(values[p]),
                            ParamStatus::BestEffort,
                            Some(format!("{m} still off by {:+.1} %{at}", e * 100.0)),
                        )
                    }
                }
            };
            ParamFit {
                name: p.name(),
                description: p.description(),
                metric: p.metric(unloads),
                initial: initial[p],
                fitted,
                status,
                reason,
                sensitivity: if fitted.is_some() { sensitivity.get(p).copied() } else { None },
                fields,
            }
        })
        .collect();
    let fits_of =
        |metric: &str| plan.iter().find(|(_, w)| w.as_ref().is_ok_and(|m| *m == metric)).map(|(p, _)| p.name());
    let metrics: Vec<MetricFit> = COMPARED
        .iter()
        .chain([OVERHEAD_NO_WAIT].iter())
        .filter_map(|&m| {
            let observed = obs.get(m)?;
            let absolute = m == "ModelCacheHit";
            let simulated = twin_sum.get(m);
            let error = simulated.map(|s| {
                if absolute {
                    s - observed
                } else if observed != 0.0 {
                    (s - observed) / observed
                } else {
                    s
                }
            });
            Some(MetricFit {
                metric: m,
                observed,
                initial: first.get(m),
                simulated,
                error,
                absolute,
                tolerance: if absolute { None } else { Some(tols.get(m).copied().unwrap_or(opts.tolerance)) },
                fits: fits_of(m),
            })
        })
        .collect();
    if let Some(e) = metrics.iter().find(|m| m.metric == "Invocations").and_then(|m| m.error) {
        if e.abs() > 0.10 {
            warnings.push(format!(
                "the twin's Invocations differ from the observed by {:+.0} %: the scenario's traffic does not match the \
                 endpoint's (calibration fits the endpoint, never the traffic; fix `[workload]` first)",
                e * 100.0
            ));
        }
    }
    for pf in &parameters {
        if let Some(v) = pf.sensitivity.filter(|v| v.abs() < LOOSE_SENSITIVITY) {
            let whole = Param::from_name(pf.name).is_some_and(|p| p.space() == Space::Integer);
            let per = if whole { "1" } else { "10 %" };
            warnings.push(format!(
                "{} is loosely determined: +{per} moves {} by only {:+.1} %, so the metric's own noise moves the \
                 fitted value a lot",
                pf.name,
                pf.metric,
                v * 100.0
            ));
        }
    }
    let mut set = BTreeMap::new();
    for &p in &active {
        for (path, v) in b.fields(p, values[&p]) {
            set.insert(path, v);
        }
    }
    let mut header =
        format!("# Calibrated by `mmesim calibrate` from {file} (minutes {from}–{}, {runs} runs).\n", to - 1);
    for pf in &parameters {
        let line = match (pf.fitted, pf.status) {
            (Some(v), ParamStatus::Fitted) => match &pf.reason {
                Some(r) => format!("fitted {} (was {}): {r}", num(v), num(pf.initial)),
                None => format!("fitted {} (was {})", num(v), num(pf.initial)),
            },
            (Some(v), _) => {
                format!("best effort {} (was {}): {}", num(v), num(pf.initial), pf.reason.as_deref().unwrap_or(""))
            }
            (None, ParamStatus::Fixed) => format!("kept at {}: fixed", num(pf.initial)),
            (None, _) => format!("kept at {}: {}", num(pf.initial), pf.reason.as_deref().unwrap_or("")),
        };
        header.push_str(&format!("#   {}: {line}\n", pf.name));
    }
    let body = twin
        .source
        .as_ref()
        .map(|t| toml::to_string(t).map_err(|e| Error::invalid_in(&origin, format!("cannot write TOML: {e}"))))
        .transpose()?
        .unwrap_or_default();
    Ok(Calibration {
        scenario: base.name.clone(),
        metrics_file: file,
        window_min: [from, to],
        runs,
        sweeps,
        parameters,
        metrics,
        warnings,
        set,
        scenario_toml: if body.ends_with('\n') { header + &body } else { header + &body + "\n" },
        twin,
    })
}

/// A signed error that rounds to zero is written `+0.0 %`, never `-0.0 %`
/// (a difference in the 13th digit, such as between the JSON and the CSV
/// export of the same metrics, is no difference).
fn plus_zero(s: String) -> String {
    match s.strip_prefix('-') {
        Some(rest) if rest.chars().all(|c| matches!(c, '0' | '.' | ' ' | '%')) => format!("+{rest}"),
        _ => s,
    }
}

fn num(v: f64) -> String {
    let a = v.abs();
    if a < 1e-9 {
        "0".to_string()
    } else if (0.001..1e6).contains(&a) {
        // Four significant digits, exactly as the calibrated file holds them.
        format!("{}", round4(v))
    } else if a >= 1000.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{}", round4(v))
    }
}

/// The calibration as text: the parameters, then every metric (what
/// `mmesim calibrate` prints).
pub fn table(c: &Calibration) -> String {
    let mut s = format!(
        "calibrated `{}` to {} (minutes {}–{}): {} runs, {} sweeps\n\n",
        c.scenario,
        c.metrics_file,
        c.window_min[0],
        c.window_min[1] - 1,
        c.runs,
        c.sweeps
    );
    s.push_str("| parameter | initial | fitted | from | sensitivity | status |\n|---|---:|---:|---|---:|---|\n");
    for p in &c.parameters {
        let status = match p.status {
            ParamStatus::Fitted => match &p.reason {
                Some(r) => format!("fitted: {r}"),
                None => "fitted".to_string(),
            },
            ParamStatus::BestEffort => format!("best effort: {}", p.reason.as_deref().unwrap_or("")),
            ParamStatus::NotIdentifiable => format!("not identifiable: {}", p.reason.as_deref().unwrap_or("")),
            ParamStatus::Fixed => "fixed".to_string(),
        };
        let sens = match p.sensitivity {
            None => "—".to_string(),
            Some(v) => format!("{:+.1} %", v * 100.0),
        };
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            p.name,
            num(p.initial),
            p.fitted.map_or("—".to_string(), num),
            p.metric,
            sens,
            status
        ));
    }
    s.push_str("\n| metric | observed | before | twin | error | tolerance |\n|---|---:|---:|---:|---:|---:|\n");
    for m in &c.metrics {
        let e = match m.error {
            None => "—".to_string(),
            Some(e) if m.absolute => plus_zero(format!("{e:+.3}")),
            Some(e) => plus_zero(format!("{:+.1} %", e * 100.0)),
        };
        let v = |x: Option<f64>| x.map_or("—".to_string(), num);
        s.push_str(&format!(
            "| {}{} | {} | {} | {} | {} | {} |\n",
            m.metric,
            if m.fits.is_some() { " *" } else { "" },
            num(m.observed),
            v(m.initial),
            v(m.simulated),
            e,
            m.tolerance.map_or("—".to_string(), |t| format!("±{:.1} %", t * 100.0))
        ));
    }
    s.push_str(
        "\n* fitted: the metric identifies a parameter above\n\
         sensitivity: the change of a parameter's metric when it grows by 10 % (by 1 for whole numbers); \
         the smaller, the looser the fit\n\
         tolerance: the error under which a metric counts as matched: --tolerance, or its difference between \
         two seeds if larger\n",
    );
    for w in &c.warnings {
        s.push_str(&format!("warning: {w}\n"));
    }
    s
}
