//! Request traces in CSV (format `csv` of `[workload] trace`): real traffic,
//! one request per line.
//!
//! ```text
//! timestamp_s,model,service_ms
//! 0.000,resnet50,12.5
//! 0.013,bert-base,
//! 0.020,7,3
//! ```
//!
//! * The header is `timestamp_s,model` or `timestamp_s,model,service_ms`
//!   (exactly these names, in this order; fields are trimmed, a UTF-8
//!   byte-order mark is ignored).
//! * `timestamp_s`: non-negative seconds, fractional allowed (`12`, `12.5`,
//!   `1.25e3`; up to nine decimals are read exactly), never less than the
//!   previous line's.
//! * `model`: a non-empty name; integers are names too (`7` is the model
//!   named "7"). Surrounding whitespace is trimmed (inside quotes too); a
//!   name may be quoted (`"a,b"`, with `""` for a quote; a quoted field may
//!   span lines, its record then at the line it starts on).
//! * `service_ms` (optional column): the request's service time in
//!   milliseconds, non-negative and finite; an empty field means "draw it
//!   from the model's service distribution".
//! * Every line has as many fields as the header; blank lines are skipped
//!   (but counted: errors give the 1-based line number, header = line 1).
//!
//! Reading takes two passes, both streamed (memory bounded by the number of
//! distinct models, never by the number of requests):
//!
//! 1. [`scan_request_csv`] validates every line and collects the distinct
//!    model names in order of first appearance ([`RequestTraceScan`]);
//! 2. [`CsvRequestSource`] replays the requests as a [`RequestSource`],
//!    mapping names to [`ModelId`]s through a [`ModelIndex`] (built from the
//!    scan, or from a scenario's model list), one line at a time and
//!    without allocating. Should the file change between the passes, the
//!    error found mid-stream is kept ([`CsvRequestSource::error`]) and the
//!    source ends.
//!
//! ```
//! use mmesim_core::{ModelId, RequestSource};
//! use mmesim_engine::{SimDuration, SimTime};
//! use mmesim_workload::reqtrace::{scan_request_reader, CsvRequestSource, ModelIndex};
//!
//! let csv = "timestamp_s,model,service_ms\n0.5,bert,12\n1.25,7,\n3,bert,0.5\n";
//! let scan = scan_request_reader(csv.as_bytes()).unwrap();
//! assert_eq!(scan.models, ["bert", "7"]);
//! assert_eq!((scan.requests, scan.has_service), (3, true));
//!
//! // Replay at double speed (time_scale 0.5).
//! let ids = ModelIndex::from_scan(&scan);
//! let mut src = CsvRequestSource::from_reader(csv.as_bytes(), ids, 0.5).unwrap();
//! let a = src.next_arrival().unwrap();
//! assert_eq!((a.time, a.model, a.service), (SimTime::from_millis(250), ModelId(0), Some(SimDuration::from_millis(12))));
//! let b = src.next_arrival().unwrap();
//! assert_eq!((b.time, b.model, b.service), (SimTime::from_millis(625), ModelId(1), None));
//! assert_eq!(src.next_arrival().unwrap().service, Some(SimDuration::from_micros(500)));
//! assert!(src.next_arrival().is_none() && src.error().is_none());
//!
//! // Errors name the line (and, for files, the file).
//! let bad = "timestamp_s,model\n2,a\n1,b\n";
//! let err = scan_request_reader(bad.as_bytes()).unwrap_err();
//! assert_eq!(err.line(), Some(3));
//! assert!(err.to_string().starts_with("line 3: time goes backwards"), "{err}");
//! ```

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use csv::ByteRecord;
use mmesim_core::{Arrival, ModelId, RequestSource};
use mmesim_engine::{SimDuration, SimTime};
use rustc_hash::FxHashMap;

use crate::csvio::{self, abridge, parse_time, MAX_TIME};
use crate::error::{Error, TraceLocation, TraceProblem};

/// The crate's error, as the trace readers name it.
type TraceError = Error;

/// The accepted headers, as shown in error messages.
pub const REQUEST_CSV_HEADER: &str = "timestamp_s,model[,service_ms]";
const COLUMNS: [&str; 3] = ["timestamp_s", "model", "service_ms"];

/// What the first pass over a request trace found.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestTraceScan {
    /// The distinct model names, in order of first appearance (trimmed).
    pub models: Vec<String>,
    /// For each of `models`, the 1-based line of its first request.
    pub first_lines: Vec<u64>,
    /// Requests (lines after the header, blank lines excepted).
    pub requests: u64,
    /// Whether the header has the `service_ms` column.
    pub has_service: bool,
    /// The time of the last request (zero for an empty trace), unscaled.
    pub last_time: SimTime,
    /// The file scanned (`None` for [`scan_request_reader`]); errors of
    /// [`ModelIndex::check`] name it.
    pub path: Option<PathBuf>,
}

/// First pass over the request trace at `path`: validates every line and
/// collects the distinct models. Memory is bounded by the number of
/// distinct models. Errors name the file and the line.
pub fn scan_request_csv(path: &Path) -> Result<RequestTraceScan, TraceError> {
    let reader = csvio::open_file(path)?;
    let mut scan = scan_request_reader(reader).map_err(|e| e.in_file(path))?;
    scan.path = Some(path.to_owned());
    Ok(scan)
}

/// [`scan_request_csv`] over any reader (errors name the line only; the
/// reader need not be buffered).
///
/// A trace may name at most [`MAX_MODELS`](crate::MAX_MODELS) distinct
/// models (each costs the run memory, whether or not it is requested
/// again): the error names the line of the first model past the limit,
/// found while reading, before the names take more memory.
pub fn scan_request_reader<R: Read>(reader: R) -> Result<RequestTraceScan, TraceError> {
    scan_with_limit(reader, crate::MAX_MODELS)
}

fn scan_with_limit<R: Read>(reader: R, max_models: u32) -> Result<RequestTraceScan, TraceError> {
    let mut csv = RequestCsv::new(reader)?;
    let mut index: FxHashMap<Box<str>, u32> = FxHashMap::default();
    let mut scan = RequestTraceScan {
        models: Vec::new(),
        first_lines: Vec::new(),
        requests: 0,
        has_service: csv.has_service,
        last_time: SimTime::ZERO,
        path: None,
    };
    while let Some(rec) = csv.next_record()? {
        scan.requests += 1;
        scan.last_time = rec.time;
        let name = csv.model_str()?;
        if !index.contains_key(name) {
            let id = scan.models.len() as u32;
            if id >= max_models {
                let name = abridge(name.as_bytes());
                return Err(csv.invalid(TraceProblem::TooManyModels { name, max: max_models }));
            }
            index.insert(name.into(), id);
            scan.models.push(name.to_owned());
            scan.first_lines.push(csvio::line(&csv.rdr, &csv.record));
        }
    }
    Ok(scan)
}

/// A model name given twice to [`ModelIndex::from_names`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("model name {name:?} given twice (models {first} and {second}, 0-based)")]
pub struct DuplicateModelName {
    /// The name.
    pub name: String,
    /// Its first index.
    pub first: usize,
    /// Its second index.
    pub second: usize,
}

/// Model name → [`ModelId`], for replaying a request trace. Only looked
/// up, never iterated, so its hashing order decides nothing.
#[derive(Clone, Debug, Default)]
pub struct ModelIndex {
    map: FxHashMap<Box<str>, ModelId>,
}

impl ModelIndex {
    /// Model `i` is `names[i]` (e.g. a scenario's model list). Names are
    /// matched exactly (trace fields are trimmed, these are not).
    pub fn from_names<I, S>(names: I) -> Result<Self, DuplicateModelName>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut map: FxHashMap<Box<str>, ModelId> = FxHashMap::default();
        for (i, name) in names.into_iter().enumerate() {
            let name = name.as_ref();
            let id = ModelId(u32::try_from(i).unwrap_or(u32::MAX));
            if let Some(prev) = map.insert(name.into(), id) {
                return Err(DuplicateModelName { name: name.to_owned(), first: prev.index(), second: i });
            }
        }
        Ok(ModelIndex { map })
    }

    /// Model `i` is the `i`-th distinct model of the trace, in order of
    /// first appearance.
    pub fn from_scan(scan: &RequestTraceScan) -> Self {
        let map = scan.models.iter().enumerate().map(|(i, name)| (name.as_str().into(), ModelId(i as u32))).collect();
        ModelIndex { map }
    }

    /// The id of the model named `name`.
    #[inline]
    pub fn get(&self, name: &str) -> Option<ModelId> {
        self.map.get(name).copied()
    }

    /// Number of models.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are no models.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Checks that every model of `scan` is known, before replaying it: the
    /// error names the file and the line of the first request for an
    /// unknown model.
    pub fn check(&self, scan: &RequestTraceScan) -> Result<(), TraceError> {
        for (name, &line) in scan.models.iter().zip(&scan.first_lines) {
            if self.get(name).is_none() {
                let problem = TraceProblem::UnknownModel { name: abridge(name.as_bytes()), known: self.len() };
                let err = Error::invalid_record(TraceLocation::Line(line), problem);
                return Err(match &scan.path {
                    Some(path) => err.in_file(path),
                    None => err,
                });
            }
        }
        Ok(())
    }
}

/// One parsed line (the model's name stays in the record).
#[derive(Clone, Copy)]
struct Record {
    time: SimTime,
    service: Option<SimDuration>,
}

/// The parser of both passes: a CSV reader and its reused record.
struct RequestCsv<R: Read> {
    rdr: csvio::CsvReader<R>,
    record: ByteRecord,
    has_service: bool,
    prev: SimTime,
}

impl<R: Read> RequestCsv<R> {
    fn new(reader: R) -> Result<Self, TraceError> {
        let mut rdr = csvio::reader(reader, true);
        let mut record = ByteRecord::new();
        if !csvio::read_header(&mut rdr, &mut record)? {
            let problem = TraceProblem::NoHeader { expected: REQUEST_CSV_HEADER.to_owned() };
            return Err(Error::invalid_record(TraceLocation::Line(1), problem));
        }
        let n = record.len();
        if !((n == 2 || n == 3) && csvio::fields(&record).eq(COLUMNS[..n].iter().map(|c| c.as_bytes()))) {
            let found = csvio::abridge_record(&record);
            let problem = TraceProblem::UnexpectedHeader { found, expected: REQUEST_CSV_HEADER.into() };
            return Err(csvio::invalid(&rdr, &record, problem));
        }
        Ok(RequestCsv { rdr, record, has_service: n == 3, prev: SimTime::ZERO })
    }

    fn columns(&self) -> usize {
        if self.has_service {
            3
        } else {
            2
        }
    }

    /// The next request, or `None` at the end of the file.
    #[inline]
    fn next_record(&mut self) -> Result<Option<Record>, TraceError> {
        if !csvio::next_record(&mut self.rdr, &mut self.record)? {
            return Ok(None);
        }
        match self.parse() {
            Ok(rec) => {
                self.prev = rec.time;
                Ok(Some(rec))
            }
            Err(problem) => Err(self.invalid(problem)),
        }
    }

    /// An error about the current record.
    #[cold]
    fn invalid(&self, problem: TraceProblem) -> TraceError {
        csvio::invalid(&self.rdr, &self.record, problem)
    }

    #[inline]
    fn parse(&self) -> Result<Record, TraceProblem> {
        let expected = self.columns();
        let found = self.record.len();
        if found != expected {
            let header = COLUMNS[..expected].join(",");
            return Err(TraceProblem::FieldCount { found, expected, header });
        }
        let field = |i: usize| self.record[i].trim_ascii();
        let time = parse_time(field(0))?;
        if field(1).is_empty() {
            return Err(TraceProblem::EmptyField { column: "model" });
        }
        let service = if self.has_service { parse_service(field(2))? } else { None };
        if time < self.prev {
            return Err(TraceProblem::TimeBackwards { prev: self.prev, now: time });
        }
        Ok(Record { time, service })
    }

    /// The model name of the current record, trimmed.
    #[inline]
    fn model_str(&self) -> Result<&str, TraceError> {
        let field = self.record[1].trim_ascii();
        std::str::from_utf8(field)
            .map_err(|_| self.invalid(TraceProblem::NotUtf8 { column: "model", value: abridge(field) }))
    }
}

/// A `service_ms` field: empty = `None`.
fn parse_service(field: &[u8]) -> Result<Option<SimDuration>, TraceProblem> {
    const COLUMN: &str = "service_ms";
    if field.is_empty() {
        return Ok(None);
    }
    let not_a_number =
        || TraceProblem::NotANumber { column: COLUMN, value: abridge(field), expected: "milliseconds, e.g. 12.5" };
    let ms: f64 = std::str::from_utf8(field).ok().and_then(|s| s.parse().ok()).ok_or_else(not_a_number)?;
    if !ms.is_finite() {
        return Err(not_a_number());
    }
    if ms < 0.0 {
        return Err(TraceProblem::NegativeValue { column: COLUMN, value: abridge(field) });
    }
    if ms * 1e6 >= u64::MAX as f64 {
        return Err(TraceProblem::TooLarge { column: COLUMN, value: abridge(field), max: "18446744073709.551615 ms" });
    }
    Ok(Some(SimDuration::from_millis_f64(ms)))
}

/// The second pass over a request trace: its requests as a
/// [`RequestSource`], streamed one line at a time.
///
/// `Arrival.time` is the line's timestamp × `time_scale`;
/// `Arrival.service` is the `service_ms` field when it has a value; the
/// model is looked up in the [`ModelIndex`]. An error (an invalid line, a
/// model not in the index, a read error) ends the source; it is kept for
/// [`error`](Self::error).
pub struct CsvRequestSource<R: Read = File> {
    csv: RequestCsv<R>,
    ids: ModelIndex,
    time_scale: f64,
    path: Option<PathBuf>,
    requests: u64,
    error: Option<TraceError>,
    done: bool,
}

impl CsvRequestSource {
    /// Opens the request trace at `path` (checking its header) for replay
    /// with `ids` and arrival times multiplied by `time_scale` (positive,
    /// finite). Errors name the file.
    pub fn open(path: &Path, ids: ModelIndex, time_scale: f64) -> Result<Self, TraceError> {
        check_time_scale(time_scale)?;
        let reader = csvio::open_file(path)?;
        let mut src = Self::from_reader(reader, ids, time_scale).map_err(|e| e.in_file(path))?;
        src.path = Some(path.to_owned());
        Ok(src)
    }
}

fn check_time_scale(time_scale: f64) -> Result<(), TraceError> {
    if time_scale.is_finite() && time_scale > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid_option("time_scale", format!("must be a positive number, got {time_scale}")))
    }
}

impl<R: Read> CsvRequestSource<R> {
    /// [`open`](CsvRequestSource::open) over any reader (errors name the
    /// line only; the reader need not be buffered).
    pub fn from_reader(reader: R, ids: ModelIndex, time_scale: f64) -> Result<Self, TraceError> {
        check_time_scale(time_scale)?;
        Ok(CsvRequestSource {
            csv: RequestCsv::new(reader)?,
            ids,
            time_scale,
            path: None,
            requests: 0,
            error: None,
            done: false,
        })
    }

    /// The error that ended the source early, if any (the file changed
    /// since it was scanned, a model is not in the index, …).
    pub fn error(&self) -> Option<&TraceError> {
        self.error.as_ref()
    }

    /// Takes the error that ended the source early, if any (to pass it on
    /// whole: its kind, its I/O cause).
    pub fn take_error(&mut self) -> Option<TraceError> {
        self.error.take()
    }

    /// Arrivals yielded so far.
    pub fn requests(&self) -> u64 {
        self.requests
    }

    /// Whether the header has the `service_ms` column.
    pub fn has_service(&self) -> bool {
        self.csv.has_service
    }

    #[cold]
    fn fail(&mut self, err: TraceError) -> Option<Arrival> {
        self.done = true;
        self.error = Some(match &self.path {
            Some(path) => err.in_file(path),
            None => err,
        });
        None
    }

    #[inline]
    fn next_inner(&mut self) -> Result<Option<Arrival>, TraceError> {
        let Some(rec) = self.csv.next_record()? else {
            return Ok(None);
        };
        let name = self.csv.model_str()?;
        let Some(model) = self.ids.get(name) else {
            let problem = TraceProblem::UnknownModel { name: abridge(name.as_bytes()), known: self.ids.len() };
            return Err(self.csv.invalid(problem));
        };
        let time = if self.time_scale == 1.0 {
            rec.time
        } else {
            let ns = (rec.time.as_nanos() as f64 * self.time_scale).round();
            if ns >= u64::MAX as f64 {
                let value = format!("{} scaled by {}", rec.time.as_secs_f64(), self.time_scale);
                return Err(self.csv.invalid(TraceProblem::TooLarge { column: "timestamp_s", value, max: MAX_TIME }));
            }
            SimTime::from_nanos(ns as u64)
        };
        Ok(Some(Arrival { time, model, service: rec.service }))
    }
}

impl<R: Read + Send> RequestSource for CsvRequestSource<R> {
    #[inline]
    fn next_arrival(&mut self) -> Option<Arrival> {
        if self.done {
            return None;
        }
        match self.next_inner() {
            Ok(Some(a)) => {
                self.requests += 1;
                Some(a)
            }
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => self.fail(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_variants() {
        let s = scan_request_reader("\u{feff} timestamp_s , model \r\n".as_bytes()).unwrap();
        assert_eq!((s.requests, s.has_service, s.models.len()), (0, false, 0));
        for bad in ["timestamp_s", "timestamp_s,model,service_ms,x", "time,model", "timestamp_s,service_ms,model"] {
            let e = scan_request_reader(format!("{bad}\n0,a\n").as_bytes()).unwrap_err();
            assert_eq!(e.line(), Some(1));
            assert!(e.to_string().contains("bad header"), "{e}");
        }
        let e = scan_request_reader(&b""[..]).unwrap_err();
        assert_eq!(e.to_string(), "line 1: empty file: expected the header `timestamp_s,model[,service_ms]`");
    }

    #[test]
    fn bad_time_scale() {
        for s in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let e = CsvRequestSource::from_reader("timestamp_s,model\n".as_bytes(), ModelIndex::default(), s)
                .err()
                .unwrap();
            assert!(e.to_string().starts_with("invalid trace option `time_scale`"), "{e}");
        }
    }

    /// Issue 13: a trace of 12 million distinct models was accepted
    /// (4.35 GB); the distinct models are capped while reading, and the
    /// error names the line of the first one past the cap.
    #[test]
    fn distinct_models_are_capped_while_reading() {
        let csv = "timestamp_s,model\n0,a\n1,b\n2,a\n\n3,c\n4,d\n";
        let scan = scan_with_limit(csv.as_bytes(), 2).unwrap_err();
        assert_eq!(scan.line(), Some(6));
        assert_eq!(scan.to_string(), "line 6: model \"c\" makes more than 2 distinct models, the most a run may have");
        assert_eq!(scan_with_limit(csv.as_bytes(), 4).unwrap().models, ["a", "b", "c", "d"]);
        // The public scan uses the population's cap, and names the file.
        let dir = std::env::temp_dir().join(format!("mmesim-reqtrace-cap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.csv");
        std::fs::write(&path, csv).unwrap();
        assert_eq!(scan_request_csv(&path).unwrap().models.len(), 4);
        let e = scan_with_limit(csvio::open_file(&path).unwrap(), 1).unwrap_err().in_file(&path);
        let want = format!(
            "{}: line 3: model \"b\" makes more than 1 distinct models, the most a run may have",
            path.display()
        );
        assert_eq!(e.to_string(), want);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn duplicate_names() {
        let e = ModelIndex::from_names(["a", "b", "a"]).unwrap_err();
        assert_eq!(e, DuplicateModelName { name: "a".into(), first: 0, second: 2 });
        let ids = ModelIndex::from_names(vec!["x".to_string(), "y".to_string()]).unwrap();
        assert_eq!((ids.get("y"), ids.get("z"), ids.len()), (Some(ModelId(1)), None, 2));
    }
}
