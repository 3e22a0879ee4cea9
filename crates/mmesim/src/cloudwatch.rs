//! CloudWatch exports: the per-minute metrics of a run written as the JSON
//! of `aws cloudwatch get-metric-data`, and such exports (or a plain CSV)
//! read back, so a real endpoint's metrics — or a simulated one's — can be
//! compared with a simulation.
//!
//! **Writing:** [`to_get_metric_data_json`] turns a run's per-minute rows
//! ([`RunResult::metrics`], recorded with
//! [`RunOptions::record_metrics`](crate::RunOptions)) into one
//! `MetricDataResult` per metric × statistic × dimension, newest first as
//! AWS returns them, times in **microseconds** as CloudWatch stores them,
//! timestamps from a fixed start ([`ExportOptions::start_unix_s`], never the
//! wall clock). The statistics written are those CloudWatch users export:
//! `Sum` for counts (`Invocations`, `InvocationsPerInstance`,
//! `Invocation4XXErrors`, `Invocation5XXErrors`), `Average` for everything
//! else (and `Sum` too for `LoadedModelCount`), and `SampleCount` as well for the times (how many requests, loads,
//! downloads or unloads the minute's average summarises). Every minute is
//! written, a minute without samples as `Average` 0 with `SampleCount` 0
//! (CloudWatch would leave it out; the readers accept both).
//! [`ExportWriter`] writes the same bytes while a run goes
//! ([`Scenario::run_into`](crate::Scenario::run_into)), holding only the
//! datapoints (at most [`MAX_EXPORT_DATAPOINTS`]), not the run's rows.
//!
//! **Reading:** [`parse_get_metric_data_json`] and [`parse_csv`] give an
//! [`Export`]: [`Series`] of (minute, value) points keyed by metric,
//! [`Statistic`] and dimension. Conventions:
//!
//! - **Label** (JSON): `"<MetricName> <Statistic>"`, optionally followed by
//!   `" <dimension>"` (`ModelLatency Average`, `Invocations Sum
//!   instance=3`); without a dimension the series is the endpoint's
//!   (dimension `endpoint`). Statistics: `Average`, `Sum`, `SampleCount`,
//!   `Maximum`, `Minimum`, `pNN` (`p99`, `p99.9`).
//! - **CSV**: header `timestamp,metric,dimension,statistic,value`, one
//!   datapoint a line; an empty dimension is the endpoint.
//! - **Timestamps**: RFC 3339 (`2026-11-30T10:00:00+00:00`, `…Z`, optional
//!   fraction) at whole minutes, in either order but strictly monotone
//!   within a series; points are numbered in minutes since the earliest
//!   timestamp of the file ([`Export::start_unix_s`]).
//! - **Units**: `ModelLatency`, `OverheadLatency`, `ModelLoadingWaitTime`,
//!   `ModelDownloadingTime`, `ModelLoadingTime` and `ModelUnloadingTime`
//!   are microseconds in CloudWatch and are **converted to milliseconds**
//!   on import (except their `SampleCount`); utilisations are percent,
//!   and `CPUUtilization` is CloudWatch's: the **sum over the instance's
//!   vCPUs** (0–400 % on 4 vCPUs; averaged over instances at the
//!   endpoint), so the writer multiplies mmesim's share of all vCPUs by
//!   [`ExportOptions::vcpus`] and a reader that compares with a simulation
//!   divides by them ([`cpu_utilization_vcpus`]).
//! - **`LoadedModelCount`** is emitted per instance, as SageMaker does:
//!   its `Average` at the endpoint (or a zone) is the models loaded per
//!   instance in service, its `Sum` the models loaded in all (mmesim's
//!   own per-minute rows hold the sum).
//!
//! Bad input is an [`Error`] naming the file and the series: an unknown
//! metric or statistic, an empty series, a duplicate series, timestamps out
//! of order or repeated, a non-finite value, a value impossible for the
//! unit ("wrong units": a negative count or time, a `ModelCacheHit` ratio
//! outside [0, 1]); [`Export::require`] names a missing series.
//!
//! ```
//! use mmesim::cloudwatch::{self, ExportOptions, Statistic};
//!
//! let s = mmesim::Scenario::from_toml_str(r#"
//!     duration_s = 180.0
//!     [cluster]
//!     instance_type = "ml.m5.xlarge"
//!     [models]
//!     count = 5
//!     [workload]
//!     arrival = { process = "poisson", rate_per_s = 5.0 }
//! "#, "doc.toml")?;
//! let out = s.run_with(mmesim::RunOptions { record_metrics: true, ..Default::default() })?;
//! let json = cloudwatch::to_get_metric_data_json(&out, &ExportOptions::default());
//! let back = cloudwatch::parse_get_metric_data_json(&json, "sim.json")?;
//! let inv = back.require("Invocations", Statistic::Sum, "endpoint")?;
//! assert_eq!(inv.points.len(), 3); // three minutes
//! assert_eq!(inv.points[0].0, 0);
//! // Latencies come back in milliseconds.
//! let lat = back.require("ModelLatency", Statistic::Average, "endpoint")?;
//! assert!(lat.points.iter().all(|&(_, ms)| ms >= 0.0));
//! # Ok::<(), mmesim::Error>(())
//! ```

use crate::Error;
use mmesim_core::{Dimension, MetricRow, MinuteSink, RunResult, SinkError, METRIC_NAMES};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;

/// The metrics the readers know: mmesim's ([`METRIC_NAMES`]) and the GPU
/// utilisations SageMaker publishes on GPU instances.
pub fn known_metric(name: &str) -> bool {
    METRIC_NAMES.contains(&name) || matches!(name, "GPUUtilization" | "GPUMemoryUtilization")
}

/// Metrics CloudWatch stores in microseconds (converted to milliseconds on
/// import, from milliseconds on export).
pub const MICROSECOND_METRICS: [&str; 6] = [
    "ModelLatency",
    "OverheadLatency",
    "ModelLoadingWaitTime",
    "ModelDownloadingTime",
    "ModelLoadingTime",
    "ModelUnloadingTime",
];

/// A CloudWatch statistic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Statistic {
    /// The mean of the minute's samples.
    Average,
    /// The sum of the minute's samples.
    Sum,
    /// How many samples the minute has.
    SampleCount,
    /// The largest sample.
    Maximum,
    /// The smallest sample.
    Minimum,
    /// A percentile, in hundredths of a percent (`p99` is 9900, `p99.9`
    /// 9990).
    Percentile(u16),
}

impl Statistic {
    /// Parses `Average`, `Sum`, `SampleCount`, `Maximum`, `Minimum` or
    /// `pNN` (`p50`, `p99`, `p99.9`; at most two decimals).
    pub fn parse(s: &str) -> Option<Statistic> {
        Some(match s {
            "Average" => Statistic::Average,
            "Sum" => Statistic::Sum,
            "SampleCount" => Statistic::SampleCount,
            "Maximum" => Statistic::Maximum,
            "Minimum" => Statistic::Minimum,
            _ => {
                let p = s.strip_prefix('p')?;
                let (int, frac) = p.split_once('.').unwrap_or((p, ""));
                if p.ends_with('.')
                    || int.is_empty()
                    || int.len() > 3
                    || frac.len() > 2
                    || !(int.bytes().chain(frac.bytes())).all(|b| b.is_ascii_digit())
                {
                    return None;
                }
                let int: u16 = int.parse().ok()?;
                let mut hundredths = 0u16;
                for (i, b) in frac.bytes().enumerate() {
                    hundredths += u16::from(b - b'0') * if i == 0 { 10 } else { 1 };
                }
                let v = int.checked_mul(100)?.checked_add(hundredths)?;
                if v > 10000 {
                    return None;
                }
                Statistic::Percentile(v)
            }
        })
    }
}

impl fmt::Display for Statistic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Statistic::Average => f.write_str("Average"),
            Statistic::Sum => f.write_str("Sum"),
            Statistic::SampleCount => f.write_str("SampleCount"),
            Statistic::Maximum => f.write_str("Maximum"),
            Statistic::Minimum => f.write_str("Minimum"),
            Statistic::Percentile(h) if h % 100 == 0 => write!(f, "p{}", h / 100),
            Statistic::Percentile(h) if h % 10 == 0 => write!(f, "p{}.{}", h / 100, (h % 100) / 10),
            Statistic::Percentile(h) => write!(f, "p{}.{:02}", h / 100, h % 100),
        }
    }
}

/// One imported series: a metric's statistic at one dimension, minute by
/// minute.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// SageMaker's metric name (`ModelLatency`).
    pub metric: String,
    /// The statistic.
    pub statistic: Statistic,
    /// `endpoint`, `instance=ID`, `zone=NAME`, or as the export wrote it.
    pub dimension: String,
    /// (minute since [`Export::start_unix_s`], value), oldest first; times
    /// in milliseconds (see the module docs).
    pub points: Vec<(u64, f64)>,
}

/// An imported export: its series sorted by (metric, statistic, dimension).
#[derive(Clone, Debug, PartialEq)]
pub struct Export {
    /// The file it came from (named in errors).
    pub origin: String,
    /// The earliest timestamp of the file, seconds since 1970-01-01 UTC:
    /// minute 0.
    pub start_unix_s: i64,
    /// The series.
    pub series: Vec<Series>,
}

impl Export {
    /// The series of `metric`'s `statistic` at `dimension`, if any.
    pub fn get(&self, metric: &str, statistic: Statistic, dimension: &str) -> Option<&Series> {
        self.series.iter().find(|s| s.metric == metric && s.statistic == statistic && s.dimension == dimension)
    }

    /// Like [`get`](Export::get), but a missing series is an error naming
    /// the file and the series.
    pub fn require(&self, metric: &str, statistic: Statistic, dimension: &str) -> Result<&Series, Error> {
        self.get(metric, statistic, dimension).ok_or_else(|| {
            Error::invalid(
                &self.origin,
                &label(metric, statistic, dimension),
                "missing series: the export has no such metric",
            )
        })
    }

    /// The series at `dimension`.
    pub fn at<'a>(&'a self, dimension: &'a str) -> impl Iterator<Item = &'a Series> + 'a {
        self.series.iter().filter(move |s| s.dimension == dimension)
    }
}

/// The Label of a series: `<metric> <statistic>` and, but for the
/// endpoint, ` <dimension>`.
pub fn label(metric: &str, statistic: Statistic, dimension: &str) -> String {
    if dimension == "endpoint" {
        format!("{metric} {statistic}")
    } else {
        format!("{metric} {statistic} {dimension}")
    }
}

// ---------------------------------------------------------------------------
// Timestamps

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The date of a day since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Seconds since 1970-01-01 UTC of an RFC 3339 timestamp
/// (`2026-11-30T10:00:00+00:00`, `…Z`, `….000Z`; `T` or a space); `None`
/// if it is not one, or not at a whole second.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let t = s.get(r)?;
        if !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let mdays = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&mo) || d == 0 || d > mdays[(mo - 1) as usize] || h > 23 || mi > 59 || se > 59 {
        return None;
    }
    let mut rest = &s[19..];
    let mut frac_zero = true;
    if let Some(f) = rest.strip_prefix('.') {
        let n = f.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        frac_zero = f[..n].bytes().all(|c| c == b'0');
        rest = &f[n..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let rb = rest.as_bytes();
            if rb.len() != 6 || !matches!(rb[0], b'+' | b'-') || rb[3] != b':' {
                return None;
            }
            let oh: i64 = rest[1..3].parse().ok()?;
            let om: i64 = rest[4..6].parse().ok()?;
            if oh > 23 || om > 59 {
                return None;
            }
            let o = oh * 3600 + om * 60;
            if rb[0] == b'-' {
                -o
            } else {
                o
            }
        }
    };
    if !frac_zero {
        return None;
    }
    let secs = days_from_civil(i64::from(y), mo, d) * 86400 + i64::from(h * 3600 + mi * 60 + se);
    Some(secs - offset)
}

/// `2026-11-30T10:00:00+00:00`, as the AWS CLI writes timestamps.
pub fn format_rfc3339(unix_s: i64) -> String {
    let (days, secs) = (unix_s.div_euclid(86400), unix_s.rem_euclid(86400));
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+00:00", secs / 3600, secs / 60 % 60, secs % 60)
}

// ---------------------------------------------------------------------------
// Reading

/// A series as read, before checks: its name for messages, and its
/// (unix seconds, value, line) points in file order.
struct Raw {
    metric: String,
    statistic: Statistic,
    dimension: String,
    /// How errors name it (`series "ModelLatency Average" (Id m1)`).
    name: String,
    points: Vec<(i64, f64, Option<usize>)>,
}

fn at_line(line: Option<usize>) -> String {
    line.map(|l| format!("line {l}: ")).unwrap_or_default()
}

/// Checks the raw series and numbers their points in minutes since the
/// earliest timestamp.
fn finish(origin: &str, raws: Vec<Raw>) -> Result<Export, Error> {
    let mut seen: BTreeMap<(String, Statistic, String), String> = BTreeMap::new();
    for r in &raws {
        if !known_metric(&r.metric) {
            return Err(Error::invalid(origin, &r.name, format!("unknown metric name `{}`", r.metric)));
        }
        if r.points.is_empty() {
            return Err(Error::invalid(origin, &r.name, "empty series: no datapoints"));
        }
        let key = (r.metric.clone(), r.statistic, r.dimension.clone());
        if let Some(first) = seen.insert(key, r.name.clone()) {
            return Err(Error::invalid(
                origin,
                &r.name,
                format!("the same metric, statistic and dimension as {first}"),
            ));
        }
        // Strictly monotone, either way.
        if r.points.len() >= 2 {
            let descending = r.points[1].0 < r.points[0].0;
            for w in r.points.windows(2) {
                let ok = if descending { w[1].0 < w[0].0 } else { w[1].0 > w[0].0 };
                if !ok {
                    let what = if w[1].0 == w[0].0 { "repeated" } else { "out of order" };
                    return Err(Error::invalid(
                        origin,
                        &r.name,
                        format!(
                            "{}timestamp {} {what}: timestamps must be strictly ascending or strictly \
                             descending within a series (this one starts {})",
                            at_line(w[1].2),
                            format_rfc3339(w[1].0),
                            if descending { "descending" } else { "ascending" }
                        ),
                    ));
                }
            }
        }
        let micro = MICROSECOND_METRICS.contains(&r.metric.as_str());
        for &(t, v, line) in &r.points {
            let at = at_line(line);
            if t.rem_euclid(60) != 0 {
                return Err(Error::invalid(
                    origin,
                    &r.name,
                    format!("{at}timestamp {} is not a whole minute", format_rfc3339(t)),
                ));
            }
            if !v.is_finite() {
                return Err(Error::invalid(origin, &r.name, format!("{at}value {v} is not a finite number")));
            }
            if v < 0.0 {
                let unit = if micro && r.statistic != Statistic::SampleCount {
                    "microseconds"
                } else {
                    "a count, ratio or percent"
                };
                return Err(Error::invalid(
                    origin,
                    &r.name,
                    format!("{at}wrong units: value {v} is negative, impossible for {unit}"),
                ));
            }
            let ratio = r.metric == "ModelCacheHit"
                && matches!(
                    r.statistic,
                    Statistic::Average | Statistic::Maximum | Statistic::Minimum | Statistic::Percentile(_)
                );
            if ratio && v > 1.0 {
                return Err(Error::invalid(
                    origin,
                    &r.name,
                    format!(
                        "{at}wrong units: ModelCacheHit {} is a ratio in [0, 1], got {v} (a percentage?)",
                        r.statistic
                    ),
                ));
            }
            if r.statistic == Statistic::SampleCount && v.fract() != 0.0 {
                return Err(Error::invalid(
                    origin,
                    &r.name,
                    format!("{at}wrong units: SampleCount {v} is not a whole number"),
                ));
            }
        }
    }
    let start = raws.iter().flat_map(|r| r.points.iter()).map(|p| p.0).min().unwrap_or(0);
    let mut series: Vec<Series> = raws
        .into_iter()
        .map(|r| {
            let scale = if MICROSECOND_METRICS.contains(&r.metric.as_str()) && r.statistic != Statistic::SampleCount {
                1e-3
            } else {
                1.0
            };
            let mut points: Vec<(u64, f64)> =
                r.points.iter().map(|&(t, v, _)| (((t - start) / 60) as u64, v * scale)).collect();
            points.sort_by_key(|p| p.0);
            Series { metric: r.metric, statistic: r.statistic, dimension: r.dimension, points }
        })
        .collect();
    series.sort_by(|a, b| (&a.metric, a.statistic, &a.dimension).cmp(&(&b.metric, b.statistic, &b.dimension)));
    Ok(Export { origin: origin.to_string(), start_unix_s: start, series })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GmdFile {
    metric_data_results: Vec<GmdResult>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GmdResult {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    timestamps: Vec<String>,
    #[serde(default)]
    values: Vec<f64>,
    #[serde(default)]
    status_code: Option<String>,
}

/// Reads the JSON of `aws cloudwatch get-metric-data` (see the module docs
/// for the Label convention, timestamps and units); `origin` names the file
/// in errors.
pub fn parse_get_metric_data_json(text: &str, origin: &str) -> Result<Export, Error> {
    let file: GmdFile = serde_json::from_str(text).map_err(|e| {
        let what = crate::error::json_message(&e);
        Error::parse(origin, format!("line {}, column {}: not get-metric-data JSON: {what}", e.line(), e.column()))
    })?;
    let mut raws = Vec::with_capacity(file.metric_data_results.len());
    for (i, r) in file.metric_data_results.into_iter().enumerate() {
        let id = r.id.unwrap_or_else(|| format!("#{}", i + 1));
        let label = r.label.unwrap_or_default();
        let name = format!("MetricDataResults[{i}] (Id {id}, Label \"{label}\")");
        let mut parts = label.trim().splitn(3, ' ');
        let metric = parts.next().unwrap_or("").to_string();
        let stat_text = parts.next().unwrap_or("");
        let dimension = parts.next().map(str::trim).filter(|d| !d.is_empty()).unwrap_or("endpoint").to_string();
        if metric.is_empty() || stat_text.is_empty() {
            return Err(Error::invalid(
                origin,
                &name,
                "the Label must be \"<MetricName> <Statistic>\" optionally followed by \" <dimension>\" (e.g. \"ModelLatency Average\")",
            ));
        }
        let statistic = Statistic::parse(stat_text).ok_or_else(|| {
            Error::invalid(
                origin,
                &name,
                format!("unknown statistic `{stat_text}` (Average, Sum, SampleCount, Maximum, Minimum, pNN)"),
            )
        })?;
        if let Some(code) = r.status_code.as_deref() {
            if !matches!(code, "Complete" | "PartialData") {
                return Err(Error::invalid(origin, &name, format!("StatusCode {code}: the query did not complete")));
            }
        }
        if r.timestamps.len() != r.values.len() {
            return Err(Error::invalid(
                origin,
                &name,
                format!("{} Timestamps but {} Values", r.timestamps.len(), r.values.len()),
            ));
        }
        let mut points = Vec::with_capacity(r.values.len());
        for (t, v) in r.timestamps.iter().zip(r.values) {
            let secs = parse_rfc3339(t).ok_or_else(|| {
                Error::invalid(
                    origin,
                    &name,
                    format!("timestamp `{t}` is not RFC 3339 at a whole second (2026-11-30T10:00:00+00:00)"),
                )
            })?;
            points.push((secs, v, None));
        }
        raws.push(Raw { metric, statistic, dimension, name, points });
    }
    finish(origin, raws)
}

/// Reads an export file: the JSON of `get-metric-data` if its first
/// non-blank character is `{`, else the CSV. Errors name the file.
pub fn read_export(path: &std::path::Path) -> Result<Export, Error> {
    let origin = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = crate::error::text_of(&origin, bytes)?;
    if text.trim_start().starts_with('{') {
        parse_get_metric_data_json(&text, &origin)
    } else {
        parse_csv(&text, &origin)
    }
}

/// Reads a CSV with header `timestamp,metric,dimension,statistic,value`
/// (any column order; other columns ignored); an empty dimension is the
/// endpoint. Errors name the file, the line and the field.
pub fn parse_csv(text: &str, origin: &str) -> Result<Export, Error> {
    let mut rdr = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(text.as_bytes());
    let headers = rdr.headers().map_err(|e| Error::parse(origin, format!("line 1: {e}")))?.clone();
    let col = |name: &str| -> Result<usize, Error> {
        headers.iter().position(|h| h.trim() == name).ok_or_else(|| {
            Error::parse(
                origin,
                format!("line 1: no `{name}` column (header `timestamp,metric,dimension,statistic,value`)"),
            )
        })
    };
    let (ct, cm, cd, cs, cv) = (col("timestamp")?, col("metric")?, col("dimension")?, col("statistic")?, col("value")?);
    let mut index: BTreeMap<(String, Statistic, String), usize> = BTreeMap::new();
    let mut raws: Vec<Raw> = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            Error::parse(origin, format!("line {line}: {e}"))
        })?;
        let line = rec.position().map_or(0, |p| p.line() as usize);
        let field = |i: usize| rec.get(i).unwrap_or("").trim();
        let metric = field(cm).to_string();
        let dimension = if field(cd).is_empty() { "endpoint".to_string() } else { field(cd).to_string() };
        let st = field(cs);
        let series = format!("{metric} {st} {dimension}");
        let bad = |col: &str, msg: String| {
            Error::parse(origin, format!("line {line}, column `{col}` (series \"{series}\"): {msg}"))
        };
        let t = field(ct);
        let secs = parse_rfc3339(t).ok_or_else(|| {
            bad("timestamp", format!("`{t}` is not RFC 3339 at a whole second (2026-11-30T10:00:00Z)"))
        })?;
        let statistic = Statistic::parse(st).ok_or_else(|| {
            bad("statistic", format!("unknown statistic `{st}` (Average, Sum, SampleCount, Maximum, Minimum, pNN)"))
        })?;
        let vt = field(cv);
        let value: f64 = vt.parse().map_err(|_| bad("value", format!("`{vt}` is not a number")))?;
        let name = format!("series \"{}\"", label(&metric, statistic, &dimension));
        if !known_metric(&metric) {
            return Err(Error::invalid(
                origin,
                &name,
                format!("line {line}, column `metric`: unknown metric name `{metric}`"),
            ));
        }
        let key = (metric.clone(), statistic, dimension.clone());
        let i = *index.entry(key).or_insert_with(|| {
            raws.push(Raw { metric, statistic, dimension, name, points: Vec::new() });
            raws.len() - 1
        });
        raws[i].points.push((secs, value, Some(line)));
    }
    finish(origin, raws)
}

// ---------------------------------------------------------------------------
// Writing

/// What [`to_get_metric_data_json`] writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportOptions {
    /// The timestamp of minute 0, seconds since 1970-01-01 UTC (default 0:
    /// `1970-01-01T00:00:00+00:00`); must be a whole minute (rounded down).
    pub start_unix_s: i64,
    /// Write the per-instance and per-zone series too (Label
    /// `… instance=ID`, `… zone=NAME`), not only the endpoint's.
    pub all_dimensions: bool,
    /// The instance type's vCPUs on CPU types (1 on GPU types; default 1):
    /// CloudWatch's `CPUUtilization` is the *sum* of the vCPUs'
    /// utilisations (0–400 % on 4 vCPUs), so mmesim's share of all vCPUs
    /// is multiplied by it. [`ExportOptions::for_scenario`] sets it.
    pub vcpus: u32,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions { start_unix_s: 0, all_dimensions: false, vcpus: 1 }
    }
}

impl ExportOptions {
    /// The options for a run of `s`: its type's vCPUs (on CPU types), the
    /// other fields at their defaults.
    pub fn for_scenario(s: &crate::Scenario) -> Result<ExportOptions, Error> {
        Ok(ExportOptions { vcpus: cpu_utilization_vcpus(s)?, ..Default::default() })
    }
}

/// What CloudWatch's `CPUUtilization` of a run of `s` is summed over: the
/// type's vCPUs on CPU types, 1 on GPU types (where mmesim's
/// `CPUUtilization` measures the GPU's slots).
pub fn cpu_utilization_vcpus(s: &crate::Scenario) -> Result<u32, Error> {
    let ty = s.catalog(s.origin())?.get(&s.cluster.instance_type).cloned().ok_or_else(|| {
        Error::invalid(
            s.origin(),
            "cluster.instance_type",
            format!("unknown instance type `{}`", s.cluster.instance_type),
        )
    })?;
    Ok(if ty.gpu.is_some() { 1 } else { ty.vcpus.max(1) })
}

/// (dimension kind: 0 endpoint, 1 zone, 2 instance; its index; metric
/// index; statistic): the order series are written in.
type GroupKey = (u8, u32, usize, Statistic);

/// The statistics written for a metric.
fn statistics_of(metric: &str) -> &'static [Statistic] {
    match metric {
        "Invocations" | "InvocationsPerInstance" | "Invocation4XXErrors" | "Invocation5XXErrors" => &[Statistic::Sum],
        m if MICROSECOND_METRICS.contains(&m) => &[Statistic::Average, Statistic::SampleCount],
        // Per instance (Average) and in all (Sum), as SageMaker emits it.
        "LoadedModelCount" => &[Statistic::Average, Statistic::Sum],
        _ => &[Statistic::Average],
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct OutResult {
    id: String,
    label: String,
    timestamps: Vec<String>,
    values: Vec<f64>,
    status_code: &'static str,
}

/// The file of [`to_get_metric_data_json`], its results made one at a
/// time while it is written.
struct OutFile<'a> {
    groups: &'a BTreeMap<GroupKey, Vec<(u64, f64)>>,
    zones: &'a [String],
    start: i64,
}

impl Serialize for OutFile<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let results = Results(self);
        let mut st = s.serialize_struct("OutFile", 2)?;
        st.serialize_field("MetricDataResults", &results)?;
        st.serialize_field("Messages", &[(); 0])?;
        st.end()
    }
}

struct Results<'a, 'b>(&'a OutFile<'b>);

impl Serialize for Results<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = self.0;
        s.collect_seq(f.groups.iter().map(|(k, points)| out_result(*k, points, f.zones, f.start)))
    }
}

/// The format of a CloudWatch export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// The JSON of `aws cloudwatch get-metric-data`
    /// ([`to_get_metric_data_json`]).
    Json,
    /// The CSV [`parse_csv`] reads ([`to_csv`]).
    Csv,
}

/// Most datapoints [`ExportWriter`] holds for a run written while it goes
/// (`mmesim run --metrics-format cloudwatch-json` or `cloudwatch-csv`):
/// 2²³, about 130 MiB. Both formats list each series whole, so every
/// datapoint is held until the run ends; a run with more (two weeks of an
/// endpoint with 20 instances, all dimensions) stops with an error naming
/// the limit. CloudWatch itself returns at most 100,800 datapoints per
/// `get-metric-data` call. The tidy CSV (`--metrics-format csv`) is written
/// as the run goes and has no such limit.
pub const MAX_EXPORT_DATAPOINTS: usize = 1 << 23;

/// Writes a run's per-minute metrics in a CloudWatch format: a
/// [`MinuteSink`] for [`Scenario::run_into`](crate::Scenario::run_into)
/// that keeps each minute's datapoints (8 bytes of minute, 8 of value;
/// no rows) and writes the file when the run ends, at most
/// [`MAX_EXPORT_DATAPOINTS`] of them
/// ([`unbounded`](ExportWriter::unbounded) lifts the limit). The same
/// bytes as [`to_get_metric_data_json`] and [`to_csv`]. Errors name
/// `origin` (the file).
pub struct ExportWriter<W: Write> {
    out: Option<W>,
    format: ExportFormat,
    opts: ExportOptions,
    origin: String,
    zones: Vec<String>,
    /// (dimension order key, metric index, statistic) → (minute, value).
    groups: BTreeMap<GroupKey, Vec<(u64, f64)>>,
    held: usize,
    limit: usize,
}

impl<W: Write> ExportWriter<W> {
    /// A writer of `format` into `out`, holding at most
    /// [`MAX_EXPORT_DATAPOINTS`]; `origin` names it in errors.
    pub fn new(out: W, format: ExportFormat, opts: &ExportOptions, origin: impl Into<String>) -> Self {
        ExportWriter {
            out: Some(out),
            format,
            opts: opts.clone(),
            origin: origin.into(),
            zones: Vec::new(),
            groups: BTreeMap::new(),
            held: 0,
            limit: MAX_EXPORT_DATAPOINTS,
        }
    }

    /// The same writer without the limit on datapoints held (its memory
    /// then grows with the run, as the run's rows in memory do).
    pub fn unbounded(mut self) -> Self {
        self.limit = usize::MAX;
        self
    }

    /// At most `limit` datapoints held (for tests).
    #[doc(hidden)]
    pub fn with_limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// The underlying writer, once [`end`](MinuteSink::end) has written
    /// the file (`None` if it was taken already).
    pub fn into_inner(self) -> Option<W> {
        self.out
    }

    fn write(&mut self) -> Result<(), Error> {
        let Some(out) = self.out.as_mut() else {
            return Ok(());
        };
        let start = self.opts.start_unix_s - self.opts.start_unix_s.rem_euclid(60);
        for points in self.groups.values_mut() {
            points.sort_by_key(|p| std::cmp::Reverse(p.0));
        }
        let origin = &self.origin;
        let io = |e: std::io::Error| Error::io_in(origin.clone(), format!("cannot write: {e}"));
        match self.format {
            ExportFormat::Json => {
                let file = OutFile { groups: &self.groups, zones: &self.zones, start };
                serde_json::to_writer_pretty(&mut *out, &file).map_err(|e| io(e.into()))?;
                out.write_all(b"\n").map_err(io)?;
            }
            ExportFormat::Csv => {
                let mut w = csv::Writer::from_writer(&mut *out);
                let csv_err = |e: csv::Error| Error::io_in(origin.clone(), format!("cannot write: {e}"));
                w.write_record(["timestamp", "metric", "dimension", "statistic", "value"]).map_err(csv_err)?;
                for (&(dk, di, mi, st), points) in &self.groups {
                    let metric = METRIC_NAMES.get(mi).copied().unwrap_or("Unknown");
                    let dimension = match dk {
                        0 => String::new(),
                        1 => format!("zone={}", self.zones.get(di as usize).map_or("?", String::as_str)),
                        _ => format!("instance={di}"),
                    };
                    let statistic = st.to_string();
                    for p in points.iter().rev() {
                        let t = format_rfc3339(start + 60 * p.0 as i64);
                        let v = crate::fmt::Clean(p.1).to_string();
                        w.write_record([t.as_str(), metric, &dimension, &statistic, &v]).map_err(csv_err)?;
                    }
                }
                w.flush().map_err(io)?;
            }
        }
        out.flush().map_err(io)
    }
}

impl<W: Write> MinuteSink for ExportWriter<W> {
    fn begin(&mut self, zones: &[String]) -> Result<(), SinkError> {
        self.zones = zones.to_vec();
        Ok(())
    }

    fn rows(&mut self, rows: &[MetricRow]) -> Result<(), SinkError> {
        // Instances in service per (dimension, minute): LoadedModelCount's
        // Average is per instance.
        let instances: BTreeMap<(Dimension, u64), f64> =
            rows.iter().filter(|r| r.metric == "InstanceCount").map(|r| ((r.dimension, r.minute), r.value)).collect();
        for r in rows {
            let (dk, di) = match r.dimension {
                Dimension::Endpoint => (0u8, 0u32),
                Dimension::Zone(z) => (1, u32::from(z)),
                Dimension::Instance(i) => (2, i),
            };
            if dk != 0 && !self.opts.all_dimensions {
                continue;
            }
            let mi = METRIC_NAMES.iter().position(|m| *m == r.metric).unwrap_or(usize::MAX);
            for &st in statistics_of(r.metric) {
                let v = match st {
                    Statistic::SampleCount => r.samples as f64,
                    _ if MICROSECOND_METRICS.contains(&r.metric) => r.value * 1000.0,
                    _ if r.metric == "CPUUtilization" => r.value * f64::from(self.opts.vcpus.max(1)),
                    Statistic::Average if r.metric == "LoadedModelCount" => match r.dimension {
                        Dimension::Instance(_) => r.value,
                        d => r.value / instances.get(&(d, r.minute)).copied().unwrap_or(1.0).max(1.0),
                    },
                    _ => r.value,
                };
                if self.held >= self.limit {
                    return Err(Box::new(Error::invalid_in(
                        self.origin.clone(),
                        format!(
                            "the CloudWatch formats hold every datapoint until the run ends, at most {} \
                             (MAX_EXPORT_DATAPOINTS), and this run has more (at minute {}): write the tidy CSV \
                             (--metrics-format csv, written as the run goes), only the endpoint's series \
                             (--metrics-endpoint-only), or a shorter run",
                            self.limit, r.minute
                        ),
                    )));
                }
                self.held += 1;
                self.groups.entry((dk, di, mi, st)).or_default().push((r.minute, v));
            }
        }
        Ok(())
    }

    fn end(&mut self) -> Result<(), SinkError> {
        self.write().map_err(|e| Box::new(e) as SinkError)
    }
}

/// One series of the JSON, its points newest first.
fn out_result((dk, di, mi, st): GroupKey, points: &[(u64, f64)], zones: &[String], start: i64) -> OutResult {
    let metric = METRIC_NAMES.get(mi).copied().unwrap_or("Unknown");
    let (dimension, id_dim) = match dk {
        0 => ("endpoint".to_string(), String::new()),
        1 => (format!("zone={}", zones.get(di as usize).map_or("?", String::as_str)), format!("_z{di}")),
        _ => (format!("instance={di}"), format!("_i{di}")),
    };
    let id_stat = match st {
        Statistic::Average => "avg".to_string(),
        Statistic::Sum => "sum".to_string(),
        Statistic::SampleCount => "n".to_string(),
        other => other.to_string().to_lowercase().replace('.', "_"),
    };
    OutResult {
        id: format!("{}_{id_stat}{id_dim}", metric.to_lowercase()),
        label: label(metric, st, &dimension),
        timestamps: points.iter().map(|p| format_rfc3339(start + 60 * p.0 as i64)).collect(),
        values: points.iter().map(|p| p.1).collect(),
        status_code: "Complete",
    }
}

/// Writes all of `result`'s rows in `format` into memory.
fn export(result: &RunResult, opts: &ExportOptions, format: ExportFormat) -> String {
    let zones: Vec<String> = result.report.zones.iter().map(|z| z.name.clone()).collect();
    let mut w = ExportWriter::new(Vec::new(), format, opts, "export").unbounded();
    // Writing to memory cannot fail, and the writer holds any number.
    let _ = w.begin(&zones).and_then(|()| w.rows(&result.metrics)).and_then(|()| w.end());
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The run's per-minute metrics ([`RunResult::metrics`]) as the JSON of
/// `aws cloudwatch get-metric-data` (see the module docs): series in
/// dimension order (endpoint, zones, instances), then metric order, then
/// statistic; each newest first; times in microseconds. Deterministic: the
/// same run gives the same bytes. Empty series if the run recorded no
/// metrics. [`ExportWriter`] writes the same while the run goes.
pub fn to_get_metric_data_json(result: &RunResult, opts: &ExportOptions) -> String {
    export(result, opts, ExportFormat::Json)
}

/// The run's per-minute metrics as the CSV [`parse_csv`] reads
/// (`timestamp,metric,dimension,statistic,value`; an empty dimension for
/// the endpoint): the same series, values and units as
/// [`to_get_metric_data_json`], each oldest first. Written with the `csv`
/// crate: a zone name with a comma, a quote or a line break is quoted.
pub fn to_csv(result: &RunResult, opts: &ExportOptions) -> String {
    export(result, opts, ExportFormat::Csv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip() {
        for t in [0i64, 60, 1_796_032_800, 951_782_400, -86_400] {
            assert_eq!(parse_rfc3339(&format_rfc3339(t)), Some(t), "{}", format_rfc3339(t));
        }
        assert_eq!(parse_rfc3339("2026-11-30T10:00:00Z"), parse_rfc3339("2026-11-30T11:00:00+01:00"));
        assert_eq!(parse_rfc3339("2026-11-30T10:00:00.000Z"), parse_rfc3339("2026-11-30 10:00:00Z"));
        assert_eq!(parse_rfc3339("1970-01-01T00:01:00Z"), Some(60));
        for bad in [
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-11-30T10:00:00",
            "yesterday",
            "2026-11-30T10:00:00+0100",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn statistics_parse_and_print() {
        for s in ["Average", "Sum", "SampleCount", "Maximum", "Minimum", "p99", "p99.9", "p50", "p99.99"] {
            assert_eq!(Statistic::parse(s).map(|s| s.to_string()).as_deref(), Some(s));
        }
        for s in ["average", "p", "p101", "p9.999", "Mean", "p99.", "p.9"] {
            assert_eq!(Statistic::parse(s), None, "{s}");
        }
    }
}
