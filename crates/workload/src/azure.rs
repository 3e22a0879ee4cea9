//! The Azure Functions 2019 trace (format `azure-functions-2019`): a day of
//! real serverless traffic, one model per function.
//!
//! The public dataset (Shahrad et al., "Serverless in the Wild", USENIX
//! ATC '20; `AzurePublicDataset`, `AzureFunctionsDataset2019.md`) has three
//! kinds of files per day `dNN`, read here in their published layout:
//!
//! * `invocations_per_function_md.anon.dNN.csv`:
//!   `HashOwner,HashApp,HashFunction,Trigger,1,2,…,1440`, the number of
//!   invocations of each function in each minute of the day;
//! * `function_durations_percentiles.anon.dNN.csv`:
//!   `HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,`
//!   `percentile_Average_0,percentile_Average_1,percentile_Average_25,`
//!   `percentile_Average_50,percentile_Average_75,percentile_Average_99,`
//!   `percentile_Average_100` (milliseconds);
//! * `app_memory_percentiles.anon.dNN.csv`:
//!   `HashOwner,HashApp,SampleCount,AverageAllocatedMb,`
//!   `AverageAllocatedMb_pct1,AverageAllocatedMb_pct5,AverageAllocatedMb_pct25,`
//!   `AverageAllocatedMb_pct50,AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,`
//!   `AverageAllocatedMb_pct99,AverageAllocatedMb_pct100` (per application).
//!
//! Headers are checked column by column, by name, so a file of the wrong
//! kind fails at once ("column 3: expected column `HashFunction` …"). The
//! files are read as CSV (the `csv` crate): a field may be quoted, and
//! fields are trimmed.
//!
//! # How the trace becomes a workload
//!
//! * **Functions → models.** Each function (`HashOwner`, `HashApp`,
//!   `HashFunction`) of the invocations file is a model, named
//!   `APP8/FUNC8` (the first 8 characters of `HashApp` and of
//!   `HashFunction`); if two kept functions would share that name, they are
//!   named by their full `HashOwner/HashApp/HashFunction` instead. Rows
//!   repeating a function are merged into its first row (counts added).
//! * **Memory.** An application's `AverageAllocatedMb` is divided equally
//!   among the application's functions that appear in the invocations file
//!   (as FaasCache does), dropped or sampled-out ones included, so that
//!   sampling never changes a function's memory. Megabytes are taken as
//!   MiB.
//! * **Service times.** Each request's service time is drawn through the
//!   function's duration percentiles: a piecewise-linear inverse CDF
//!   through `(0, p0)`, `(0.01, p1)`, `(0.25, p25)`, `(0.5, p50)`,
//!   `(0.75, p75)`, `(0.99, p99)`, `(1, p100)` (made non-decreasing, each
//!   point at least the one before), at a seeded `u ~ U(0, 1)`; it is
//!   returned in [`Arrival::service`].
//! * **Dropped functions.** Functions without a durations row are dropped,
//!   then functions whose application has no memory row; both are counted
//!   in [`AzureSummary`]. Rows of the durations and memory files for
//!   functions or applications not in the invocations file are ignored
//!   (their field count is still checked); a second row for the same
//!   function or application is ignored and counted.
//! * **Sampling** ([`AzureOptions::sample_functions`]): `N` of the
//!   remaining functions, chosen uniformly at random by the seed: each
//!   function gets a pseudo-random key from the seed and its hashes, and
//!   the `N` smallest keys win, so the choice does not depend on the order
//!   of the file. The models keep the order of the file.
//! * **Time.** [`AzureOptions::start_minute`] and
//!   [`AzureOptions::minutes`] pick a window of the day (default: all of
//!   it); time 0 is the window's start, and every time is multiplied by
//!   [`AzureOptions::time_scale`] (0.1 plays a day in 2.4 hours).
//! * **Within a minute** ([`Spread`]): the `c` invocations of a function
//!   in a minute are placed at `(i + 0.5)/c` of the minute (`uniform`) or
//!   at `c` seeded uniform random times, i.e. a Poisson process
//!   conditioned on its count (`poisson`). Either way the per-minute counts
//!   are reproduced exactly: every arrival of minute `m` is at or after
//!   the minute's start and before the next minute's (in whole
//!   nanoseconds, after scaling).
//!
//! # Streaming
//!
//! [`AzureTrace::open`] keeps, for the kept functions, their non-zero
//! minute cells (a minute-major table of `(function, count)` pairs, 8
//! bytes each); [`AzureSource`] then generates the arrivals minute by
//! minute, merging one generator per active function in a binary heap
//! keyed by (time, function index), so memory never depends on the number
//! of invocations and nothing is allocated per request. Random order
//! statistics are generated in increasing order one at a time
//! (`U(1) = 1 − V^(1/n)`, `U(i+1) = U(i) + (1 − U(i))(1 − V^(1/(n−i)))`).
//! Each function draws its arrival times and service times from streams of
//! its own, keyed by the seed and its hashes: a function's requests are
//! the same whatever else is sampled. Equal times are ordered by function
//! index.
//!
//! ```
//! use mmesim_core::RequestSource;
//! use mmesim_engine::RngStreams;
//! use mmesim_workload::azure::{AzureFiles, AzureOptions, AzureTrace, Spread};
//!
//! let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/traces/azure");
//! let files = AzureFiles::day(&dir, 1);
//! let opts = AzureOptions { sample_functions: Some(10), time_scale: 0.1, spread: Spread::Uniform, ..Default::default() };
//! let trace = AzureTrace::open(&files.invocations, &files.durations, &files.memory, &opts, 42).unwrap();
//! assert_eq!(trace.functions().len(), 10);
//! // A day at time scale 0.1: 8640 s.
//! assert_eq!(trace.duration().as_secs_f64(), 8640.0);
//! let mut src = trace.source(&RngStreams::new(42));
//! let mut n = 0;
//! while let Some(a) = src.next_arrival() {
//!     assert!(a.model.index() < 10 && a.service.is_some());
//!     n += 1;
//! }
//! assert_eq!(n, trace.summary().invocations);
//! ```

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mmesim_core::{Arrival, ModelId, RequestSource};
use mmesim_engine::{RngStreams, SimDuration, SimRng, SimTime, Stream};
use rand::Rng;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use csv::ByteRecord;

use crate::csvio::{self, abridge, at_line, fields, fnv1a64, parse_digits, CsvReader};
use crate::error::{Error, TraceLocation, TraceProblem};

/// The crate's error, as the trace readers name it.
type TraceError = Error;

/// Minutes in the day of an invocations file (its count columns `1..1440`).
pub const MINUTES_PER_DAY: u32 = 1440;
/// The cumulative probabilities of the duration percentiles
/// (p0, p1, p25, p50, p75, p99, p100).
pub const DURATION_QUANTILES: [f64; 7] = [0.0, 0.01, 0.25, 0.5, 0.75, 0.99, 1.0];

/// The published columns of the durations file.
pub const DURATION_COLUMNS: [&str; 14] = [
    "HashOwner",
    "HashApp",
    "HashFunction",
    "Average",
    "Count",
    "Minimum",
    "Maximum",
    "percentile_Average_0",
    "percentile_Average_1",
    "percentile_Average_25",
    "percentile_Average_50",
    "percentile_Average_75",
    "percentile_Average_99",
    "percentile_Average_100",
];
/// The published columns of the memory file.
pub const MEMORY_COLUMNS: [&str; 12] = [
    "HashOwner",
    "HashApp",
    "SampleCount",
    "AverageAllocatedMb",
    "AverageAllocatedMb_pct1",
    "AverageAllocatedMb_pct5",
    "AverageAllocatedMb_pct25",
    "AverageAllocatedMb_pct50",
    "AverageAllocatedMb_pct75",
    "AverageAllocatedMb_pct95",
    "AverageAllocatedMb_pct99",
    "AverageAllocatedMb_pct100",
];
/// The published leading columns of the invocations file, before the
/// minute columns `1..1440`.
pub const INVOCATION_KEY_COLUMNS: [&str; 4] = ["HashOwner", "HashApp", "HashFunction", "Trigger"];
const INVOCATIONS_HEADER: &str = "HashOwner,HashApp,HashFunction,Trigger,1,2,…,1440";

/// Streams (with [`Stream::Custom`]) of this reader's random choices.
const SAMPLE_STREAM: u64 = 0xA2_0001;
const TIMES_STREAM: u64 = 0xA2_0002;
const SERVICE_STREAM: u64 = 0xA2_0003;
const NS_PER_MINUTE: f64 = 60e9;

/// How the invocations of a minute are spread over it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Spread {
    /// The `c` invocations of a minute at `(i + 0.5)/c` of it, `i = 0..c`.
    Uniform,
    /// At `c` seeded uniform random times in the minute (a Poisson process
    /// conditioned on its count).
    #[default]
    Poisson,
}

/// Options of the Azure trace reader (the keys of `[workload] trace` in a
/// scenario besides the file names).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AzureOptions {
    /// Keep this many functions, chosen at random (seeded) among those
    /// with durations and memory; `None` (default) keeps them all.
    pub sample_functions: Option<u32>,
    /// Multiplies every arrival time (default 1; 0.1 plays a day in 2.4 h).
    pub time_scale: f64,
    /// How invocations are spread within their minute (default `poisson`).
    pub spread: Spread,
    /// First minute of the day replayed, 0-based (default 0): time 0 of the
    /// workload is this minute's start.
    pub start_minute: u32,
    /// Minutes replayed (default: to the end of the day).
    pub minutes: Option<u32>,
}

impl Default for AzureOptions {
    fn default() -> Self {
        AzureOptions {
            sample_functions: None,
            time_scale: 1.0,
            spread: Spread::Poisson,
            start_minute: 0,
            minutes: None,
        }
    }
}

impl AzureOptions {
    /// Checks the options; the message names the offending key.
    pub fn validate(&self) -> Result<(), Error> {
        self.check().map_err(|(key, reason)| Error::invalid(key, format!("`{key}` {reason}")))
    }

    /// The offending key and what is wrong with it.
    fn check(&self) -> Result<(), (&'static str, String)> {
        if self.sample_functions == Some(0) {
            return Err(("sample_functions", "must be at least 1 (or absent to keep every function)".into()));
        }
        if !(self.time_scale.is_finite() && self.time_scale > 0.0) {
            return Err(("time_scale", format!("must be a positive number, got {}", self.time_scale)));
        }
        if self.start_minute >= MINUTES_PER_DAY {
            return Err(("start_minute", format!("must be below {MINUTES_PER_DAY}, got {}", self.start_minute)));
        }
        if let Some(m) = self.minutes {
            let left = MINUTES_PER_DAY - self.start_minute;
            if m == 0 || m > left {
                let reason = format!(
                    "must be between 1 and {left} (the rest of the day from `start_minute` {}), got {m}",
                    self.start_minute
                );
                return Err(("minutes", reason));
            }
        }
        Ok(())
    }

    /// The window replayed: (first minute, number of minutes), 0-based.
    /// The options must be valid.
    pub fn window(&self) -> (u32, u32) {
        (self.start_minute, self.minutes.unwrap_or(MINUTES_PER_DAY.saturating_sub(self.start_minute)))
    }
}

/// The three files of one day of the trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AzureFiles {
    /// `invocations_per_function_md.anon.dNN.csv`.
    pub invocations: PathBuf,
    /// `function_durations_percentiles.anon.dNN.csv`.
    pub durations: PathBuf,
    /// `app_memory_percentiles.anon.dNN.csv`.
    pub memory: PathBuf,
}

impl AzureFiles {
    /// The published file names of day `day` (1-based, `d01` … `d14`) in
    /// `dir`.
    pub fn day(dir: &Path, day: u32) -> Self {
        AzureFiles {
            invocations: dir.join(format!("invocations_per_function_md.anon.d{day:02}.csv")),
            durations: dir.join(format!("function_durations_percentiles.anon.d{day:02}.csv")),
            memory: dir.join(format!("app_memory_percentiles.anon.d{day:02}.csv")),
        }
    }
}

/// One function of the trace: a model of the workload.
#[derive(Clone, Debug, PartialEq)]
pub struct AzureFunction {
    /// The model's name (unique in the trace; see the [module docs](self)).
    pub name: String,
    /// `HashOwner`.
    pub owner: String,
    /// `HashApp`.
    pub app: String,
    /// `HashFunction`.
    pub function: String,
    /// `Trigger` (`http`, `timer`, `queue`, …).
    pub trigger: String,
    /// The function's share of its application's `AverageAllocatedMb`.
    pub memory_mib: f64,
    /// Duration percentiles p0, p1, p25, p50, p75, p99, p100 (ms), made
    /// non-decreasing.
    pub duration_ms: [f64; 7],
    /// `Average` duration (ms).
    pub average_ms: f64,
    /// Invocations in the replayed window.
    pub invocations: u64,
    /// The 1-based line of the function's (first) row in the invocations
    /// file.
    pub line: u64,
}

impl AzureFunction {
    /// The service time (ms) at cumulative probability `q` (clamped to
    /// `[0, 1]`): the piecewise-linear inverse CDF through the duration
    /// percentiles, never negative.
    pub fn duration_quantile_ms(&self, q: f64) -> f64 {
        quantile(&self.duration_ms, q)
    }

    /// The mean of the service times drawn (ms): the integral of the
    /// piecewise-linear inverse CDF.
    pub fn duration_mean_ms(&self) -> f64 {
        let (x, y) = (DURATION_QUANTILES, self.duration_ms);
        (0..6).map(|k| (x[k + 1] - x[k]) * (y[k] + y[k + 1]) / 2.0).sum::<f64>().max(0.0)
    }
}

#[inline]
fn quantile(points: &[f64; 7], q: f64) -> f64 {
    let q = q.clamp(0.0, 1.0);
    let x = DURATION_QUANTILES;
    let mut k = 0;
    while k < 5 && q > x[k + 1] {
        k += 1;
    }
    let w = (q - x[k]) / (x[k + 1] - x[k]);
    (points[k] + w * (points[k + 1] - points[k])).max(0.0)
}

/// What reading the trace found and kept.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AzureSummary {
    /// Rows of the invocations file.
    pub invocation_rows: u64,
    /// Distinct functions in the invocations file.
    pub functions_read: u64,
    /// Invocation rows repeating an earlier row's function (merged into it).
    pub duplicate_function_rows: u64,
    /// Functions dropped for want of a durations row.
    pub dropped_no_duration: u64,
    /// Functions (with durations) dropped for want of a memory row for
    /// their application.
    pub dropped_no_memory: u64,
    /// Functions with durations and memory.
    pub eligible: u64,
    /// Functions kept (after sampling): the models.
    pub sampled: u64,
    /// Invocations of the kept functions in the window: the requests.
    pub invocations: u64,
    /// Durations rows ignored because their function had one already.
    pub duplicate_duration_rows: u64,
    /// Memory rows ignored because their application had one already.
    pub duplicate_memory_rows: u64,
}

/// The non-zero minute cells of the kept functions, minute-major.
#[derive(Debug)]
struct Cells {
    /// `cells[offsets[m]..offsets[m + 1]]` are minute `m`'s, by function.
    offsets: Vec<usize>,
    /// (kept function index, invocations).
    cells: Vec<(u32, u32)>,
    /// The most cells of any minute.
    max_active: usize,
}

/// One day (or a window of it) of the Azure Functions trace, read and
/// ready to replay: see the [module docs](self).
#[derive(Clone, Debug)]
pub struct AzureTrace {
    functions: Vec<AzureFunction>,
    summary: AzureSummary,
    opts: AzureOptions,
    cells: Arc<Cells>,
    quantiles: Arc<[[f64; 7]]>,
    /// Per function: the key of its random streams (a hash of its ids).
    keys: Vec<u64>,
}

/// A function while reading.
struct Pending {
    owner: String,
    app: String,
    function: String,
    trigger: String,
    app_index: u32,
    line: u64,
    durations: Option<([f64; 7], f64)>,
}

/// An application while reading.
#[derive(Default)]
struct PendingApp {
    functions: u32,
    memory_mib: Option<f64>,
}

/// A CSV reader over the file at `path`.
fn open_csv(path: &Path) -> Result<CsvReader<File>, TraceError> {
    Ok(csvio::reader(csvio::open_file(path)?, false))
}

/// Reads and checks a header of `n` columns named `name(i)`.
fn check_header(
    rdr: &mut CsvReader<File>,
    record: &mut ByteRecord,
    n: usize,
    name: impl Fn(usize) -> String,
    abbrev: &str,
) -> Result<(), TraceError> {
    if !csvio::read_header(rdr, record)? {
        let problem = TraceProblem::NoHeader { expected: abbrev.to_owned() };
        return Err(Error::invalid_record(TraceLocation::Line(1), problem));
    }
    for (i, f) in fields(record).enumerate().take(n) {
        if f != name(i).as_bytes() {
            let problem = TraceProblem::WrongColumn { column: i + 1, expected: name(i), found: abridge(f) };
            return Err(csvio::invalid(rdr, record, problem));
        }
    }
    check_field_count(csvio::line(rdr, record), record, n, abbrev)
}

/// Checks that `record`, at line `line`, has `n` fields.
fn check_field_count(line: u64, record: &ByteRecord, n: usize, abbrev: &str) -> Result<(), TraceError> {
    let found = record.len();
    if found == n {
        Ok(())
    } else {
        Err(at_line(line, TraceProblem::FieldCount { found, expected: n, header: abbrev.to_owned() }))
    }
}

/// A non-empty UTF-8 key field on line `line`.
fn key_field<'a>(line: u64, field: &'a [u8], column: &'static str) -> Result<&'a str, TraceError> {
    if field.is_empty() {
        return Err(at_line(line, TraceProblem::EmptyField { column }));
    }
    utf8_field(line, field, column)
}

/// A UTF-8 field on line `line`.
fn utf8_field<'a>(line: u64, field: &'a [u8], column: &'static str) -> Result<&'a str, TraceError> {
    std::str::from_utf8(field).map_err(|_| at_line(line, TraceProblem::NotUtf8 { column, value: abridge(field) }))
}

/// A non-negative, finite number in column `index` (0-based) named `name`,
/// on line `line`.
fn number_field(line: u64, field: &[u8], index: usize, name: &str, expected: &'static str) -> Result<f64, TraceError> {
    let v = std::str::from_utf8(field).ok().and_then(|s| s.parse::<f64>().ok());
    match v {
        Some(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(at_line(
            line,
            TraceProblem::BadField { column: index + 1, name: format!("`{name}`"), expected, value: abridge(field) },
        )),
    }
}

/// `parts` joined by commas into `buf`: the key of a function or an
/// application in the maps of the reader.
fn join(buf: &mut String, parts: &[&str]) {
    buf.clear();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            buf.push(',');
        }
        buf.push_str(p);
    }
}

/// [`join`], and the key's hash (what seeds a function's streams).
fn join_key(buf: &mut String, parts: &[&str]) -> u64 {
    join(buf, parts);
    fnv1a64(buf.as_bytes())
}

/// The first `n` characters of `s`.
fn prefix(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(i, _)| &s[..i])
}

impl AzureTrace {
    /// Reads one day of the trace from its three files, applies `opts`
    /// (validated here) and samples with `seed`. Errors name the file and
    /// the line (and the column, for a bad field).
    pub fn open(
        invocations: &Path,
        durations: &Path,
        memory: &Path,
        opts: &AzureOptions,
        seed: u64,
    ) -> Result<AzureTrace, TraceError> {
        if let Err((option, reason)) = opts.check() {
            return Err(Error::invalid_option(option, reason));
        }
        let (start, minutes) = opts.window();
        let mut summary = AzureSummary::default();
        let mut funcs: Vec<Pending> = Vec::new();
        let mut apps: Vec<PendingApp> = Vec::new();
        let mut func_index: FxHashMap<String, u32> = FxHashMap::default();
        let mut app_index: FxHashMap<String, u32> = FxHashMap::default();
        // Invocation rows: (function, first cell, end of cells); cells are
        // (minute in the window, count).
        let mut rows: Vec<(u32, usize, usize)> = Vec::new();
        let mut row_cells: Vec<(u16, u32)> = Vec::new();
        let mut key = String::new();

        // Invocations.
        let mut record = ByteRecord::new();
        let mut rdr = open_csv(invocations)?;
        read_invocations(
            &mut rdr,
            &mut record,
            (start, minutes),
            &mut summary,
            &mut funcs,
            &mut apps,
            &mut func_index,
            &mut app_index,
            &mut rows,
            &mut row_cells,
        )
        .map_err(|e| e.in_file(invocations))?;

        // Durations.
        let mut rdr = open_csv(durations)?;
        let n = DURATION_COLUMNS.len();
        let abbrev = DURATION_COLUMNS.join(",");
        let res = (|| {
            check_header(&mut rdr, &mut record, n, |i| DURATION_COLUMNS[i].to_owned(), &abbrev)?;
            while csvio::next_record(&mut rdr, &mut record)? {
                let (line, record) = (csvio::line(&rdr, &record), &record);
                check_field_count(line, record, n, &abbrev)?;
                let mut it = fields(record);
                let (o, a, f) = (it.next().unwrap_or(b""), it.next().unwrap_or(b""), it.next().unwrap_or(b""));
                let (o, a, f) = (
                    key_field(line, o, "HashOwner")?,
                    key_field(line, a, "HashApp")?,
                    key_field(line, f, "HashFunction")?,
                );
                join(&mut key, &[o, a, f]);
                let Some(&fi) = func_index.get(key.as_str()) else { continue };
                let p = &mut funcs[fi as usize];
                if p.durations.is_some() {
                    summary.duplicate_duration_rows += 1;
                    continue;
                }
                const MS: &str = "a non-negative number of milliseconds";
                let mut average = 0.0;
                let mut points = [0.0; 7];
                for (i, field) in fields(record).enumerate().skip(3) {
                    match i {
                        3 => average = number_field(line, field, i, DURATION_COLUMNS[i], MS)?,
                        7..=13 => points[i - 7] = number_field(line, field, i, DURATION_COLUMNS[i], MS)?,
                        _ => {}
                    }
                }
                for k in 1..7 {
                    points[k] = points[k].max(points[k - 1]);
                }
                p.durations = Some((points, average));
            }
            Ok(())
        })();
        res.map_err(|e: TraceError| e.in_file(durations))?;

        // Memory.
        let mut rdr = open_csv(memory)?;
        let n = MEMORY_COLUMNS.len();
        let abbrev = MEMORY_COLUMNS.join(",");
        let res = (|| {
            check_header(&mut rdr, &mut record, n, |i| MEMORY_COLUMNS[i].to_owned(), &abbrev)?;
            while csvio::next_record(&mut rdr, &mut record)? {
                let (line, record) = (csvio::line(&rdr, &record), &record);
                check_field_count(line, record, n, &abbrev)?;
                let mut it = fields(record);
                let (o, a) = (it.next().unwrap_or(b""), it.next().unwrap_or(b""));
                let (o, a) = (key_field(line, o, "HashOwner")?, key_field(line, a, "HashApp")?);
                join(&mut key, &[o, a]);
                let Some(&ai) = app_index.get(key.as_str()) else { continue };
                let app = &mut apps[ai as usize];
                if app.memory_mib.is_some() {
                    summary.duplicate_memory_rows += 1;
                    continue;
                }
                let field = it.nth(1).unwrap_or(b"");
                let mb = number_field(line, field, 3, MEMORY_COLUMNS[3], "a non-negative number of megabytes")?;
                app.memory_mib = Some(mb);
            }
            Ok(())
        })();
        res.map_err(|e: TraceError| e.in_file(memory))?;

        // Eligible functions, in file order.
        let mut eligible: Vec<u32> = Vec::new();
        for (i, p) in funcs.iter().enumerate() {
            if p.durations.is_none() {
                summary.dropped_no_duration += 1;
            } else if apps[p.app_index as usize].memory_mib.is_none() {
                summary.dropped_no_memory += 1;
            } else {
                eligible.push(i as u32);
            }
        }
        summary.eligible = eligible.len() as u64;
        let hash = |p: &Pending, key: &mut String| join_key(key, &[&p.owner, &p.app, &p.function]);
        let kept: Vec<u32> = match opts.sample_functions {
            Some(n) if (n as usize) < eligible.len() => {
                let streams = RngStreams::new(seed);
                let mut keyed: Vec<(u64, u32)> = eligible
                    .iter()
                    .map(|&i| {
                        let h = hash(&funcs[i as usize], &mut key);
                        (streams.substream(Stream::Custom(SAMPLE_STREAM), h).random::<u64>(), i)
                    })
                    .collect();
                keyed.sort_unstable();
                let mut kept: Vec<u32> = keyed[..n as usize].iter().map(|&(_, i)| i).collect();
                kept.sort_unstable();
                kept
            }
            _ => eligible,
        };
        summary.sampled = kept.len() as u64;

        // Minute-major cells of the kept functions.
        let mut new_index = vec![u32::MAX; funcs.len()];
        for (k, &i) in kept.iter().enumerate() {
            new_index[i as usize] = k as u32;
        }
        let cells = transpose(&rows, &row_cells, &new_index, minutes as usize, summary.duplicate_function_rows > 0);
        let mut functions: Vec<AzureFunction> = Vec::with_capacity(kept.len());
        let mut keys = Vec::with_capacity(kept.len());
        for &i in &kept {
            let p = &mut funcs[i as usize];
            let app = &apps[p.app_index as usize];
            let (duration_ms, average_ms) = p.durations.unwrap_or(([0.0; 7], 0.0));
            keys.push(join_key(&mut key, &[&p.owner, &p.app, &p.function]));
            functions.push(AzureFunction {
                name: String::new(),
                owner: std::mem::take(&mut p.owner),
                app: std::mem::take(&mut p.app),
                function: std::mem::take(&mut p.function),
                trigger: std::mem::take(&mut p.trigger),
                memory_mib: app.memory_mib.unwrap_or(0.0) / f64::from(app.functions.max(1)),
                duration_ms,
                average_ms,
                invocations: 0,
                line: p.line,
            });
        }
        for &(f, c) in &cells.cells {
            functions[f as usize].invocations += u64::from(c);
        }
        summary.invocations = functions.iter().map(|f| f.invocations).sum();
        name_functions(&mut functions);
        let quantiles: Arc<[[f64; 7]]> = functions.iter().map(|f| f.duration_ms).collect();
        Ok(AzureTrace { functions, summary, opts: opts.clone(), cells: Arc::new(cells), quantiles, keys })
    }

    /// The kept functions: model `i` is `functions()[i]`.
    pub fn functions(&self) -> &[AzureFunction] {
        &self.functions
    }

    /// What was read, dropped and kept.
    pub fn summary(&self) -> &AzureSummary {
        &self.summary
    }

    /// The options the trace was read with.
    pub fn options(&self) -> &AzureOptions {
        &self.opts
    }

    /// The length of the replayed window, scaled: every arrival comes
    /// before it.
    pub fn duration(&self) -> SimDuration {
        let (_, minutes) = self.opts.window();
        SimDuration::from_nanos(minute_ns(minutes, self.opts.time_scale))
    }

    /// The number of invocations of each kept function in each minute of
    /// the window (`counts[m][f]`, zero cells omitted as `(f, count)`
    /// pairs, by function): what the source reproduces exactly.
    pub fn minute_counts(&self, minute: u32) -> &[(u32, u32)] {
        let m = minute as usize;
        match (self.cells.offsets.get(m), self.cells.offsets.get(m + 1)) {
            (Some(&a), Some(&b)) => &self.cells.cells[a..b],
            _ => &[],
        }
    }

    /// A source replaying the trace: arrival times and service times drawn
    /// from `streams` (one pair of streams per function, keyed by its
    /// hashes). Cheap: the cells are shared.
    pub fn source(&self, streams: &RngStreams) -> AzureSource {
        let states = self
            .keys
            .iter()
            .map(|&k| FnState {
                times: streams.substream(Stream::Custom(TIMES_STREAM), k),
                service: streams.substream(Stream::Custom(SERVICE_STREAM), k),
                u: 0.0,
                emitted: 0,
                count: 0,
            })
            .collect();
        let (_, minutes) = self.opts.window();
        AzureSource {
            cells: Arc::clone(&self.cells),
            quantiles: Arc::clone(&self.quantiles),
            states,
            heap: BinaryHeap::with_capacity(self.cells.max_active),
            spread: self.opts.spread,
            time_scale: self.opts.time_scale,
            minutes,
            next_minute: 0,
            start_ns: 0,
            len_ns: 0,
        }
    }
}

/// Reads the invocations file into `funcs`, `apps` and the row cells.
#[allow(clippy::too_many_arguments)]
fn read_invocations(
    rdr: &mut CsvReader<File>,
    record: &mut ByteRecord,
    (start, minutes): (u32, u32),
    summary: &mut AzureSummary,
    funcs: &mut Vec<Pending>,
    apps: &mut Vec<PendingApp>,
    func_index: &mut FxHashMap<String, u32>,
    app_index: &mut FxHashMap<String, u32>,
    rows: &mut Vec<(u32, usize, usize)>,
    row_cells: &mut Vec<(u16, u32)>,
) -> Result<(), TraceError> {
    let keys = INVOCATION_KEY_COLUMNS.len();
    let n = keys + MINUTES_PER_DAY as usize;
    let name = |i: usize| if i < keys { INVOCATION_KEY_COLUMNS[i].to_owned() } else { (i - keys + 1).to_string() };
    check_header(rdr, record, n, name, INVOCATIONS_HEADER)?;
    let (lo, hi) = (keys + start as usize, keys + (start + minutes) as usize);
    let (mut key, mut app_key) = (String::new(), String::new());
    while csvio::next_record(rdr, record)? {
        let (line, record) = (csvio::line(rdr, record), &*record);
        check_field_count(line, record, n, INVOCATIONS_HEADER)?;
        summary.invocation_rows += 1;
        let mut it = fields(record);
        let mut next = || it.next().unwrap_or(b"");
        let (o, a, f, t) = (next(), next(), next(), next());
        let (o, a, f) =
            (key_field(line, o, "HashOwner")?, key_field(line, a, "HashApp")?, key_field(line, f, "HashFunction")?);
        let t = utf8_field(line, t, "Trigger")?;
        join(&mut key, &[o, a, f]);
        let fi = match func_index.get(key.as_str()) {
            Some(&fi) => {
                summary.duplicate_function_rows += 1;
                fi
            }
            None => {
                join(&mut app_key, &[o, a]);
                let ai = match app_index.get(app_key.as_str()) {
                    Some(&ai) => ai,
                    None => {
                        app_index.insert(app_key.clone(), apps.len() as u32);
                        apps.push(PendingApp::default());
                        apps.len() as u32 - 1
                    }
                };
                apps[ai as usize].functions += 1;
                let fi = u32::try_from(funcs.len()).map_err(|_| {
                    at_line(
                        line,
                        TraceProblem::TooLarge {
                            column: "HashFunction",
                            value: abridge(f.as_bytes()),
                            max: "4294967294 functions",
                        },
                    )
                })?;
                func_index.insert(key.clone(), fi);
                funcs.push(Pending {
                    owner: o.to_owned(),
                    app: a.to_owned(),
                    function: f.to_owned(),
                    trigger: t.to_owned(),
                    app_index: ai,
                    line,
                    durations: None,
                });
                summary.functions_read += 1;
                fi
            }
        };
        let first = row_cells.len();
        for (i, field) in record.iter().enumerate().skip(keys) {
            if field == b"0" {
                continue; // most cells: nothing to parse or keep
            }
            let field = field.trim_ascii();
            let count = parse_digits(field).and_then(|c| u32::try_from(c).ok()).ok_or_else(|| {
                at_line(
                    line,
                    TraceProblem::BadField {
                        column: i + 1,
                        name: format!("minute {}", i - keys + 1),
                        expected: "a non-negative integer count",
                        value: abridge(field),
                    },
                )
            })?;
            if count > 0 && (lo..hi).contains(&i) {
                row_cells.push(((i - lo) as u16, count));
            }
        }
        rows.push((fi, first, row_cells.len()));
    }
    Ok(())
}

/// Turns the row-major cells of the kept rows into minute-major cells,
/// ordered by kept function within each minute (merging the cells of
/// repeated rows when `merge`).
fn transpose(
    rows: &[(u32, usize, usize)],
    row_cells: &[(u16, u32)],
    new_index: &[u32],
    minutes: usize,
    merge: bool,
) -> Cells {
    let mut kept: Vec<(u32, usize, usize)> = rows
        .iter()
        .filter_map(|&(f, a, b)| {
            let k = new_index[f as usize];
            (k != u32::MAX).then_some((k, a, b))
        })
        .collect();
    kept.sort_by_key(|r| r.0); // stable: repeated rows stay in file order
    let mut offsets = vec![0usize; minutes + 1];
    for &(_, a, b) in &kept {
        for &(m, _) in &row_cells[a..b] {
            offsets[m as usize + 1] += 1;
        }
    }
    for m in 0..minutes {
        offsets[m + 1] += offsets[m];
    }
    let mut cursor = offsets.clone();
    let mut cells = vec![(0u32, 0u32); offsets[minutes]];
    for &(k, a, b) in &kept {
        for &(m, c) in &row_cells[a..b] {
            cells[cursor[m as usize]] = (k, c);
            cursor[m as usize] += 1;
        }
    }
    if merge {
        let mut merged = Vec::with_capacity(cells.len());
        let mut new_offsets = vec![0usize; minutes + 1];
        for m in 0..minutes {
            for &(k, c) in &cells[offsets[m]..offsets[m + 1]] {
                let same = merged.len() > new_offsets[m] && merged.last().is_some_and(|&(lk, _)| lk == k);
                match merged.last_mut() {
                    Some((_, lc)) if same => *lc = u32::saturating_add(*lc, c),
                    _ => merged.push((k, c)),
                }
            }
            new_offsets[m + 1] = merged.len();
        }
        cells = merged;
        offsets = new_offsets;
    }
    let max_active = offsets.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
    Cells { offsets, cells, max_active }
}

/// Names the functions `APP8/FUNC8`, or by their full ids where that
/// collides; if even those collide (ids containing `/`), every function is
/// named `LINE:OWNER/APP/FUNCTION` with the line of its row.
fn name_functions(functions: &mut [AzureFunction]) {
    for f in functions.iter_mut() {
        f.name = format!("{}/{}", prefix(&f.app, 8), prefix(&f.function, 8));
    }
    let collisions = |functions: &[AzureFunction]| -> Vec<bool> {
        let mut seen: FxHashMap<&str, u32> = FxHashMap::default();
        for f in functions {
            *seen.entry(f.name.as_str()).or_insert(0) += 1;
        }
        functions.iter().map(|f| seen[f.name.as_str()] > 1).collect()
    };
    let clash = collisions(functions);
    if !clash.contains(&true) {
        return;
    }
    for (f, c) in functions.iter_mut().zip(clash) {
        if c {
            f.name = format!("{}/{}/{}", f.owner, f.app, f.function);
        }
    }
    if collisions(functions).contains(&true) {
        for f in functions.iter_mut() {
            f.name = format!("{}:{}/{}/{}", f.line, f.owner, f.app, f.function);
        }
    }
}

/// The start of minute `m` of the window, in scaled nanoseconds (monotone
/// in `m`; saturating).
#[inline]
fn minute_ns(m: u32, time_scale: f64) -> u64 {
    (f64::from(m) * NS_PER_MINUTE * time_scale).round() as u64
}

/// One function's generator within the current minute.
#[derive(Clone, Debug)]
struct FnState {
    times: SimRng,
    service: SimRng,
    /// The last order statistic generated (poisson).
    u: f64,
    /// Arrivals generated this minute.
    emitted: u32,
    /// Arrivals this minute.
    count: u32,
}

/// The requests of an [`AzureTrace`], as a [`RequestSource`]: model `i` is
/// the trace's function `i`; every arrival carries its service time.
#[derive(Clone, Debug)]
pub struct AzureSource {
    cells: Arc<Cells>,
    quantiles: Arc<[[f64; 7]]>,
    states: Vec<FnState>,
    /// (time in ns, function) of each active function's next arrival.
    heap: BinaryHeap<Reverse<(u64, u32)>>,
    spread: Spread,
    time_scale: f64,
    minutes: u32,
    /// The next minute to load.
    next_minute: u32,
    /// Start and length of the current minute (scaled ns).
    start_ns: u64,
    len_ns: u64,
}

impl AzureSource {
    /// The next arrival time of function `f` in the current minute, and
    /// advances its generator.
    #[inline]
    fn next_time(&mut self, f: u32) -> u64 {
        let st = &mut self.states[f as usize];
        let (i, c) = (u64::from(st.emitted), u64::from(st.count));
        st.emitted += 1;
        let len = self.len_ns;
        let offset = match self.spread {
            Spread::Uniform => ((2 * i + 1) as u128 * len as u128 / (2 * c) as u128) as u64,
            Spread::Poisson => {
                // The next of c sorted uniforms, given the previous one.
                let v = 1.0 - st.times.random::<f64>(); // (0, 1]
                let left = (c - i) as f64;
                st.u += (1.0 - st.u) * (1.0 - v.powf(1.0 / left));
                ((st.u * len as f64) as u64).min(len.saturating_sub(1))
            }
        };
        self.start_ns + offset
    }

    /// Loads the next minute with any invocations; `false` past the window.
    #[cold]
    fn load_minute(&mut self) -> bool {
        let cells = Arc::clone(&self.cells);
        while self.next_minute < self.minutes {
            let m = self.next_minute;
            self.next_minute += 1;
            let (a, b) = (cells.offsets[m as usize], cells.offsets[m as usize + 1]);
            if a == b {
                continue;
            }
            self.start_ns = minute_ns(m, self.time_scale);
            self.len_ns = minute_ns(m + 1, self.time_scale) - self.start_ns;
            for &(f, c) in &cells.cells[a..b] {
                let st = &mut self.states[f as usize];
                st.u = 0.0;
                st.emitted = 0;
                st.count = c;
                let t = self.next_time(f);
                self.heap.push(Reverse((t, f)));
            }
            return true;
        }
        false
    }
}

impl RequestSource for AzureSource {
    #[inline]
    fn next_arrival(&mut self) -> Option<Arrival> {
        let Reverse((t, f)) = match self.heap.pop() {
            Some(top) => top,
            None => {
                if !self.load_minute() {
                    return None;
                }
                self.heap.pop()?
            }
        };
        let st = &self.states[f as usize];
        if st.emitted < st.count {
            let next = self.next_time(f);
            self.heap.push(Reverse((next, f)));
        }
        let q = self.states[f as usize].service.random::<f64>();
        let ms = quantile(&self.quantiles[f as usize], q);
        Some(Arrival {
            time: SimTime::from_nanos(t),
            model: ModelId(f),
            service: Some(SimDuration::from_millis_f64(ms)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn func(points: [f64; 7]) -> AzureFunction {
        AzureFunction {
            name: String::new(),
            owner: String::new(),
            app: String::new(),
            function: String::new(),
            trigger: String::new(),
            memory_mib: 0.0,
            duration_ms: points,
            average_ms: 0.0,
            invocations: 0,
            line: 0,
        }
    }

    #[test]
    fn quantile_is_piecewise_linear() {
        let f = func([10.0, 20.0, 40.0, 60.0, 100.0, 500.0, 1000.0]);
        assert_eq!(f.duration_quantile_ms(0.0), 10.0);
        assert_eq!(f.duration_quantile_ms(0.005), 15.0);
        assert_eq!(f.duration_quantile_ms(0.01), 20.0);
        // Between (0.25, 40) and (0.5, 60): at 0.3, 40 + 0.2 × 20 = 44.
        assert!((f.duration_quantile_ms(0.3) - 44.0).abs() < 1e-12);
        assert_eq!(f.duration_quantile_ms(0.5), 60.0);
        // Between (0.99, 500) and (1, 1000): at 0.995, 750.
        assert!((f.duration_quantile_ms(0.995) - 750.0).abs() < 1e-9);
        assert_eq!(f.duration_quantile_ms(1.0), 1000.0);
        assert_eq!(f.duration_quantile_ms(7.0), 1000.0);
        assert_eq!(f.duration_quantile_ms(-1.0), 10.0);
        // Mean: trapezoids 0.01×15 + 0.24×30 + 0.25×50 + 0.25×80 + 0.24×300 + 0.01×750.
        let mean = 0.15 + 7.2 + 12.5 + 20.0 + 72.0 + 7.5;
        assert!((f.duration_mean_ms() - mean).abs() < 1e-9, "{}", f.duration_mean_ms());
    }

    #[test]
    fn options_validate() {
        assert!(AzureOptions::default().validate().is_ok());
        assert_eq!(AzureOptions::default().window(), (0, 1440));
        let o = |f: fn(&mut AzureOptions)| {
            let mut o = AzureOptions::default();
            f(&mut o);
            o.validate()
        };
        assert!(o(|o| o.sample_functions = Some(0)).unwrap_err().to_string().contains("sample_functions"));
        assert!(o(|o| o.time_scale = 0.0).unwrap_err().to_string().contains("time_scale"));
        assert!(o(|o| o.time_scale = f64::NAN).unwrap_err().to_string().contains("time_scale"));
        assert!(o(|o| o.start_minute = 1440).unwrap_err().to_string().contains("start_minute"));
        assert!(o(|o| {
            o.start_minute = 1400;
            o.minutes = Some(41);
        })
        .unwrap_err()
        .to_string()
        .contains("between 1 and 40"));
        let mut w = AzureOptions { start_minute: 1400, ..Default::default() };
        assert_eq!(w.window(), (1400, 40));
        w.minutes = Some(40);
        assert!(w.validate().is_ok());
        let parsed: AzureOptions = toml::from_str("spread = \"uniform\"\ntime_scale = 0.1").unwrap();
        assert_eq!(parsed, AzureOptions { spread: Spread::Uniform, time_scale: 0.1, ..Default::default() });
        assert!(toml::from_str::<AzureOptions>("spread = \"bursty\"").is_err());
        assert!(toml::from_str::<AzureOptions>("sample = 3").is_err());
    }

    #[test]
    fn minute_starts_are_monotone_and_exact() {
        assert_eq!(minute_ns(1, 1.0), 60_000_000_000);
        assert_eq!(minute_ns(1440, 0.1), 8_640_000_000_000);
        for s in [1.0, 0.1, 0.37, 1e-9, 3.0] {
            for m in 0..1440 {
                assert!(minute_ns(m, s) <= minute_ns(m + 1, s));
            }
        }
    }

    #[test]
    fn transpose_merges_repeated_rows() {
        // Function 0 has two rows (minutes 0 and 2; minute 2 again), function 1 one.
        let rows = [(0u32, 0usize, 2usize), (1, 2, 3), (0, 3, 4)];
        let cells = [(0u16, 5u32), (2, 1), (2, 7), (2, 4)];
        let c = transpose(&rows, &cells, &[0, 1], 3, true);
        assert_eq!(c.offsets, [0, 1, 1, 3]);
        assert_eq!(c.cells, [(0, 5), (0, 5), (1, 7)]);
        assert_eq!(c.max_active, 2);
        // Function 0 dropped.
        let c = transpose(&rows, &cells, &[u32::MAX, 0], 3, true);
        assert_eq!((c.offsets, c.cells), (vec![0, 0, 0, 1], vec![(0, 7)]));
    }

    #[test]
    fn names_are_unique() {
        let mk = |o: &str, a: &str, f: &str, line| AzureFunction {
            owner: o.into(),
            app: a.into(),
            function: f.into(),
            line,
            ..func([0.0; 7])
        };
        let mut fs =
            vec![mk("o", "abcdefgh11", "12345678aa", 2), mk("o", "abcdefgh22", "12345678bb", 3), mk("o", "zz", "y", 4)];
        name_functions(&mut fs);
        let names: Vec<&str> = fs.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["o/abcdefgh11/12345678aa", "o/abcdefgh22/12345678bb", "zz/y"]);
        // Ids containing `/`: both the short and the full names collide.
        let mut fs = vec![mk("x", "p", "q/r", 2), mk("x", "p/q", "r", 3), mk("y", "z", "w", 4)];
        name_functions(&mut fs);
        let names: Vec<&str> = fs.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["2:x/p/q/r", "3:x/p/q/r", "4:y/z/w"]);
    }
}
