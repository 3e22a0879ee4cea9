//! Parameter sweeps: a base scenario, axes of values for any of its fields
//! (by dotted path), and the cartesian product run in parallel.
//!
//! ```toml
//! base = "endpoint.toml"          # relative to the sweep file
//! [set]                           # optional: fixed overrides of the base
//! duration_s = 600.0
//! [axes]                          # the product, first axis slowest
//! "cluster.instance_type" = ["ml.m5.xlarge", "ml.r5.xlarge"]
//! "cluster.instances" = [2, 4, 8]
//! "eviction.memory" = ["lru", "gdsf"]
//! "seed" = [1, 2, 3]
//! ```
//!
//! Points are numbered 0.. in the order of nested loops over the axes as
//! written, the last axis varying fastest. A point's result depends only on
//! its scenario (its own seed), never on the thread count or on which shard
//! ran it, and rows are always written in point order — so a sweep run
//! whole, or run as shards ([`Shard`]) whose JSON Lines are then
//! [`merge`]d, gives byte-identical CSV and JSON Lines.
//!
//! A path may descend into a policy given by name: with
//! `routing = "sticky"` in the base, the axis `"routing.spill_factor"`
//! turns it into `{ policy = "sticky", spill_factor = … }`. A path element
//! that is a number indexes an array (`"faults.0.at_s"`). Unquoted dotted
//! keys (`cluster.instances = [2, 4]`) are TOML tables; `[set]` and
//! `[axes]` read nested tables as the dotted paths of their leaves, so only
//! the fields named change — except a table with a `policy` key, which is
//! one value.

use crate::error::Error;
use crate::scenario::Scenario;
use mmesim_core::Report;
use rayon::prelude::*;
use std::borrow::Cow;
use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

/// One axis: a scenario field by dotted path and the values it takes.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// Dotted path (`cluster.instances`).
    pub path: String,
    /// Values, at least one.
    pub values: Vec<toml::Value>,
}

/// A parsed and validated sweep file.
#[derive(Clone, Debug)]
pub struct Sweep {
    origin: String,
    base: toml::Table,
    base_origin: String,
    base_dir: PathBuf,
    axes: Vec<Axis>,
}

/// Which share of the points to run: every `count`-th point starting at
/// `index − 1` (`--shard 2/4` runs points 1, 5, 9, …). Shards are numbered
/// from 1, like `cargo nextest --partition count:K/N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 1-based shard number, at most `count`.
    pub index: u32,
    /// Number of shards, at least 1.
    pub count: u32,
}

impl Shard {
    /// The whole sweep.
    pub const ALL: Shard = Shard { index: 1, count: 1 };

    /// Parses `K/N` (1 ≤ K ≤ N).
    pub fn parse(s: &str) -> Result<Shard, Error> {
        let bad = |why: String| Error::usage(format!("--shard `{s}`: {why}"));
        let (k, n) = s.split_once('/').ok_or_else(|| bad("expected K/N, e.g. 2/4".into()))?;
        let k: u32 = k.trim().parse().map_err(|_| bad(format!("`{k}` is not a shard number")))?;
        let n: u32 = n.trim().parse().map_err(|_| bad(format!("`{n}` is not a shard count")))?;
        if n == 0 {
            return Err(bad("the shard count must be at least 1".into()));
        }
        if k == 0 || k > n {
            return Err(bad(format!("shard {k} does not exist: shards are numbered 1 to {n}")));
        }
        Ok(Shard { index: k, count: n })
    }

    /// Whether point `i` (0-based) belongs to this shard.
    pub fn contains(&self, i: u64) -> bool {
        i % self.count as u64 == (self.index - 1) as u64
    }
}

/// A value in a result row.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// An integer.
    Int(i64),
    /// A number.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// Text (a TOML table or array parameter is written inline).
    Str(String),
}

impl Cell {
    fn from_toml(v: &toml::Value) -> Cell {
        match v {
            toml::Value::Integer(i) => Cell::Int(*i),
            toml::Value::Float(f) => Cell::Float(*f),
            toml::Value::Boolean(b) => Cell::Bool(*b),
            toml::Value::String(s) => Cell::Str(s.clone()),
            other => Cell::Str(inline_toml(other)),
        }
    }

    fn to_json(&self) -> serde_json::Value {
        match self {
            Cell::Int(i) => serde_json::Value::from(*i),
            // Non-finite figures never occur (reports use 0 for "no data");
            // JSON has no NaN, so write null rather than fail.
            Cell::Float(f) => serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into),
            Cell::Bool(b) => serde_json::Value::Bool(*b),
            Cell::Str(s) => serde_json::Value::String(s.clone()),
        }
    }

    fn from_json(v: &serde_json::Value) -> Option<Cell> {
        Some(match v {
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Cell::Int(i),
                None => Cell::Float(n.as_f64()?),
            },
            serde_json::Value::Bool(b) => Cell::Bool(*b),
            serde_json::Value::String(s) => Cell::Str(s.clone()),
            serde_json::Value::Null => Cell::Float(f64::NAN),
            _ => return None,
        })
    }

    /// As a number, if it is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Cell::Int(i) => Some(*i as f64),
            Cell::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// The text of a CSV field (before any quoting): a string as it is, a
    /// number [`clean`](crate::fmt::clean)ed (12 significant digits, no
    /// binary noise) and written as JSON writes it, anything else as in
    /// JSON.
    fn text(&self) -> Cow<'_, str> {
        match self {
            Cell::Str(s) => Cow::Borrowed(s),
            Cell::Float(f) => Cow::Owned(crate::fmt::csv_json_style(*f)),
            other => Cow::Owned(other.to_json().to_string()),
        }
    }
}

pub(crate) fn inline_toml(v: &toml::Value) -> String {
    match v {
        toml::Value::Table(t) => {
            let parts: Vec<String> = t.iter().map(|(k, v)| format!("{k} = {}", inline_toml(v))).collect();
            format!("{{ {} }}", parts.join(", "))
        }
        toml::Value::Array(a) => format!("[{}]", a.iter().map(inline_toml).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}

/// The figures of one run that a sweep row carries (from its [`Report`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Figures {
    /// Requests that arrived.
    pub arrived: u64,
    /// Completed.
    pub completed: u64,
    /// Failed (timeouts, instance failures, too large).
    pub failed: u64,
    /// Rejected (throttled, no healthy instance).
    pub rejected: u64,
    /// Share of the requests arriving after the warm-up that failed or were
    /// rejected (the warm-up is left out, as for latency and hit ratio).
    pub error_rate: f64,
    /// Fraction of measured requests that found their model loaded.
    pub model_cache_hit: f64,
    /// Mean end-to-end latency, ms.
    pub latency_mean_ms: f64,
    /// Median latency, ms.
    pub latency_p50_ms: f64,
    /// 90th percentile, ms.
    pub latency_p90_ms: f64,
    /// 99th percentile, ms.
    pub latency_p99_ms: f64,
    /// 99.9th percentile, ms.
    pub latency_p999_ms: f64,
    /// 99th percentile of the wait for an inference slot, ms.
    pub queue_wait_p99_ms: f64,
    /// Downloads.
    pub downloads: u64,
    /// Loads.
    pub loads: u64,
    /// Unloads (the thrashing signal).
    pub unloads: u64,
    /// Unloads per simulated minute.
    pub unloads_per_min: f64,
    /// Mean inference-slot utilisation, percent.
    pub cpu_utilization: f64,
    /// Busiest minute's slot utilisation, percent.
    pub peak_cpu_utilization: f64,
    /// Fullest minute's memory-tier utilisation, percent.
    pub peak_memory_utilization: f64,
    /// Cost, USD.
    pub cost_usd: f64,
    /// Instance-hours.
    pub instance_hours: f64,
}

impl Figures {
    /// The figures of a report.
    pub fn of(r: &Report) -> Figures {
        let q = &r.requests;
        Figures {
            arrived: q.arrived,
            completed: q.completed,
            failed: q.failed,
            rejected: q.rejected,
            error_rate: if q.measured > 0 {
                (q.measured_failed + q.measured_rejected) as f64 / q.measured as f64
            } else {
                0.0
            },
            model_cache_hit: r.model_cache_hit,
            latency_mean_ms: r.latency_ms.mean,
            latency_p50_ms: r.latency_ms.p50,
            latency_p90_ms: r.latency_ms.p90,
            latency_p99_ms: r.latency_ms.p99,
            latency_p999_ms: r.latency_ms.p999,
            queue_wait_p99_ms: r.queue_wait_ms.p99,
            downloads: r.cache.downloads,
            loads: r.cache.loads,
            unloads: r.cache.unloads,
            unloads_per_min: if r.simulated_s > 0.0 { r.cache.unloads as f64 / (r.simulated_s / 60.0) } else { 0.0 },
            cpu_utilization: r.fleet.cpu_utilization,
            peak_cpu_utilization: r.fleet.peak_cpu_utilization,
            peak_memory_utilization: r.fleet.peak_memory_utilization,
            cost_usd: r.cost_usd,
            instance_hours: r.instance_hours,
        }
    }

    /// Column names, in the order of [`cells`](Figures::cells).
    pub const COLUMNS: [&'static str; 21] = [
        "arrived",
        "completed",
        "failed",
        "rejected",
        "error_rate",
        "model_cache_hit",
        "latency_mean_ms",
        "latency_p50_ms",
        "latency_p90_ms",
        "latency_p99_ms",
        "latency_p999_ms",
        "queue_wait_p99_ms",
        "downloads",
        "loads",
        "unloads",
        "unloads_per_min",
        "cpu_utilization",
        "peak_cpu_utilization",
        "peak_memory_utilization",
        "cost_usd",
        "instance_hours",
    ];

    /// The values, in the order of [`COLUMNS`](Figures::COLUMNS).
    pub fn cells(&self) -> [Cell; 21] {
        let i = |v: u64| Cell::Int(v.min(i64::MAX as u64) as i64);
        let f = Cell::Float;
        [
            i(self.arrived),
            i(self.completed),
            i(self.failed),
            i(self.rejected),
            f(self.error_rate),
            f(self.model_cache_hit),
            f(self.latency_mean_ms),
            f(self.latency_p50_ms),
            f(self.latency_p90_ms),
            f(self.latency_p99_ms),
            f(self.latency_p999_ms),
            f(self.queue_wait_p99_ms),
            i(self.downloads),
            i(self.loads),
            i(self.unloads),
            f(self.unloads_per_min),
            f(self.cpu_utilization),
            f(self.peak_cpu_utilization),
            f(self.peak_memory_utilization),
            f(self.cost_usd),
            f(self.instance_hours),
        ]
    }
}

/// One result row: the point, its parameters and its figures, as named
/// cells in column order (`point`, `points`, the axes, the figures).
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Named values in column order.
    pub cells: Vec<(String, Cell)>,
}

impl Row {
    /// The point's number, the sweep's size and the point's parameters.
    fn head(point: u64, points: u64, params: &[(String, toml::Value)]) -> Row {
        let mut cells = Vec::with_capacity(2 + params.len() + Figures::COLUMNS.len());
        cells.push(("point".to_string(), Cell::Int(point as i64)));
        cells.push(("points".to_string(), Cell::Int(points as i64)));
        cells.extend(params.iter().map(|(p, v)| (p.clone(), Cell::from_toml(v))));
        Row { cells }
    }

    fn new(point: u64, points: u64, params: &[(String, toml::Value)], figures: &Figures) -> Row {
        let mut row = Row::head(point, points, params);
        row.cells.extend(Figures::COLUMNS.iter().map(|n| n.to_string()).zip(figures.cells()));
        row
    }

    /// The cell named `name`.
    pub fn get(&self, name: &str) -> Option<&Cell> {
        self.cells.iter().find(|(n, _)| n == name).map(|(_, c)| c)
    }

    /// The point number (0-based).
    pub fn point(&self) -> u64 {
        match self.get("point") {
            Some(Cell::Int(i)) => *i as u64,
            _ => u64::MAX,
        }
    }

    fn points(&self) -> Option<u64> {
        match self.get("points") {
            Some(Cell::Int(i)) if *i >= 0 => Some(*i as u64),
            _ => None,
        }
    }

    /// One JSON object on one line (no trailing newline), keys in column
    /// order.
    pub fn to_json_line(&self) -> String {
        let mut s = String::from("{");
        for (k, (name, c)) in self.cells.iter().enumerate() {
            if k > 0 {
                s.push(',');
            }
            s.push_str(&serde_json::Value::String(name.clone()).to_string());
            s.push(':');
            s.push_str(&c.to_json().to_string());
        }
        s.push('}');
        s
    }
}

/// The rows as CSV: a header, then one line per row (fields quoted only
/// where they must be).
pub fn to_csv(rows: &[Row]) -> String {
    let mut w = CsvRowWriter::new(Vec::with_capacity(256 * (rows.len() + 1)));
    // Writing to memory cannot fail.
    for r in rows {
        let _ = w.write(r);
    }
    let bytes = w.finish().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The I/O error behind a CSV writer's error (a broken pipe stays one).
fn csv_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// Writes rows as CSV one at a time, through the `csv` crate: the column
/// names of the first row as the header, then one line per row, fields
/// quoted only where they must be (the bytes of [`to_csv`]).
pub struct CsvRowWriter<W: io::Write> {
    w: csv::Writer<W>,
    header: bool,
}

impl<W: io::Write> CsvRowWriter<W> {
    /// A writer into `out` (buffered by the writer itself).
    pub fn new(out: W) -> Self {
        CsvRowWriter {
            w: csv::WriterBuilder::new().quote_style(csv::QuoteStyle::Necessary).from_writer(out),
            header: false,
        }
    }

    /// Writes `row` (after the header, before the first row).
    pub fn write(&mut self, row: &Row) -> io::Result<()> {
        if !self.header {
            self.w.write_record(row.cells.iter().map(|(n, _)| n)).map_err(csv_io)?;
            self.header = true;
        }
        for (_, c) in &row.cells {
            self.w.write_field(c.text().as_bytes()).map_err(csv_io)?;
        }
        self.w.write_record(None::<&[u8]>).map_err(csv_io)
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(self) -> io::Result<W> {
        self.w.into_inner().map_err(|e| e.into_error())
    }
}

/// The rows as JSON Lines: one object per line.
pub fn to_jsonl(rows: &[Row]) -> String {
    let mut out = String::new();
    for r in rows {
        out.push_str(&r.to_json_line());
        out.push('\n');
    }
    out
}

/// [`parse_jsonl`] of a file's bytes: a file with a NUL byte or bytes
/// that are not UTF-8 (not a shard) is an error naming the first such
/// byte, in one line.
pub fn parse_jsonl_bytes(bytes: Vec<u8>, origin: &str) -> Result<Vec<Row>, Error> {
    parse_jsonl(&crate::error::text_of(origin, bytes)?, origin)
}

/// Reads JSON Lines written by [`to_jsonl`]; `origin` names the file in
/// errors. Text with a NUL byte is not a shard.
pub fn parse_jsonl(text: &str, origin: &str) -> Result<Vec<Row>, Error> {
    if let Some(i) = text.find('\0') {
        return Err(Error::parse(origin, format!("not a text file (a NUL byte at byte offset {i})")));
    }
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |m: String| Error::parse(origin, format!("line {}: {m}", i + 1));
        let cells: OrderedObject = serde_json::from_str(line).map_err(|e| {
            let what = crate::error::json_message(&e);
            let at = match e.column() {
                0 => format!("line {}", i + 1),
                c => format!("line {}, column {c}", i + 1),
            };
            Error::parse(origin, format!("{at}: not a JSON object: {what}"))
        })?;
        let mut row = Vec::with_capacity(cells.0.len());
        for (k, v) in cells.0 {
            let c = Cell::from_json(&v).ok_or_else(|| bad(format!("`{k}`: expected a number, string or boolean")))?;
            row.push((k, c));
        }
        let row = Row { cells: row };
        if !matches!(row.get("point"), Some(Cell::Int(i)) if *i >= 0) || row.points().is_none() {
            return Err(bad("not a sweep row: `point` and `points` must be non-negative integers".into()));
        }
        check_point(&row).map_err(bad)?;
        rows.push(row);
    }
    Ok(rows)
}

/// Checks that a row's `points` is a sweep's size (at most [`MAX_POINTS`])
/// and that its `point` is one of them; the message says which is wrong.
fn check_point(row: &Row) -> Result<(), String> {
    let points = row.points().unwrap_or(0);
    if points > MAX_POINTS {
        return Err(format!("`points` is {points}; a sweep has at most {MAX_POINTS} points"));
    }
    if row.point() >= points {
        return Err(format!(
            "`point` {} is not a point of a sweep of {points} (they are numbered from 0)",
            row.point()
        ));
    }
    Ok(())
}

/// A JSON object with its keys in file order.
struct OrderedObject(Vec<(String, serde_json::Value)>);

impl<'de> serde::Deserialize<'de> for OrderedObject {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = OrderedObject;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<OrderedObject, A::Error> {
                let mut v = Vec::new();
                while let Some((k, val)) = map.next_entry::<String, serde_json::Value>()? {
                    v.push((k, val));
                }
                Ok(OrderedObject(v))
            }
        }
        d.deserialize_map(V)
    }
}

/// Joins the rows of shards (each from [`parse_jsonl`], with its origin)
/// into the rows of the whole sweep, in point order. Every point from 0 to
/// `points − 1` must be present exactly once, and all rows must have the
/// same columns.
pub fn merge(shards: Vec<(String, Vec<Row>)>) -> Result<Vec<Row>, Error> {
    let mut all: Vec<(String, Row)> = Vec::new();
    for (origin, rows) in shards {
        all.extend(rows.into_iter().map(|r| (origin.clone(), r)));
    }
    let Some((first_origin, first)) = all.first() else {
        return Err(Error::usage("merge: the shards hold no rows"));
    };
    let points = first.points().unwrap_or(0);
    let columns: Vec<&str> = first.cells.iter().map(|(n, _)| n.as_str()).collect();
    for (origin, r) in &all {
        check_point(r).map_err(|m| Error::invalid_in(origin.clone(), m))?;
        if r.points() != Some(points) {
            return Err(Error::invalid_in(
                origin.clone(),
                format!(
                    "point {}: from a sweep of {} points, but `{first_origin}` is from a sweep of {points}",
                    r.point(),
                    r.points().unwrap_or(0)
                ),
            ));
        }
        if !r.cells.iter().map(|(n, _)| n.as_str()).eq(columns.iter().copied()) {
            return Err(Error::invalid_in(
                origin.clone(),
                format!("point {}: its columns differ from those of `{first_origin}` (another sweep?)", r.point()),
            ));
        }
    }
    all.sort_by_key(|(_, r)| r.point());
    for w in all.windows(2) {
        if w[0].1.point() == w[1].1.point() {
            return Err(Error::invalid_in(
                w[1].0.clone(),
                format!("point {} is also in `{}` (a shard given twice?)", w[1].1.point(), w[0].0),
            ));
        }
    }
    // Every point is below `points` and none is there twice: the points
    // missing are counted, and the first found, without a set of them.
    if all.len() as u64 != points {
        let first = all.iter().zip(0u64..).find(|((_, r), k)| r.point() != *k).map_or(all.len() as u64, |(_, k)| k);
        return Err(Error::usage(format!(
            "merge: {} of the sweep's {points} points are missing (first: point {first}); pass every shard",
            points - all.len() as u64
        )));
    }
    Ok(all.into_iter().map(|(_, r)| r).collect())
}

/// Sets `path` (dotted) in `root` to `value`, creating tables on the way
/// and turning a policy given by name into a table (`"sticky"` →
/// `{ policy = "sticky" }`) when the path goes below it.
pub fn set_path(root: &mut toml::Table, path: &str, value: toml::Value) -> Result<(), String> {
    let parts: Vec<&str> = path.split('.').collect();
    if path.is_empty() || parts.iter().any(|p| p.is_empty()) {
        return Err(format!("`{path}` is not a dotted field path (like `cluster.instances`)"));
    }
    let (last, dirs) = parts.split_last().ok_or_else(|| format!("`{path}` is empty"))?;
    let mut slot: Slot<'_> = Slot::Table(root);
    for (k, part) in dirs.iter().enumerate() {
        let so_far = parts[..=k].join(".");
        let next: &mut toml::Value = match slot {
            Slot::Table(t) => t.entry(part.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new())),
            Slot::Array(a) => {
                let len = a.len();
                let i = part
                    .parse::<usize>()
                    .ok()
                    .filter(|&i| i < len)
                    .ok_or_else(|| format!("`{so_far}`: `{part}` is not an index of this list of {len}"))?;
                &mut a[i]
            }
        };
        if let toml::Value::String(name) = next {
            // A policy by name, and the path goes below it.
            let mut t = toml::Table::new();
            t.insert("policy".into(), toml::Value::String(name.clone()));
            *next = toml::Value::Table(t);
        }
        slot = match next {
            toml::Value::Table(t) => Slot::Table(t),
            toml::Value::Array(a) => Slot::Array(a),
            _ => return Err(format!("`{so_far}` is a single value; `{path}` cannot go below it")),
        };
    }
    match slot {
        Slot::Table(t) => {
            t.insert(last.to_string(), value);
        }
        Slot::Array(a) => {
            let len = a.len();
            let i = last
                .parse::<usize>()
                .ok()
                .filter(|&i| i < len)
                .ok_or_else(|| format!("`{path}`: `{last}` is not an index of this list of {len}"))?;
            a[i] = value;
        }
    }
    Ok(())
}

enum Slot<'a> {
    Table(&'a mut toml::Table),
    Array(&'a mut Vec<toml::Value>),
}

impl Sweep {
    /// Reads and validates a sweep file (and its base scenario).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Sweep, Error> {
        let path = path.as_ref();
        let text = crate::error::read_text(path)?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Sweep::from_toml_str(&text, &path.display().to_string(), &dir)
    }

    /// Parses a sweep; `dir` is where `base` is looked up from.
    pub fn from_toml_str(text: &str, origin: &str, dir: &Path) -> Result<Sweep, Error> {
        let doc: toml::Table = toml::from_str(text).map_err(|e| crate::error::toml_error(origin, text, "", &e))?;
        for k in doc.keys() {
            if !["base", "axes", "set"].contains(&k.as_str()) {
                return Err(Error::invalid(origin, k, "unknown key; a sweep has `base`, `[set]` and `[axes]`"));
            }
        }
        let base_rel = match doc.get("base") {
            Some(toml::Value::String(s)) => s.clone(),
            Some(_) => return Err(Error::invalid(origin, "base", "expected the path of a scenario file")),
            None => return Err(Error::invalid(origin, "base", "missing: the scenario file the sweep varies")),
        };
        let base_path = dir.join(&base_rel);
        let base_bytes = std::fs::read(&base_path)
            .map_err(|e| Error::io_in(origin, format!("`base`: cannot read `{}`: {e}", base_path.display())))?;
        let base_origin = base_path.display().to_string();
        let base_text = crate::error::text_of(&base_origin, base_bytes)?;
        // The base must be a valid scenario on its own.
        Scenario::from_toml_str(&base_text, &base_origin)?;
        let mut base: toml::Table =
            toml::from_str(&base_text).map_err(|e| crate::error::toml_error(&base_origin, &base_text, "", &e))?;
        if let Some(set) = doc.get("set") {
            let toml::Value::Table(set) = set else {
                return Err(Error::invalid(origin, "set", "expected a table of field paths and values"));
            };
            let mut leaves = Vec::new();
            flatten("", set, &mut leaves, &|t| t.contains_key("policy"));
            for (path, v) in &leaves {
                let field = format!("set.\"{path}\"");
                set_path(&mut base, path, v.clone()).map_err(|m| Error::invalid(origin, &field, m))?;
                scenario_of(&base, &base_dir_of(&base_path)).map_err(|m| {
                    Error::invalid(origin, &field, format!("{} (with `{path}` = {})", m, inline_toml(v)))
                })?;
            }
        }
        let axes_t = match doc.get("axes") {
            Some(toml::Value::Table(t)) => t,
            Some(_) => return Err(Error::invalid(origin, "axes", "expected a table of field paths and value lists")),
            None => return Err(Error::invalid(origin, "axes", "missing: give at least one axis")),
        };
        Sweep::with_axes(origin, base, base_origin, base_dir_of(&base_path), axes_t)
    }

    /// A sweep of `base` (a scenario read from TOML, or built from a
    /// table: the Python package's `mmesim.sweep`) over `axes`, a table of
    /// dotted paths and value lists as a sweep file's `[axes]`; `origin`
    /// names it in errors. Checked as a sweep file is.
    pub fn from_scenario(base: &Scenario, axes: &toml::Table, origin: &str) -> Result<Sweep, Error> {
        let Some(table) = base.source.clone() else {
            return Err(Error::invalid_in(origin, "a sweep needs a scenario read from TOML or a table".to_string()));
        };
        Sweep::with_axes(origin, table, base.origin().to_string(), base.base_dir().to_path_buf(), axes)
    }

    /// The sweep of the base table `base` over the axes of `axes_t`, every
    /// value and every point checked.
    fn with_axes(
        origin: &str,
        base: toml::Table,
        base_origin: String,
        base_dir: PathBuf,
        axes_t: &toml::Table,
    ) -> Result<Sweep, Error> {
        if axes_t.is_empty() {
            return Err(Error::invalid(origin, "axes", "empty: give at least one axis"));
        }
        let mut axes = Vec::new();
        let mut leaves = Vec::new();
        flatten("", axes_t, &mut leaves, &|_| false);
        for (path, vals) in &leaves {
            let field = format!("axes.\"{path}\"");
            let toml::Value::Array(values) = vals else {
                return Err(Error::invalid(
                    origin,
                    &field,
                    format!("expected a list of values, like [{}]", inline_toml(vals)),
                ));
            };
            if values.is_empty() {
                return Err(Error::invalid(origin, &field, "empty axis: give at least one value"));
            }
            // Every value must make a valid scenario on its own: an unknown
            // path or a bad value is reported against its axis.
            for v in values {
                let mut t = base.clone();
                set_path(&mut t, path, v.clone()).map_err(|m| Error::invalid(origin, &field, m))?;
                scenario_of(&t, &base_dir).map_err(|m| {
                    Error::invalid(origin, &field, format!("{} (with `{path}` = {})", m, inline_toml(v)))
                })?;
            }
            axes.push(Axis { path: path.clone(), values: values.clone() });
        }
        let n = match points_of(&axes) {
            Some(n) if n <= MAX_POINTS => n,
            Some(n) => {
                return Err(Error::invalid(origin, "axes", format!("{n} points; at most {MAX_POINTS} are supported")))
            }
            None => {
                return Err(Error::invalid(
                    origin,
                    "axes",
                    format!(
                        "more than {} points (the product of the axes' lengths); at most {MAX_POINTS} are supported",
                        u64::MAX
                    ),
                ))
            }
        };
        let sweep = Sweep { origin: origin.to_string(), base, base_origin, base_dir, axes };
        // Combinations can be invalid where each value alone is not (say,
        // instances outside autoscaling bounds): check every point now,
        // before anything runs.
        for i in 0..n as u64 {
            sweep.scenario(i)?;
        }
        Ok(sweep)
    }

    /// The axes, in file order.
    pub fn axes(&self) -> &[Axis] {
        &self.axes
    }

    /// Number of points (the product of the axis lengths; a sweep has at
    /// most [`MAX_POINTS`]).
    pub fn len(&self) -> u64 {
        // Checked when the sweep was read: the product fits.
        points_of(&self.axes).unwrap_or(u64::MAX)
    }

    /// Whether the sweep has no point (never: axes are non-empty).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The parameters of point `i`: each axis path with its value.
    pub fn params(&self, i: u64) -> Vec<(String, toml::Value)> {
        let mut rest = i;
        let mut out = vec![(String::new(), toml::Value::Boolean(false)); self.axes.len()];
        for (k, a) in self.axes.iter().enumerate().rev() {
            let n = a.values.len() as u64;
            out[k] = (a.path.clone(), a.values[(rest % n) as usize].clone());
            rest /= n;
        }
        out
    }

    /// The scenario of point `i`.
    pub fn scenario(&self, i: u64) -> Result<Scenario, Error> {
        self.scenario_with(i, &self.params(i))
    }

    /// The scenario of point `i`, whose parameters are `params`.
    fn scenario_with(&self, i: u64, params: &[(String, toml::Value)]) -> Result<Scenario, Error> {
        let mut t = self.base.clone();
        for (p, v) in params {
            set_path(&mut t, p, v.clone()).map_err(|m| Error::invalid(&self.origin, &format!("axes.\"{p}\""), m))?;
        }
        scenario_of(&t, &self.base_dir).map_err(|m| {
            let shown: Vec<String> = params.iter().map(|(p, v)| format!("{p} = {}", inline_toml(v))).collect();
            Error::invalid_in(self.origin.clone(), format!("point {i} ({}): {m}", shown.join(", ")))
        })
    }

    /// The base scenario file, as named in errors.
    pub fn base_origin(&self) -> &str {
        &self.base_origin
    }

    /// The points of a shard as rows of their number and parameters only
    /// (no figures): what `mmesim sweep --list` prints. This holds every
    /// row at once; [`write_list`](Sweep::write_list) streams them.
    pub fn point_rows(&self, shard: Shard) -> Vec<Row> {
        self.shard_iter(shard).map(|i| Row::head(i, self.len(), &self.params(i))).collect()
    }

    /// Writes the points of a shard as CSV, one row at a time (number and
    /// parameters, no figures): what `mmesim sweep --list` prints, the bytes
    /// of [`to_csv`] of [`point_rows`](Sweep::point_rows) in memory bounded
    /// by one row.
    pub fn write_list(&self, shard: Shard, out: impl io::Write) -> io::Result<()> {
        let mut w = CsvRowWriter::new(out);
        for i in self.shard_iter(shard) {
            w.write(&Row::head(i, self.len(), &self.params(i)))?;
        }
        w.finish().map(drop)
    }

    /// The points of a shard, in order.
    pub fn shard_points(&self, shard: Shard) -> Vec<u64> {
        self.shard_iter(shard).collect()
    }

    /// The points of a shard, in order, without holding them.
    pub fn shard_iter(&self, shard: Shard) -> impl Iterator<Item = u64> {
        (u64::from(shard.index.max(1) - 1)..self.len()).step_by(shard.count.max(1) as usize)
    }

    /// Number of points in a shard.
    pub fn shard_len(&self, shard: Shard) -> u64 {
        self.len().saturating_sub(u64::from(shard.index.max(1) - 1)).div_ceil(u64::from(shard.count.max(1)))
    }

    /// Runs the points of `shard` on `threads` worker threads (`None`: all
    /// cores; at most [`MAX_THREADS`]), calling `done` after each point
    /// (from any thread: drive a progress bar with it). Rows come back in
    /// point order and do not depend on the thread count. This holds every
    /// row at once; [`run_each`](Sweep::run_each) streams them.
    pub fn run(&self, shard: Shard, threads: Option<usize>, done: &(dyn Fn() + Sync)) -> Result<Vec<Row>, Error> {
        let mut rows = Vec::new();
        self.run_each(shard, threads, done, &mut |r| {
            rows.push(r);
            Ok(())
        })?;
        Ok(rows)
    }

    /// Runs the points of `shard` like [`run`](Sweep::run), handing each
    /// row to `sink` in point order as soon as it and every point before it
    /// are done: points run [`RUN_CHUNK`] at a time in parallel, so memory
    /// holds at most that many rows whatever the sweep's size. On an error
    /// (a point's run, or `sink`'s) nothing more is run; rows of the chunks
    /// before have been handed over.
    pub fn run_each(
        &self,
        shard: Shard,
        threads: Option<usize>,
        done: &(dyn Fn() + Sync),
        sink: &mut dyn FnMut(Row) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let pool = thread_pool(threads)?;
        let total = self.len();
        let mut points = self.shard_iter(shard).peekable();
        let mut chunk: Vec<u64> = Vec::with_capacity(RUN_CHUNK);
        while points.peek().is_some() {
            chunk.clear();
            chunk.extend(points.by_ref().take(RUN_CHUNK));
            let work = || {
                chunk
                    .par_iter()
                    .map(|&i| {
                        let params = self.params(i);
                        let out = self.scenario_with(i, &params)?.run()?;
                        done();
                        Ok(Row::new(i, total, &params, &Figures::of(&out.report)))
                    })
                    .collect::<Result<Vec<Row>, Error>>()
            };
            let rows = match &pool {
                Some(p) => p.install(work),
                None => work(),
            }?;
            for r in rows {
                sink(r)?;
            }
        }
        Ok(())
    }
}

/// Most worker threads `--threads` may ask for (sweeps, `recommend`,
/// `mmesim cache`). Runs are CPU-bound and share nothing, so threads past
/// the machine's cores only cost memory (each has its own stack and its
/// runs' state); this bounds that, far above any machine's core count.
pub const MAX_THREADS: usize = 1024;

/// Points of a sweep run at once by [`Sweep::run_each`] (in parallel, their
/// rows then handed over in order): the most rows held in memory.
pub const RUN_CHUNK: usize = 4096;

/// Checks a `--threads` value: at least 1, at most [`MAX_THREADS`] (`None`,
/// all cores, is always fine). The error names `--threads`.
pub fn check_threads(threads: Option<usize>) -> Result<(), Error> {
    match threads {
        Some(0) => Err(Error::usage("--threads: must be at least 1")),
        Some(n) if n > MAX_THREADS => {
            Err(Error::usage(format!("--threads: {n} threads; at most {MAX_THREADS} are supported")))
        }
        _ => Ok(()),
    }
}

/// A pool of `threads` workers (checked by [`check_threads`]), or `None`
/// for rayon's global pool (all cores).
pub(crate) fn thread_pool(threads: Option<usize>) -> Result<Option<rayon::ThreadPool>, Error> {
    check_threads(threads)?;
    match threads {
        None => Ok(None),
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map(Some)
            .map_err(|e| Error::usage(format!("--threads: cannot start {n} threads: {e}"))),
    }
}

/// Runs `work` on a pool of `threads` workers (`None`: rayon's global pool,
/// all cores). `threads` must pass [`check_threads`].
pub fn with_threads<T: Send>(threads: Option<usize>, work: impl FnOnce() -> T + Send) -> Result<T, Error> {
    Ok(match thread_pool(threads)? {
        None => work(),
        Some(p) => p.install(work),
    })
}

/// Worker threads of rayon's global pool (all cores, or
/// `RAYON_NUM_THREADS`).
pub fn default_threads() -> usize {
    rayon::current_num_threads()
}

/// The leaves of a table as `(dotted path, value)`, in order. Nested
/// tables — written as sub-tables or with unquoted dotted keys
/// (`cluster.instances = 4` is TOML for `cluster = { instances = 4 }`) —
/// are walked into, so only the fields named change; a table for which
/// `leaf` holds (a policy table, `{ policy = "lruk", k = 3 }`) is one value.
fn flatten(prefix: &str, t: &toml::Table, out: &mut Vec<(String, toml::Value)>, leaf: &dyn Fn(&toml::Table) -> bool) {
    for (k, v) in t {
        let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        match v {
            toml::Value::Table(sub) if !leaf(sub) => flatten(&path, sub, out, leaf),
            other => out.push((path, other.clone())),
        }
    }
}

/// Most points a sweep may have: every point is checked before anything
/// runs, and `merge` refuses a row claiming a larger sweep.
pub const MAX_POINTS: u64 = 10_000_000;

/// The number of points of `axes` (the product of their lengths), `None`
/// if it does not fit a `u64`.
fn points_of(axes: &[Axis]) -> Option<u64> {
    axes.iter().try_fold(1u64, |n, a| n.checked_mul(a.values.len() as u64))
}

fn base_dir_of(base_path: &Path) -> PathBuf {
    base_path.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// A scenario from a TOML table (paths in it relative to `dir`); the error
/// is one line naming the field.
pub(crate) fn scenario_of(t: &toml::Table, dir: &Path) -> Result<Scenario, String> {
    let v = toml::Value::Table(t.clone());
    let mut s: Scenario = serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let msg = crate::error::plain(&crate::error::one_line(e.inner().message()));
        if path.is_empty() || path == "." {
            msg
        } else {
            format!("`{path}`: {msg}")
        }
    })?;
    s.set_base_dir(dir);
    s.validate(&s.name.clone()).map_err(|e| e.message().to_string())?;
    Ok(s)
}

/// A human table of rows (the first columns and key figures), for the
/// terminal.
pub fn rows_table(rows: &[Row], axes: &[Axis]) -> String {
    let mut out = String::new();
    let figs = ["model_cache_hit", "latency_p99_ms", "unloads_per_min", "error_rate", "cost_usd"];
    let mut head: Vec<String> = vec!["point".into()];
    head.extend(axes.iter().map(|a| a.path.clone()));
    head.extend(figs.iter().map(|s| s.to_string()));
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            head.iter()
                .map(|h| match r.get(h) {
                    Some(Cell::Float(f)) => format!("{f:.4}"),
                    Some(Cell::Str(s)) => s.clone(),
                    Some(c) => c.text().into_owned(),
                    None => String::new(),
                })
                .collect()
        })
        .collect();
    let widths: Vec<usize> =
        (0..head.len()).map(|k| body.iter().map(|r| r[k].len()).chain([head[k].len()]).max().unwrap_or(0)).collect();
    for line in std::iter::once(&head).chain(body.iter()) {
        let cells: Vec<String> = line.iter().zip(&widths).map(|(c, w)| format!("{c:>w$}")).collect();
        let _ = writeln!(out, "{}", cells.join("  "));
    }
    out
}
