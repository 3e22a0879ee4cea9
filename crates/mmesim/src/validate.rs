//! Validation against published measurements: a scenario that reproduces a
//! published experiment carries, in its `[validation]` table, the figures
//! the publication reports; [`validate`] runs it and compares.
//!
//! ```text
//!  scenario.toml ─┬─ the experiment's inputs (instance, models, traffic) ──► run(s) ──► simulated
//!                 └─ [validation] figures: published values, targets,     ─────────► table:
//!                    pinned error bounds                                              published · simulated · error
//! ```
//!
//! A figure names a CloudWatch metric of the endpoint (averaged over the
//! comparison window's minutes: counts per minute, times weighted by their
//! sample counts, snapshots and utilisations by minute), `RequestsPerSecond`
//! (Invocations ÷ 60), or a field of the JSON report (`report:latency_ms.p99`).
//! A figure may override scenario fields (`set = { "workload.arrival.users"
//! = 100 }`, the dotted paths sweeps use) to reproduce one point of a
//! published curve. Errors are relative to the mean of the published runs,
//! or absolute (`absolute = true`, for ratios and counts).
//!
//! Key design choice: the inputs come from the publication, never from the
//! outputs compared; a figure's `target` is the accuracy the project aims
//! for, and its `bound` the error the model reaches today, pinned by the
//! tests so that a change that makes the model less faithful fails.

use crate::error::Error;
use crate::scenario::{RunOptions, Scenario};
use mmesim_core::{Dimension, MetricRow};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `[validation]` table of a scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidationSpec {
    /// Where the published figures come from.
    pub source: String,
    /// The simulated minutes compared: `[from_s, to_s)`, whole minutes.
    pub window_s: [f64; 2],
    /// Seeds to run (the simulated value is their mean). Default: the
    /// scenario's seed.
    #[serde(default)]
    pub seeds: Vec<u64>,
    /// The published figures.
    #[serde(default)]
    pub figure: Vec<FigureSpec>,
}

/// One published figure (`[[validation.figure]]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FigureSpec {
    /// What it is, for the table (e.g. "ModelCacheHit").
    pub name: String,
    /// A CloudWatch metric name (`ModelCacheHit`), `RequestsPerSecond`, or
    /// `report:` and a dotted path in the JSON report.
    pub metric: String,
    /// The published value(s): one per published run.
    pub published: Vec<f64>,
    /// Scenario fields to override for this figure (dotted paths).
    #[serde(default)]
    pub set: BTreeMap<String, toml::Value>,
    /// Compare absolute differences (ratios, counts) instead of relative.
    #[serde(default)]
    pub absolute: bool,
    /// The accuracy aimed for (the issue's target).
    pub target: f64,
    /// The error reached today; a larger error is a regression.
    pub bound: f64,
    /// Why the figure misses its target, if it does.
    #[serde(default)]
    pub note: Option<String>,
}

/// One compared figure.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    /// The figure's name.
    pub name: String,
    /// The published runs.
    pub published: Vec<f64>,
    /// The simulated value (mean over seeds).
    pub simulated: f64,
    /// Simulated − published mean, relative unless `absolute`.
    pub error: f64,
    /// Whether `error` is absolute.
    pub absolute: bool,
    /// The target.
    pub target: f64,
    /// The pinned bound.
    pub bound: f64,
    /// `|error| ≤ target`.
    pub meets_target: bool,
    /// `|error| ≤ bound` (else: a regression).
    pub within_bound: bool,
    /// The figure's note.
    pub note: Option<String>,
}

/// The whole comparison of one scenario.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Validation {
    /// The scenario's name.
    pub name: String,
    /// Where the published figures come from.
    pub source: String,
    /// The figures, in file order.
    pub figures: Vec<Comparison>,
}

impl Validation {
    /// Whether every figure is within its pinned bound.
    pub fn within_bounds(&self) -> bool {
        self.figures.iter().all(|f| f.within_bound)
    }
}

/// Whether a metric is averaged over the window by its sample counts: the
/// per-request times (the metrics CloudWatch keeps in microseconds) and
/// the hit ratio; the others are per-minute values (sums, snapshots,
/// utilisations) averaged plainly.
fn weighted(metric: &str) -> bool {
    metric == "ModelCacheHit" || crate::cloudwatch::MICROSECOND_METRICS.contains(&metric)
}

fn window_mean(rows: &[MetricRow], metric: &str, from_min: u64, to_min: u64) -> Option<f64> {
    let rows = rows
        .iter()
        .filter(|r| r.dimension == Dimension::Endpoint && r.metric == metric && (from_min..to_min).contains(&r.minute));
    let (mut sum, mut weight) = (0.0, 0.0);
    let weighted = weighted(metric);
    for r in rows {
        let w = if weighted { r.samples as f64 } else { 1.0 };
        sum += r.value * w;
        weight += w;
    }
    (weight > 0.0).then(|| sum / weight)
}

fn report_field(report: &serde_json::Value, path: &str) -> Option<f64> {
    path.split('.').try_fold(report, |v, k| v.get(k))?.as_f64()
}

/// Runs the scenario's validation: every figure's scenario (with its
/// overrides) on every seed, compared with the published values. Errors
/// name the file and the figure.
pub fn validate(base: &Scenario, origin: &str) -> Result<Validation, Error> {
    let Some(spec) = &base.validation else {
        return Err(Error::invalid(origin, "validation", "this scenario has no `[validation]` table"));
    };
    let [from_s, to_s] = spec.window_s;
    if !(from_s.is_finite() && to_s.is_finite() && 0.0 <= from_s && from_s + 60.0 <= to_s) {
        return Err(Error::invalid(
            origin,
            "validation.window_s",
            format!("needs 0 ≤ from and at least a minute to `to`, got [{from_s}, {to_s}]"),
        ));
    }
    let (from_min, to_min) = ((from_s / 60.0).floor() as u64, (to_s / 60.0).floor() as u64);
    let seeds = if spec.seeds.is_empty() { vec![base.seed] } else { spec.seeds.clone() };
    // Runs are shared by the figures with the same overrides.
    let mut runs: BTreeMap<String, Vec<(serde_json::Value, Vec<MetricRow>)>> = BTreeMap::new();
    let mut figures = Vec::new();
    for (i, f) in spec.figure.iter().enumerate() {
        let field = |k: &str| format!("validation.figure[{i}].{k}");
        if f.published.is_empty() || f.published.iter().any(|v| !v.is_finite()) {
            return Err(Error::invalid(origin, &field("published"), "needs one or more finite values"));
        }
        if !(f.target.is_finite() && f.target >= 0.0 && f.bound.is_finite() && f.bound >= 0.0) {
            return Err(Error::invalid(origin, &field("bound"), "`target` and `bound` must be ≥ 0"));
        }
        let key = serde_json::to_string(&f.set).unwrap_or_default();
        if !runs.contains_key(&key) {
            let mut s = base.clone();
            if !f.set.is_empty() {
                s = s
                    .with_overrides(&f.set, origin)
                    .map_err(|e| Error::invalid(origin, &field("set"), e.message().to_string()).with_source(e))?;
            }
            let mut out = Vec::new();
            for &seed in &seeds {
                let mut s = s.clone();
                s.seed = seed;
                let r = s.run_with(RunOptions { record_metrics: true, ..Default::default() })?;
                let json = serde_json::to_value(&r.report).unwrap_or_default();
                out.push((json, r.metrics));
            }
            runs.insert(key.clone(), out);
        }
        let known = f.metric == "RequestsPerSecond" || mmesim_core::METRIC_NAMES.contains(&f.metric.as_str());
        let values: Vec<f64> = runs[&key]
            .iter()
            .map(|(report, rows)| match f.metric.strip_prefix("report:") {
                Some(path) => report_field(report, path).ok_or_else(|| {
                    Error::invalid(origin, &field("metric"), format!("the JSON report has no number at `{path}`"))
                }),
                None if !known => Err(Error::invalid(
                    origin,
                    &field("metric"),
                    format!(
                        "unknown metric `{}`: a CloudWatch name ({}), RequestsPerSecond, or report:PATH",
                        f.metric,
                        mmesim_core::METRIC_NAMES.join(", ")
                    ),
                )),
                // A metric with no sample in the window (no load happened)
                // has no value to compare: NaN, shown as "no samples".
                None if f.metric == "RequestsPerSecond" => {
                    Ok(window_mean(rows, "Invocations", from_min, to_min).map_or(f64::NAN, |v| v / 60.0))
                }
                None => Ok(window_mean(rows, &f.metric, from_min, to_min).unwrap_or(f64::NAN)),
            })
            .collect::<Result<_, _>>()?;
        let simulated = values.iter().sum::<f64>() / values.len() as f64;
        let published_mean = f.published.iter().sum::<f64>() / f.published.len() as f64;
        let error = if f.absolute {
            simulated - published_mean
        } else if published_mean != 0.0 {
            (simulated - published_mean) / published_mean
        } else {
            f64::INFINITY
        };
        figures.push(Comparison {
            name: f.name.clone(),
            published: f.published.clone(),
            simulated,
            error,
            absolute: f.absolute,
            target: f.target,
            bound: f.bound,
            meets_target: error.abs() <= f.target,
            within_bound: error.abs() <= f.bound,
            note: f.note.clone(),
        });
    }
    Ok(Validation { name: base.name.clone(), source: spec.source.clone(), figures })
}

fn num(v: f64) -> String {
    if v.is_nan() {
        return "no samples".into();
    }
    let a = v.abs();
    if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

fn err(v: f64, absolute: bool) -> String {
    if v.is_nan() {
        "—".into()
    } else if absolute {
        format!("{v:+.3}")
    } else {
        format!("{:+.1} %", v * 100.0)
    }
}

/// The comparison as a Markdown table (what `mmesim validate` prints, and
/// what docs/VALIDATION.md quotes).
pub fn table(v: &Validation) -> String {
    let mut s = format!("{}\nsource: {}\n\n", v.name, v.source);
    s.push_str("| figure | published | simulated | error | target | bound | |\n");
    s.push_str("|---|---:|---:|---:|---:|---:|---|\n");
    for f in &v.figures {
        let published = f.published.iter().map(|&x| num(x)).collect::<Vec<_>>().join(" / ");
        let status = match (f.meets_target, f.within_bound) {
            (_, false) => "REGRESSION",
            (true, true) => "meets target",
            (false, true) => "misses target",
        };
        s.push_str(&format!(
            "| {} | {} | {} | {} | ±{} | ±{} | {} |\n",
            f.name,
            published,
            num(f.simulated),
            err(f.error, f.absolute),
            if f.absolute { format!("{}", f.target) } else { format!("{:.0} %", f.target * 100.0) },
            if f.absolute { format!("{}", f.bound) } else { format!("{:.0} %", f.bound * 100.0) },
            status
        ));
    }
    let notes: Vec<String> =
        v.figures.iter().filter_map(|f| f.note.as_ref().map(|n| format!("* {}: {n}\n", f.name))).collect();
    if !notes.is_empty() {
        s.push('\n');
        s.extend(notes);
    }
    s
}
