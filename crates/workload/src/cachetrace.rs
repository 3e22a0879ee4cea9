//! Streamed readers of cache traces, for cache-only replay (`mmesim cache`).
//!
//! A cache trace is a sequence of [`CacheRequest`]s: at `time`, `object` of
//! `size` bytes is requested. Two formats are read, one record at a time, so
//! memory never grows with the length of a trace:
//!
//! * **oracle-general** ([`OracleGeneralReader`]): libCacheSim's binary
//!   format, 24-byte little-endian records
//!   `u32 clock_time (s) | u64 obj_id | u32 obj_size (bytes) | i64 next_access_vtime`.
//!   libCacheSim's `traceConv` writes as `next_access_vtime` the **1-based**
//!   position in the trace of the next request for the same object, or −1
//!   when there is none. This module exposes it **0-based** (the value minus
//!   one) as [`CacheRequest::next_access`], the same scale as the logical
//!   time (`vtime`, 0-based request index) of a cache replay, so a request's
//!   `next_access` is the index of the record it points at. `−1` (and
//!   `i64::MAX`, which libCacheSim also reads as "never") become `None`; any
//!   other value that does not point after its own record is an error.
//!   [`write_oracle_general`] writes the inverse, so write → read is exact.
//! * **csv** ([`CsvCacheReader`]): header `timestamp_s,object,size_bytes`;
//!   seconds may be fractional; timestamps must not decrease. An object that
//!   is a canonical decimal integer (ASCII digits, no sign, no leading zero
//!   unless it is `0`, fitting in a `u64`) is that integer; any other object
//!   string is mapped to the 64-bit FNV-1a hash of its bytes (after
//!   unquoting; unquoted fields are trimmed of surrounding whitespace), so
//!   `7` is object 7 while `007` and `abc` are hashed.
//!   [`fnv1a64`] is that hash; it is fixed, so a trace maps the same way on
//!   every machine and run.
//!
//! [`open_trace`] opens either by [`CacheTraceFormat`]; [`DenseIds`] turns the
//! sparse 64-bit object ids into the dense `u32` ids the evictors index by.
//!
//! Errors ([`TraceError`]) name where they happened: the 1-based record
//! number and byte offset for binary traces, the 1-based line number (header
//! = line 1) for CSV. After an error a reader yields nothing more.
//!
//! ```
//! use mmesim_engine::SimTime;
//! use mmesim_workload::cachetrace::{write_oracle_general, CacheRequest, CsvCacheReader, DenseIds, OracleGeneralReader};
//!
//! // Object 42 at 0 s and 1 s (its next access is request #1, 0-based), object 7 at 2 s.
//! let reqs = [
//!     CacheRequest { time: SimTime::from_secs(0), object: 42, size: 100, next_access: Some(1) },
//!     CacheRequest { time: SimTime::from_secs(1), object: 42, size: 100, next_access: None },
//!     CacheRequest { time: SimTime::from_secs(2), object: 7, size: 10, next_access: None },
//! ];
//! let mut bytes = Vec::new();
//! write_oracle_general(&mut bytes, reqs).unwrap();
//! assert_eq!(bytes.len(), 3 * 24);
//! let back: Vec<CacheRequest> = OracleGeneralReader::new(&bytes[..]).collect::<Result<_, _>>().unwrap();
//! assert_eq!(back, reqs);
//!
//! // The same objects from a CSV trace (no next-access information).
//! let csv = "timestamp_s,object,size_bytes\n0,42,100\n1.5,42,100\n2,photo.jpg,10\n";
//! let mut ids = DenseIds::new();
//! let mut dense = Vec::new();
//! for r in CsvCacheReader::new(csv.as_bytes()).unwrap() {
//!     let r = r.unwrap();
//!     dense.push(ids.id(r.object));
//! }
//! assert_eq!(dense, [0, 0, 1]);
//! assert_eq!(ids.len(), 2);
//!
//! // Errors name the line.
//! let bad = "timestamp_s,object,size_bytes\n0,a,1\n1,b,-5\n";
//! let err = CsvCacheReader::new(bad.as_bytes()).unwrap().find_map(Result::err).unwrap();
//! assert_eq!(err.line(), Some(3));
//! assert!(err.to_string().starts_with("line 3: "));
//! ```

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use mmesim_engine::SimTime;
use rustc_hash::FxHashMap;

/// One request of a cache trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CacheRequest {
    /// When the request happens.
    pub time: SimTime,
    /// The object requested (an id from the trace, or a hash of its name).
    pub object: u64,
    /// The object's size in bytes.
    pub size: u64,
    /// 0-based index in the trace of the next request for the same object,
    /// when the trace knows it (oracle-general); `None` for "never" or
    /// "unknown" (always `None` for CSV).
    pub next_access: Option<u64>,
}

/// Where in a trace an error happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TraceLocation {
    /// A record of a binary trace: 1-based `number`, and the byte `offset`
    /// at which it starts.
    Record {
        /// 1-based record number.
        number: u64,
        /// Byte offset of the record's first byte.
        offset: u64,
    },
    /// A line of a text trace, 1-based (the header is line 1).
    Line(u64),
}

impl fmt::Display for TraceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceLocation::Record { number, offset } => write!(f, "record {number} (byte offset {offset})"),
            TraceLocation::Line(line) => write!(f, "line {line}"),
        }
    }
}

/// What is wrong with a record or line of a trace.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TraceProblem {
    /// The binary trace ends inside a record.
    #[error(
        "truncated record: only {got} of {RECORD_BYTES} bytes (the file's length is not a multiple of {RECORD_BYTES})"
    )]
    Truncated {
        /// Bytes of the record present.
        got: usize,
    },
    /// An oracle-general `next_access_vtime` that is neither −1 nor the
    /// 1-based number of a later record.
    #[error("invalid next_access_vtime {value}: expected -1 or the 1-based number of a later record")]
    BadNextAccess {
        /// The value read.
        value: i64,
    },
    /// A CSV trace without even a header line.
    #[error("empty trace: expected the header `{CSV_HEADER}`")]
    MissingHeader,
    /// A CSV header other than the expected one.
    #[error("bad header {found:?}: expected `{CSV_HEADER}`")]
    BadHeader {
        /// The header found (abridged).
        found: String,
    },
    /// A CSV line with fewer than three columns.
    #[error("missing column `{column}` (found {found} of 3 columns `{CSV_HEADER}`)")]
    MissingColumn {
        /// The first column missing.
        column: &'static str,
        /// Columns found.
        found: usize,
    },
    /// A CSV line longer than 1 MiB (not a cache trace).
    #[error("line longer than {MAX_LINE} bytes")]
    LongLine,
    /// A CSV line whose quotes do not pair up.
    #[error("bad quoting: {what}")]
    BadQuote {
        /// What is wrong.
        what: &'static str,
    },
    /// A CSV line with more than three columns.
    #[error("too many columns: found {found}, expected 3 (`{CSV_HEADER}`)")]
    ExtraColumns {
        /// Columns found.
        found: usize,
    },
    /// An empty CSV field.
    #[error("empty `{column}`")]
    EmptyField {
        /// The column.
        column: &'static str,
    },
    /// A field that is not the number it should be.
    #[error("`{column}` {value:?} is not a number ({expected})")]
    NotANumber {
        /// The column.
        column: &'static str,
        /// The field (abridged).
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A negative size.
    #[error("`size_bytes` {value:?} is negative")]
    NegativeSize {
        /// The field (abridged).
        value: String,
    },
    /// A negative timestamp.
    #[error("`timestamp_s` {value:?} is negative")]
    NegativeTime {
        /// The field (abridged).
        value: String,
    },
    /// A number too large to represent.
    #[error("`{column}` {value:?} is too large (at most {max})")]
    TooLarge {
        /// The column.
        column: &'static str,
        /// The field (abridged).
        value: String,
        /// The largest accepted value.
        max: &'static str,
    },
    /// A timestamp earlier than the previous line's.
    #[error("time goes backwards: {now} after {prev} on an earlier line (timestamps must not decrease)")]
    TimeBackwards {
        /// The previous line's time.
        prev: SimTime,
        /// This line's time.
        now: SimTime,
    },
    /// An empty text file where a header was expected.
    #[error("empty file: expected the header `{expected}`")]
    NoHeader {
        /// The header expected (abridged).
        expected: String,
    },
    /// A header line other than the one expected.
    #[error("bad header {found:?}: expected `{expected}`")]
    UnexpectedHeader {
        /// The header found (abridged).
        found: String,
        /// The header expected (abridged).
        expected: String,
    },
    /// A header column other than the one expected at its place.
    #[error("column {column}: expected column `{expected}`, found {found:?}")]
    WrongColumn {
        /// 1-based column number.
        column: usize,
        /// The column name expected there.
        expected: String,
        /// The name found (abridged).
        found: String,
    },
    /// A line with a number of fields other than the header's.
    #[error("{found} fields, expected {expected} (`{header}`)")]
    FieldCount {
        /// Fields found.
        found: usize,
        /// Fields expected.
        expected: usize,
        /// The header (abridged).
        header: String,
    },
    /// A field that is not what its column holds.
    #[error("column {column} ({name}): expected {expected}, got {value:?}")]
    BadField {
        /// 1-based column number.
        column: usize,
        /// The column's name, e.g. `` `Average` `` or `minute 13`.
        name: String,
        /// What was expected.
        expected: &'static str,
        /// The field (abridged).
        value: String,
    },
    /// A negative number where only non-negative ones are allowed.
    #[error("`{column}` {value:?} is negative")]
    NegativeValue {
        /// The column.
        column: &'static str,
        /// The field (abridged).
        value: String,
    },
    /// A field that is not valid UTF-8.
    #[error("`{column}` is not valid UTF-8: {value:?}")]
    NotUtf8 {
        /// The column.
        column: &'static str,
        /// The field, lossily decoded (abridged).
        value: String,
    },
    /// A model name that is not among the models of the run.
    #[error("unknown model {name:?}: not among the {known} models of the run")]
    UnknownModel {
        /// The name (abridged).
        name: String,
        /// How many models the run has.
        known: usize,
    },
}

/// An error opening or reading a cache trace. Displays as one line that
/// names the file (open errors) or the record / line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TraceError {
    /// The trace file could not be opened.
    #[error("cannot open trace {}: {source}", path.display())]
    Open {
        /// The path given.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// A trace format name that is not known.
    #[error("unknown trace format {name:?}: expected one of {}", CacheTraceFormat::NAMES.join(", "))]
    UnknownFormat {
        /// The name given.
        name: String,
    },
    /// Reading failed.
    #[error("{at}: read error: {source}")]
    Io {
        /// Where reading was when it failed.
        at: TraceLocation,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// A record or line is invalid.
    #[error("{at}: {problem}")]
    Invalid {
        /// Where.
        at: TraceLocation,
        /// What is wrong.
        problem: TraceProblem,
    },
    /// An error reading one file of a trace, with the file's path in front
    /// (`path: line 3: …`).
    #[error("{}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// The error in it.
        source: Box<TraceError>,
    },
    /// An option of a trace reader that is out of range.
    #[error("invalid trace option `{option}`: {reason}")]
    InvalidOption {
        /// The option's name.
        option: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

impl TraceError {
    /// Wraps `self` so that it names the file `path`, unless it already
    /// does (an [`Open`](TraceError::Open) or [`File`](TraceError::File)
    /// error) or is not about a file.
    pub fn in_file(self, path: &Path) -> TraceError {
        match self {
            TraceError::Io { .. } | TraceError::Invalid { .. } => {
                TraceError::File { path: path.to_owned(), source: Box::new(self) }
            }
            other => other,
        }
    }

    /// The file the error names, if any.
    pub fn path(&self) -> Option<&Path> {
        match self {
            TraceError::Open { path, .. } | TraceError::File { path, .. } => Some(path),
            _ => None,
        }
    }

    /// Where in the trace the error happened, if it happened while reading.
    pub fn location(&self) -> Option<TraceLocation> {
        match self {
            TraceError::Io { at, .. } | TraceError::Invalid { at, .. } => Some(*at),
            TraceError::File { source, .. } => source.location(),
            TraceError::Open { .. } | TraceError::UnknownFormat { .. } | TraceError::InvalidOption { .. } => None,
        }
    }

    /// The 1-based line of a text trace the error is on.
    pub fn line(&self) -> Option<u64> {
        match self.location() {
            Some(TraceLocation::Line(line)) => Some(line),
            _ => None,
        }
    }

    /// The 1-based record of a binary trace the error is in.
    pub fn record(&self) -> Option<u64> {
        match self.location() {
            Some(TraceLocation::Record { number, .. }) => Some(number),
            _ => None,
        }
    }

    /// What is wrong, for an invalid record or line.
    pub fn problem(&self) -> Option<&TraceProblem> {
        match self {
            TraceError::Invalid { problem, .. } => Some(problem),
            TraceError::File { source, .. } => source.problem(),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------
// oracle-general
// ---------------------------------------------------------------------------

/// Bytes per oracle-general record.
pub const RECORD_BYTES: usize = 24;
/// Records per read buffer: 1 MiB, rounded down to whole records.
const BUF_RECORDS: usize = (1 << 20) / RECORD_BYTES;

/// Streams [`CacheRequest`]s from libCacheSim's oracleGeneral binary format
/// (see the [module docs](self) for the layout and the meaning of
/// `next_access`).
///
/// Reads through its own 1 MiB buffer, so `R` need not be buffered; parses
/// each record in place, allocating nothing per record. Clock times become
/// whole seconds; they are not checked for order. Zero sizes are passed on.
/// A trace whose length is not a multiple of 24 bytes yields a
/// [`TraceProblem::Truncated`] error for its last, partial record.
pub struct OracleGeneralReader<R: Read> {
    inner: R,
    buf: Box<[u8]>,
    /// Next unparsed byte in `buf`.
    pos: usize,
    /// End of valid bytes in `buf`.
    end: usize,
    /// 0-based index of the next record.
    index: u64,
    /// `inner` returned end of file.
    eof: bool,
    /// Nothing more to yield (end of trace or after an error).
    done: bool,
}

impl<R: Read> OracleGeneralReader<R> {
    /// A reader over `inner`, from its current position (record 1).
    pub fn new(inner: R) -> Self {
        OracleGeneralReader {
            inner,
            buf: vec![0; BUF_RECORDS * RECORD_BYTES].into_boxed_slice(),
            pos: 0,
            end: 0,
            index: 0,
            eof: false,
            done: false,
        }
    }

    /// Records yielded so far.
    pub fn records_read(&self) -> u64 {
        self.index
    }

    fn location(&self) -> TraceLocation {
        TraceLocation::Record { number: self.index + 1, offset: self.index * RECORD_BYTES as u64 }
    }

    /// Moves the partial record left in the buffer to its front and reads
    /// until at least one whole record is buffered or `inner` ends.
    #[cold]
    fn refill(&mut self) -> io::Result<()> {
        self.buf.copy_within(self.pos..self.end, 0);
        self.end -= self.pos;
        self.pos = 0;
        while !self.eof && self.end < RECORD_BYTES {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The slow path of `next`: refill, then end, fail, or parse.
    #[cold]
    fn next_slow(&mut self) -> Option<Result<CacheRequest, TraceError>> {
        if self.done {
            return None;
        }
        if let Err(source) = self.refill() {
            self.done = true;
            return Some(Err(TraceError::Io { at: self.location(), source }));
        }
        let left = self.end - self.pos;
        if left >= RECORD_BYTES {
            return self.next();
        }
        self.done = true;
        if left == 0 {
            None
        } else {
            Some(Err(TraceError::Invalid { at: self.location(), problem: TraceProblem::Truncated { got: left } }))
        }
    }
}

#[inline(always)]
fn bytes<const N: usize>(rec: &[u8; RECORD_BYTES], at: usize) -> [u8; N] {
    let mut out = [0; N];
    out.copy_from_slice(&rec[at..at + N]);
    out
}

impl<R: Read> Iterator for OracleGeneralReader<R> {
    type Item = Result<CacheRequest, TraceError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let Some(rec) = self.buf[self.pos..self.end].first_chunk::<RECORD_BYTES>() else {
            return self.next_slow();
        };
        let clock = u32::from_le_bytes(bytes(rec, 0));
        let object = u64::from_le_bytes(bytes(rec, 4));
        let size = u32::from_le_bytes(bytes(rec, 12));
        let vtime = i64::from_le_bytes(bytes(rec, 16));
        // 1-based position of the next request → 0-based index, which must
        // come after this record's index.
        let next_access = match vtime {
            -1 | i64::MAX => None,
            v if v > 0 && (v as u64 - 1) > self.index => Some(v as u64 - 1),
            value => {
                self.done = true;
                self.pos = self.end;
                let at = self.location();
                return Some(Err(TraceError::Invalid { at, problem: TraceProblem::BadNextAccess { value } }));
            }
        };
        self.pos += RECORD_BYTES;
        self.index += 1;
        Some(Ok(CacheRequest {
            time: SimTime::from_secs(u64::from(clock)),
            object,
            size: u64::from(size),
            next_access,
        }))
    }
}

/// Writes `requests` in oracle-general format (see the [module docs](self)):
/// times in whole seconds (fractions are dropped), `next_access` `None` as
/// −1 and `Some(i)` as the 1-based `i + 1`. Buffers internally, so `w` need
/// not be buffered. Fails with [`io::ErrorKind::InvalidInput`] for a time
/// past `u32::MAX` seconds or a size past `u32::MAX` bytes (limits of the
/// format).
pub fn write_oracle_general<W: Write>(mut w: W, requests: impl IntoIterator<Item = CacheRequest>) -> io::Result<()> {
    const CHUNK_RECORDS: usize = 4096;
    let mut chunk = Vec::with_capacity(CHUNK_RECORDS * RECORD_BYTES);
    for (index, r) in requests.into_iter().enumerate() {
        let invalid =
            |what: String| io::Error::new(io::ErrorKind::InvalidInput, format!("request {}: {what}", index + 1));
        let secs = r.time.as_nanos() / 1_000_000_000;
        let clock = u32::try_from(secs)
            .map_err(|_| invalid(format!("time {secs} s does not fit oracle-general's u32 seconds")))?;
        let size = u32::try_from(r.size)
            .map_err(|_| invalid(format!("size {} bytes does not fit oracle-general's u32 bytes", r.size)))?;
        let vtime = match r.next_access {
            None => -1,
            Some(i) => i64::try_from(i)
                .ok()
                .and_then(|i| i.checked_add(1))
                .filter(|&v| v != i64::MAX)
                .ok_or_else(|| invalid(format!("next_access {i} does not fit oracle-general's i64")))?,
        };
        chunk.extend_from_slice(&clock.to_le_bytes());
        chunk.extend_from_slice(&r.object.to_le_bytes());
        chunk.extend_from_slice(&size.to_le_bytes());
        chunk.extend_from_slice(&vtime.to_le_bytes());
        if chunk.len() == CHUNK_RECORDS * RECORD_BYTES {
            w.write_all(&chunk)?;
            chunk.clear();
        }
    }
    w.write_all(&chunk)?;
    w.flush()
}

// ---------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------

/// The header of a CSV cache trace.
pub const CSV_HEADER: &str = "timestamp_s,object,size_bytes";
const CSV_COLUMNS: [&str; 3] = ["timestamp_s", "object", "size_bytes"];
/// The longest line read, terminator included: memory stays bounded even
/// on a file that is not CSV at all.
pub(crate) const MAX_LINE: usize = 1 << 20;
/// The latest time a [`SimTime`] holds, for error messages.
const MAX_TIME: &str = "18446744073.709551615 s";

/// 64-bit FNV-1a of `bytes` (offset basis `0xcbf29ce484222325`, prime
/// `0x100000001b3`): how CSV traces map non-integer object names to ids.
#[inline]
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The id of a CSV object field: the integer itself if the field is a
/// canonical decimal `u64`, else its FNV-1a hash.
#[inline]
fn object_id(field: &[u8]) -> u64 {
    let leading_zero = field.len() > 1 && field[0] == b'0';
    match parse_digits(field) {
        Some(v) if !leading_zero => v,
        _ => fnv1a64(field),
    }
}

/// A field for an error message: lossy UTF-8, at most 64 characters.
pub(crate) fn abridge(field: &[u8]) -> String {
    let s = String::from_utf8_lossy(field);
    if s.chars().count() <= 64 {
        s.into_owned()
    } else {
        let mut t: String = s.chars().take(61).collect();
        t.push_str("...");
        t
    }
}

/// Parses all-digit `field` as a `u64`; `None` if it is not all digits or
/// overflows (callers tell which).
#[inline]
pub(crate) fn parse_digits(field: &[u8]) -> Option<u64> {
    if field.is_empty() || field.len() > 20 {
        return None;
    }
    let mut v: u64 = 0;
    for &d in field {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(v)
}

/// Parses `digits[.digits]` seconds with at most nine decimals exactly:
/// `None` if `field` is not of that shape, `Some(None)` if it overflows.
#[inline]
fn parse_fixed_secs(field: &[u8]) -> Option<Option<u64>> {
    let (int, frac) = match field.iter().position(|&b| b == b'.') {
        Some(p) => (&field[..p], &field[p + 1..]),
        None => (field, &[][..]),
    };
    if (int.is_empty() && frac.is_empty())
        || frac.len() > 9
        || !int.iter().all(u8::is_ascii_digit)
        || !frac.iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    let mut ns: u64 = 0;
    for &d in frac {
        ns = ns * 10 + u64::from(d - b'0');
    }
    ns *= 10u64.pow(9 - frac.len() as u32);
    let mut secs: u64 = 0;
    for &d in int {
        match secs.checked_mul(10).and_then(|s| s.checked_add(u64::from(d - b'0'))) {
            Some(s) => secs = s,
            None => return Some(None),
        }
    }
    Some(secs.checked_mul(1_000_000_000).and_then(|s| s.checked_add(ns)))
}

pub(crate) fn parse_time(field: &[u8]) -> Result<SimTime, TraceProblem> {
    const COLUMN: &str = "timestamp_s";
    match parse_fixed_secs(field) {
        Some(Some(ns)) => return Ok(SimTime::from_nanos(ns)),
        Some(None) => return Err(TraceProblem::TooLarge { column: COLUMN, value: abridge(field), max: MAX_TIME }),
        None => {}
    }
    if field.is_empty() {
        return Err(TraceProblem::EmptyField { column: COLUMN });
    }
    let not_a_number =
        || TraceProblem::NotANumber { column: COLUMN, value: abridge(field), expected: "seconds, e.g. 12 or 12.5" };
    let secs: f64 = std::str::from_utf8(field).ok().and_then(|s| s.parse().ok()).ok_or_else(not_a_number)?;
    if secs.is_nan() || secs == f64::INFINITY {
        return Err(not_a_number());
    }
    if secs < 0.0 {
        return Err(TraceProblem::NegativeTime { value: abridge(field) });
    }
    if secs * 1e9 >= u64::MAX as f64 {
        return Err(TraceProblem::TooLarge { column: COLUMN, value: abridge(field), max: MAX_TIME });
    }
    Ok(SimTime::from_secs_f64(secs))
}

fn parse_size(field: &[u8]) -> Result<u64, TraceProblem> {
    const COLUMN: &str = "size_bytes";
    if let Some(size) = parse_digits(field) {
        return Ok(size);
    }
    if field.is_empty() {
        return Err(TraceProblem::EmptyField { column: COLUMN });
    }
    if field.iter().all(u8::is_ascii_digit) {
        return Err(TraceProblem::TooLarge { column: COLUMN, value: abridge(field), max: "18446744073709551615" });
    }
    if field[0] == b'-' && field.len() > 1 && field[1..].iter().all(|b| b.is_ascii_digit() || *b == b'.') {
        return Err(TraceProblem::NegativeSize { value: abridge(field) });
    }
    Err(TraceProblem::NotANumber { column: COLUMN, value: abridge(field), expected: "a non-negative integer" })
}

/// Streams [`CacheRequest`]s from a CSV trace with header
/// `timestamp_s,object,size_bytes` (see the [module docs](self) for how
/// objects map to ids).
///
/// The format, parsed by hand so that line numbers are exact:
/// * one record per line (at most 1 MiB), ended by `\n` or `\r\n`; lines holding only
///   whitespace are skipped (but counted); a UTF-8 byte-order mark before
///   the header is ignored;
/// * fields are separated by `,` and trimmed of surrounding ASCII
///   whitespace; a field may be quoted (`"a,b"`, with `""` for a quote), but
///   a quoted field must end on the line it starts on;
/// * exactly three fields: `timestamp_s`, a non-negative number of seconds
///   (`12`, `12.5`, `1.25e3`; up to nine decimals are read exactly) not less
///   than the previous record's; `object`, non-empty; `size_bytes`, a
///   non-negative integer.
///
/// `next_access` is always `None`. The line buffer is reused: no allocation
/// per line.
pub struct CsvCacheReader<R: BufRead> {
    lines: CsvLines<R>,
    prev: SimTime,
    done: bool,
}

/// Up to three fields of a record, as ranges, and how many fields it had.
pub(crate) type Split = ([(usize, usize); 3], usize);

/// `content[start..end]` without surrounding ASCII whitespace, as a range.
#[inline]
fn trimmed(content: &[u8], mut start: usize, mut end: usize) -> (usize, usize) {
    while start < end && content[start].is_ascii_whitespace() {
        start += 1;
    }
    while end > start && content[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    (start, end)
}

/// Splits a line without quotes into trimmed fields.
#[inline]
fn split_plain(content: &[u8]) -> Split {
    let mut ranges = [(0, 0); 3];
    let mut n = 0;
    let mut start = 0;
    for (i, &b) in content.iter().enumerate() {
        if b == b',' {
            if n < 3 {
                ranges[n] = trimmed(content, start, i);
            }
            n += 1;
            start = i + 1;
        }
    }
    if n < 3 {
        ranges[n] = trimmed(content, start, content.len());
    }
    (ranges, n + 1)
}

/// Splits a line with quotes, writing the fields' text to `scratch`; the
/// ranges index `scratch`. Unquoted fields are trimmed; quoted ones keep
/// the whitespace inside their quotes.
fn split_quoted(content: &[u8], scratch: &mut Vec<u8>) -> Result<Split, TraceProblem> {
    scratch.clear();
    let mut ranges = [(0, 0); 3];
    let mut n = 0;
    let mut i = 0;
    loop {
        let start = scratch.len();
        while i < content.len() && matches!(content[i], b' ' | b'\t') {
            i += 1;
        }
        if i < content.len() && content[i] == b'"' {
            i += 1;
            loop {
                match content.get(i) {
                    None => return Err(TraceProblem::BadQuote { what: "unterminated quoted field" }),
                    Some(b'"') if content.get(i + 1) == Some(&b'"') => {
                        scratch.push(b'"');
                        i += 2;
                    }
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(&b) => {
                        scratch.push(b);
                        i += 1;
                    }
                }
            }
            while i < content.len() && matches!(content[i], b' ' | b'\t') {
                i += 1;
            }
            if i < content.len() && content[i] != b',' {
                return Err(TraceProblem::BadQuote { what: "text after a closing quote" });
            }
        } else {
            let end = content[i..].iter().position(|&b| b == b',').map_or(content.len(), |p| i + p);
            scratch.extend_from_slice(content[i..end].trim_ascii_end());
            i = end;
        }
        if n < 3 {
            ranges[n] = (start, scratch.len());
        }
        n += 1;
        if i >= content.len() {
            return Ok((ranges, n));
        }
        i += 1; // the comma
    }
}

/// The lines of a text trace, read one at a time into a reused buffer, and
/// split into at most three fields (shared by the CSV readers of this
/// crate).
///
/// Lines end with `\n` or `\r\n` and are at most [`MAX_LINE`] bytes long; a
/// UTF-8 byte-order mark before line 1 is dropped; lines holding only
/// whitespace are skipped but counted.
pub(crate) struct CsvLines<R: BufRead> {
    inner: R,
    /// The current line, terminator included.
    line: Vec<u8>,
    /// Unquoted fields of a record with quotes.
    scratch: Vec<u8>,
    /// 1-based number of the line in `line` (0 before the first).
    line_no: u64,
    /// Whether the current record's fields are in `scratch` (it had quotes).
    quoted: bool,
}

impl<R: BufRead> CsvLines<R> {
    pub(crate) fn new(inner: R) -> Self {
        CsvLines { inner, line: Vec::with_capacity(256), scratch: Vec::new(), line_no: 0, quoted: false }
    }

    /// 1-based number of the last line read.
    #[inline]
    pub(crate) fn line_number(&self) -> u64 {
        self.line_no
    }

    /// An error about the current line.
    #[cold]
    pub(crate) fn invalid(&self, problem: TraceProblem) -> TraceError {
        TraceError::Invalid { at: TraceLocation::Line(self.line_no), problem }
    }

    /// The current line without its terminator.
    #[inline]
    pub(crate) fn content(&self) -> &[u8] {
        let l = self.line.strip_suffix(b"\n").unwrap_or(&self.line);
        l.strip_suffix(b"\r").unwrap_or(l)
    }

    /// The three fields of a split record (empty past the last).
    #[inline]
    pub(crate) fn fields(&self, (ranges, _): Split) -> [&[u8]; 3] {
        let buf = if self.quoted { &self.scratch[..] } else { self.content() };
        ranges.map(|(a, b)| &buf[a..b])
    }

    /// Reads the next non-blank line; `false` at end of input.
    pub(crate) fn read_line(&mut self) -> Result<bool, TraceError> {
        loop {
            self.line.clear();
            match (&mut self.inner).take(MAX_LINE as u64).read_until(b'\n', &mut self.line) {
                Ok(0) => return Ok(false),
                Ok(_) => self.line_no += 1,
                Err(source) => return Err(TraceError::Io { at: TraceLocation::Line(self.line_no + 1), source }),
            }
            if self.line.len() == MAX_LINE && self.line.last() != Some(&b'\n') {
                return Err(self.invalid(TraceProblem::LongLine));
            }
            if self.line_no == 1 && self.line.starts_with(b"\xEF\xBB\xBF") {
                self.line.drain(..3);
            }
            if !self.content().iter().all(u8::is_ascii_whitespace) {
                return Ok(true);
            }
        }
    }

    /// Reads the next non-blank line and splits it; `None` at end of input.
    pub(crate) fn read_record(&mut self) -> Result<Option<Split>, TraceError> {
        if !self.read_line()? {
            return Ok(None);
        }
        let content = self.content();
        if !content.contains(&b'"') {
            let split = split_plain(content);
            self.quoted = false;
            return Ok(Some(split));
        }
        self.quoted = true;
        let mut scratch = std::mem::take(&mut self.scratch);
        let split = split_quoted(self.content(), &mut scratch);
        self.scratch = scratch;
        split.map(Some).map_err(|problem| self.invalid(problem))
    }
}

impl<R: BufRead> CsvCacheReader<R> {
    /// A reader over `inner` (e.g. `&[u8]`, or a `BufReader<File>`, best
    /// with a large capacity). Reads and checks the header, failing with the
    /// line number if it is missing or not `timestamp_s,object,size_bytes`.
    pub fn new(inner: R) -> Result<Self, TraceError> {
        let mut lines = CsvLines::new(inner);
        let Some(fields) = lines.read_record()? else {
            return Err(TraceError::Invalid { at: TraceLocation::Line(1), problem: TraceProblem::MissingHeader });
        };
        let header = lines.fields(fields);
        let ok = fields.1 == CSV_COLUMNS.len() && header.iter().zip(CSV_COLUMNS).all(|(f, c)| *f == c.as_bytes());
        if !ok {
            return Err(lines.invalid(TraceProblem::BadHeader { found: abridge(lines.content()) }));
        }
        Ok(CsvCacheReader { lines, prev: SimTime::ZERO, done: false })
    }

    /// 1-based number of the last line read (the line of the last record
    /// yielded or of the error).
    pub fn line_number(&self) -> u64 {
        self.lines.line_number()
    }

    fn parse(&self, split: Split) -> Result<CacheRequest, TraceProblem> {
        let n = split.1;
        if n < CSV_COLUMNS.len() {
            return Err(TraceProblem::MissingColumn { column: CSV_COLUMNS[n], found: n });
        }
        if n > CSV_COLUMNS.len() {
            return Err(TraceProblem::ExtraColumns { found: n });
        }
        let [time, object, size] = self.lines.fields(split);
        // Numbers are trimmed even inside quotes; the object keeps them.
        let time = parse_time(time.trim_ascii())?;
        if object.is_empty() {
            return Err(TraceProblem::EmptyField { column: "object" });
        }
        let size = parse_size(size.trim_ascii())?;
        if time < self.prev {
            return Err(TraceProblem::TimeBackwards { prev: self.prev, now: time });
        }
        Ok(CacheRequest { time, object: object_id(object), size, next_access: None })
    }
}

impl<R: BufRead> Iterator for CsvCacheReader<R> {
    type Item = Result<CacheRequest, TraceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let split = match self.lines.read_record() {
            Ok(Some(split)) => split,
            Ok(None) => {
                self.done = true;
                return None;
            }
            Err(e) => {
                self.done = true;
                return Some(Err(e));
            }
        };
        match self.parse(split) {
            Ok(r) => {
                self.prev = r.time;
                Some(Ok(r))
            }
            Err(problem) => {
                self.done = true;
                Some(Err(self.lines.invalid(problem)))
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Opening by format
// ---------------------------------------------------------------------------

/// A cache trace format, as named on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CacheTraceFormat {
    /// libCacheSim's oracleGeneral binary (`oracle-general`).
    OracleGeneral,
    /// `timestamp_s,object,size_bytes` CSV (`csv`).
    Csv,
}

impl CacheTraceFormat {
    /// The accepted names, in the order of the variants.
    pub const NAMES: [&'static str; 2] = ["oracle-general", "csv"];

    /// The format's name.
    pub fn name(self) -> &'static str {
        match self {
            CacheTraceFormat::OracleGeneral => Self::NAMES[0],
            CacheTraceFormat::Csv => Self::NAMES[1],
        }
    }
}

impl fmt::Display for CacheTraceFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for CacheTraceFormat {
    type Err = TraceError;

    fn from_str(s: &str) -> Result<Self, TraceError> {
        match s {
            "oracle-general" => Ok(CacheTraceFormat::OracleGeneral),
            "csv" => Ok(CacheTraceFormat::Csv),
            _ => Err(TraceError::UnknownFormat { name: s.to_owned() }),
        }
    }
}

/// A boxed stream of cache requests, as [`open_trace`] returns.
pub type CacheTraceIter = Box<dyn Iterator<Item = Result<CacheRequest, TraceError>> + Send>;

/// Opens the trace at `path` in `format` and streams its requests. Open
/// errors (and, for CSV, a missing or bad header) are returned here; the
/// former name the path.
pub fn open_trace(path: &Path, format: CacheTraceFormat) -> Result<CacheTraceIter, TraceError> {
    let open_err = |source| TraceError::Open { path: path.to_owned(), source };
    let file = File::open(path).map_err(open_err)?;
    if file.metadata().map_err(open_err)?.is_dir() {
        return Err(open_err(io::Error::new(io::ErrorKind::InvalidInput, "is a directory")));
    }
    Ok(match format {
        CacheTraceFormat::OracleGeneral => Box::new(OracleGeneralReader::new(file)),
        CacheTraceFormat::Csv => Box::new(CsvCacheReader::new(BufReader::with_capacity(1 << 20, file))?),
    })
}

// ---------------------------------------------------------------------------
// Dense ids
// ---------------------------------------------------------------------------

/// Maps sparse `u64` object ids to dense `u32` ids `0, 1, 2, …` in order of
/// first appearance. Deterministic: the map is only looked up, never
/// iterated.
///
/// Two representations, chosen on the fly: while every object id seen is
/// below 2^24 the mapping is a direct table indexed by the object id (one
/// memory access per lookup: many traces number their objects densely);
/// the first larger id moves everything into a hash map (FxHash) for good.
/// The dense ids are the same either way.
#[derive(Clone, Debug, Default)]
pub struct DenseIds {
    /// `direct[object] = dense id + 1` (0 = unseen), while `!hashed`.
    direct: Vec<u32>,
    map: FxHashMap<u64, u32>,
    hashed: bool,
    len: usize,
}

/// Object ids below this use the direct table (64 MiB at most).
const DIRECT_LIMIT: u64 = 1 << 24;

impl DenseIds {
    /// An empty mapping.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty mapping with room for `n` objects.
    pub fn with_capacity(n: usize) -> Self {
        DenseIds { map: FxHashMap::with_capacity_and_hasher(n, Default::default()), ..Self::default() }
    }

    fn switch_to_hashed(&mut self) {
        self.map.reserve(self.len);
        for (object, &d) in self.direct.iter().enumerate() {
            if d != 0 {
                self.map.insert(object as u64, d - 1);
            }
        }
        self.direct = Vec::new();
        self.hashed = true;
    }

    /// The dense id of `object`, assigning the next one on first sight;
    /// `None` once `u32::MAX` ids are taken and `object` is new.
    #[inline]
    pub fn try_id(&mut self, object: u64) -> Option<u32> {
        if !self.hashed {
            if object < DIRECT_LIMIT {
                let o = object as usize;
                if o >= self.direct.len() {
                    self.direct.resize((o + 1).next_power_of_two().min(DIRECT_LIMIT as usize), 0);
                }
                let d = self.direct[o];
                if d != 0 {
                    return Some(d - 1);
                }
                let id = u32::try_from(self.len).ok().filter(|&id| id < u32::MAX - 1)?;
                self.direct[o] = id + 1;
                self.len += 1;
                return Some(id);
            }
            self.switch_to_hashed();
        }
        let next = self.len;
        match self.map.entry(object) {
            std::collections::hash_map::Entry::Occupied(e) => Some(*e.get()),
            std::collections::hash_map::Entry::Vacant(e) => {
                let id = u32::try_from(next).ok().filter(|&id| id != u32::MAX)?;
                self.len += 1;
                Some(*e.insert(id))
            }
        }
    }

    /// The dense id of `object`, assigning the next one on first sight.
    ///
    /// # Panics
    /// With more than 4,294,967,295 distinct objects (use
    /// [`try_id`](Self::try_id) to handle that).
    #[inline]
    pub fn id(&mut self, object: u64) -> u32 {
        match self.try_id(object) {
            Some(id) => id,
            None => panic!("more than {} distinct objects: dense u32 ids exhausted", u32::MAX),
        }
    }

    /// The dense id of `object`, if it has one.
    #[inline]
    pub fn get(&self, object: u64) -> Option<u32> {
        if self.hashed {
            self.map.get(&object).copied()
        } else {
            self.direct.get(object as usize).copied().filter(|&d| d != 0).map(|d| d - 1)
        }
    }

    /// Distinct objects seen.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no object has been seen.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod dense_tests {
    use super::*;

    /// Switching from the direct table to the hash map keeps every id.
    #[test]
    fn direct_then_hashed_keeps_ids() {
        let mut d = DenseIds::new();
        assert_eq!((d.id(5), d.id(0), d.id(5), d.id(1000)), (0, 1, 0, 2));
        assert_eq!(d.get(1000), Some(2));
        assert_eq!(d.get(7), None);
        assert_eq!(d.id(u64::MAX), 3); // switches representation
        assert_eq!((d.id(5), d.id(0), d.id(1000), d.id(u64::MAX), d.id(42)), (0, 1, 2, 3, 4));
        assert_eq!(d.get(0), Some(1));
        assert_eq!(d.len(), 5);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(secs: u64, object: u64, size: u64, next_access: Option<u64>) -> CacheRequest {
        CacheRequest { time: SimTime::from_secs(secs), object, size, next_access }
    }

    fn write(reqs: &[CacheRequest]) -> Vec<u8> {
        let mut out = Vec::new();
        write_oracle_general(&mut out, reqs.iter().copied()).unwrap();
        out
    }

    fn read_all<I: Iterator<Item = Result<CacheRequest, TraceError>>>(it: I) -> Result<Vec<CacheRequest>, TraceError> {
        it.collect()
    }

    #[test]
    fn oracle_general_round_trip() {
        let reqs = [
            req(0, 1, 100, Some(2)),
            req(0, u64::MAX, u64::from(u32::MAX), None),
            req(5, 1, 100, Some(3)),
            req(u64::from(u32::MAX), 1, 0, None),
        ];
        let bytes = write(&reqs);
        assert_eq!(bytes.len(), reqs.len() * RECORD_BYTES);
        // The raw layout: little-endian, next_access 1-based, -1 for none.
        assert_eq!(&bytes[0..4], &0u32.to_le_bytes());
        assert_eq!(&bytes[4..12], &1u64.to_le_bytes());
        assert_eq!(&bytes[12..16], &100u32.to_le_bytes());
        assert_eq!(&bytes[16..24], &3i64.to_le_bytes());
        assert_eq!(&bytes[40..48], &(-1i64).to_le_bytes());
        let back = read_all(OracleGeneralReader::new(&bytes[..])).unwrap();
        assert_eq!(back, reqs);
        // Through a reader that returns a few bytes at a time.
        struct Dribble<'a>(&'a [u8]);
        impl Read for Dribble<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = buf.len().min(self.0.len()).min(7);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        assert_eq!(read_all(OracleGeneralReader::new(Dribble(&bytes))).unwrap(), reqs);
        // Many records, across buffer refills.
        let many: Vec<_> = (0..3 * BUF_RECORDS as u64 + 17).map(|i| req(i / 10, i % 1000, i, None)).collect();
        let back = read_all(OracleGeneralReader::new(&write(&many)[..])).unwrap();
        assert_eq!(back, many);
        assert!(OracleGeneralReader::new(&[][..]).next().is_none());
    }

    #[test]
    fn oracle_general_reads_libcachesim_conventions() {
        // i64::MAX means "never", like -1; the value is 1-based.
        let mut bytes = write(&[req(1, 9, 10, None), req(2, 9, 10, None)]);
        bytes[16..24].copy_from_slice(&2i64.to_le_bytes());
        bytes[40..48].copy_from_slice(&i64::MAX.to_le_bytes());
        let back = read_all(OracleGeneralReader::new(&bytes[..])).unwrap();
        assert_eq!(back[0].next_access, Some(1));
        assert_eq!(back[1].next_access, None);
        // 0, -2, or pointing at itself / earlier: an error naming the record.
        for bad in [0i64, -2, 2] {
            let mut b = bytes.clone();
            b[40..48].copy_from_slice(&bad.to_le_bytes());
            let mut it = OracleGeneralReader::new(&b[..]);
            assert!(it.next().unwrap().is_ok());
            let err = it.next().unwrap().unwrap_err();
            assert_eq!(err.record(), Some(2));
            assert!(err.to_string().starts_with("record 2 (byte offset 24): invalid next_access_vtime"), "{err}");
            assert!(it.next().is_none());
        }
    }

    #[test]
    fn oracle_general_truncated() {
        let reqs: Vec<_> = (0..4).map(|i| req(i, i, 1, None)).collect();
        let mut bytes = write(&reqs);
        bytes.truncate(24 * 3 + 5);
        let mut it = OracleGeneralReader::new(&bytes[..]);
        for r in &reqs[..3] {
            assert_eq!(it.next().unwrap().unwrap(), *r);
        }
        let err = it.next().unwrap().unwrap_err();
        assert_eq!(err.record(), Some(4));
        assert_eq!(err.problem(), Some(&TraceProblem::Truncated { got: 5 }));
        let msg = err.to_string();
        assert!(msg.contains("record 4") && msg.contains("byte offset 72") && msg.contains("truncated"), "{msg}");
        assert!(!msg.contains('\n'));
        assert!(it.next().is_none());
    }

    #[test]
    fn oracle_general_io_error_names_record() {
        struct Failing(usize);
        impl Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0 == 0 {
                    return Err(io::Error::other("disk on fire"));
                }
                let n = buf.len().min(self.0);
                buf[..n].fill(0xFF); // next_access_vtime -1
                self.0 -= n;
                Ok(n)
            }
        }
        let mut it = OracleGeneralReader::new(Failing(48));
        assert!(it.next().unwrap().is_ok());
        assert!(it.next().unwrap().is_ok());
        let err = it.next().unwrap().unwrap_err();
        assert_eq!(err.to_string(), "record 3 (byte offset 48): read error: disk on fire");
        assert!(it.next().is_none());
    }

    #[test]
    fn write_rejects_what_the_format_cannot_hold() {
        let too_big = req(0, 1, u64::from(u32::MAX) + 1, None);
        let e = write_oracle_general(Vec::new(), [req(0, 1, 1, None), too_big]).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert!(e.to_string().starts_with("request 2: size"), "{e}");
        let late = req(u64::from(u32::MAX) + 1, 1, 1, None);
        assert!(write_oracle_general(Vec::new(), [late]).is_err());
        // Fractional seconds are truncated.
        let r = CacheRequest { time: SimTime::from_millis(2_999), ..req(0, 1, 1, None) };
        let back = read_all(OracleGeneralReader::new(&write(&[r])[..])).unwrap();
        assert_eq!(back[0].time, SimTime::from_secs(2));
    }

    fn csv(text: &str) -> Result<Vec<CacheRequest>, TraceError> {
        read_all(CsvCacheReader::new(text.as_bytes())?)
    }

    fn csv_err(text: &str) -> TraceError {
        csv(text).unwrap_err()
    }

    #[test]
    fn csv_happy_path() {
        let text = "timestamp_s,object,size_bytes\n\
                    0,42,100\n\
                    0.5, photo.jpg ,2048\r\n\
                    \n\
                    1.25,\"a,b\",7\n\
                    1.250000001, \"say \"\"hi\"\" \" ,\" 8\"\n\
                    3,18446744073709551615,0\n\
                    3,007,1\n\
                    4,18446744073709551616,1\n";
        let reqs = csv(text).unwrap();
        let expect = [
            req(0, 42, 100, None),
            CacheRequest { time: SimTime::from_millis(500), ..req(0, fnv1a64(b"photo.jpg"), 2048, None) },
            CacheRequest { time: SimTime::from_millis(1250), ..req(0, fnv1a64(b"a,b"), 7, None) },
            CacheRequest { time: SimTime::from_nanos(1_250_000_001), ..req(0, fnv1a64(b"say \"hi\" "), 8, None) },
            req(3, u64::MAX, 0, None),
            req(3, fnv1a64(b"007"), 1, None),
            req(4, fnv1a64(b"18446744073709551616"), 1, None),
        ];
        assert_eq!(reqs, expect);
        // FNV-1a 64 reference values.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
        // A header alone (with a byte-order mark) is an empty trace.
        assert!(csv("\u{feff}timestamp_s,object,size_bytes\n").unwrap().is_empty());
    }

    #[test]
    fn csv_errors_name_the_line() {
        let check = |text: &str, line: u64, what: &str| {
            let e = csv_err(text);
            let msg = e.to_string();
            assert_eq!(e.line(), Some(line), "{msg}");
            assert!(msg.starts_with(&format!("line {line}: ")), "{msg}");
            assert!(msg.contains(what), "{msg} should mention {what}");
            assert!(!msg.contains('\n'), "{msg}");
        };
        check("time,object,size\n0,a,1\n", 1, "bad header");
        check("timestamp_s,object\n0,a\n", 1, "bad header");
        check("", 1, "empty trace");
        check("timestamp_s,object,size_bytes\n0,a,1\n1,b\n", 3, "missing column `size_bytes`");
        check("timestamp_s,object,size_bytes\n0,a,1\n1\n", 3, "missing column `object`");
        check("timestamp_s,object,size_bytes\n0,a,big\n", 2, "`size_bytes` \"big\" is not a number");
        check("timestamp_s,object,size_bytes\n0,a,1.5\n", 2, "not a number");
        check("timestamp_s,object,size_bytes\n0,a,1\n\n0,b,-5\n", 4, "negative");
        check("timestamp_s,object,size_bytes\n0,a,99999999999999999999999\n", 2, "too large");
        check("timestamp_s,object,size_bytes\n0,a,1\n2,b,1\n1.5,c,1\n", 4, "time goes backwards");
        check("timestamp_s,object,size_bytes\nsoon,a,1\n", 2, "`timestamp_s` \"soon\" is not a number");
        check("timestamp_s,object,size_bytes\n-1,a,1\n", 2, "negative");
        check("timestamp_s,object,size_bytes\nNaN,a,1\n", 2, "not a number");
        check("timestamp_s,object,size_bytes\n1e300,a,1\n", 2, "too large");
        check("timestamp_s,object,size_bytes\n0,,1\n", 2, "empty `object`");
        check("timestamp_s,object,size_bytes\n0,a,1,x\n", 2, "too many columns");
        check("timestamp_s,object,size_bytes\n0,a,\"1\n2\"\n", 2, "unterminated quoted field");
        check("timestamp_s,object,size_bytes\n0,\"a\"b,1\n", 2, "text after a closing quote");
        check("timestamp_s,object,size_bytes\n0,\"a\",\"x\"\n", 2, "`size_bytes` \"x\" is not a number");
        // Blank lines and CRLF endings count as lines.
        check("timestamp_s,object,size_bytes\r\n0,a,1\r\n\r\n  \r\n1,b,1\r\n0,c,1\r\n", 6, "time goes backwards");
        let long = format!("{CSV_HEADER}\n0,a,1\n1,{},1\n", "x".repeat(MAX_LINE));
        check(&long, 3, "line longer than 1048576 bytes");
        // After an error, nothing more.
        let mut it = CsvCacheReader::new("timestamp_s,object,size_bytes\n0,a,x\n1,b,1\n".as_bytes()).unwrap();
        assert!(it.next().unwrap().is_err());
        assert!(it.next().is_none());
    }

    #[test]
    fn formats_and_open_errors() {
        assert_eq!("oracle-general".parse::<CacheTraceFormat>().unwrap(), CacheTraceFormat::OracleGeneral);
        assert_eq!("csv".parse::<CacheTraceFormat>().unwrap(), CacheTraceFormat::Csv);
        let e = "parquet".parse::<CacheTraceFormat>().unwrap_err();
        assert_eq!(e.to_string(), "unknown trace format \"parquet\": expected one of oracle-general, csv");
        for f in [CacheTraceFormat::OracleGeneral, CacheTraceFormat::Csv] {
            assert_eq!(f.to_string().parse::<CacheTraceFormat>().unwrap(), f);
        }
        let missing = Path::new("/nonexistent/mmesim/trace.bin");
        let e = open_trace(missing, CacheTraceFormat::OracleGeneral).err().unwrap();
        assert!(e.to_string().starts_with("cannot open trace /nonexistent/mmesim/trace.bin: "), "{e}");
        let e = open_trace(&std::env::temp_dir(), CacheTraceFormat::Csv).err().unwrap();
        assert!(matches!(e, TraceError::Open { .. }), "{e}");

        let dir = std::env::temp_dir();
        let bin = dir.join(format!("mmesim-cachetrace-{}.oracleGeneral", std::process::id()));
        let reqs = [req(1, 5, 10, Some(1)), req(2, 5, 10, None)];
        write_oracle_general(File::create(&bin).unwrap(), reqs).unwrap();
        let back = read_all(open_trace(&bin, CacheTraceFormat::OracleGeneral).unwrap()).unwrap();
        std::fs::remove_file(&bin).unwrap();
        assert_eq!(back, reqs);
        let text = dir.join(format!("mmesim-cachetrace-{}.csv", std::process::id()));
        std::fs::write(&text, "timestamp_s,object,size_bytes\n1,5,10\n2,5,10\n").unwrap();
        let back = read_all(open_trace(&text, CacheTraceFormat::Csv).unwrap()).unwrap();
        std::fs::write(&text, "timestamp,object,size_bytes\n").unwrap();
        let bad = open_trace(&text, CacheTraceFormat::Csv).err().unwrap();
        std::fs::remove_file(&text).unwrap();
        assert_eq!(back, [req(1, 5, 10, None), req(2, 5, 10, None)]);
        assert_eq!(bad.line(), Some(1));
    }

    #[test]
    fn dense_ids_in_first_appearance_order() {
        let mut ids = DenseIds::new();
        assert!(ids.is_empty());
        let dense: Vec<u32> = [900, 7, 900, u64::MAX, 7, 0, 3].iter().map(|&o| ids.id(o)).collect();
        assert_eq!(dense, [0, 1, 0, 2, 1, 3, 4]);
        assert_eq!(ids.len(), 5);
        assert_eq!(ids.get(u64::MAX), Some(2));
        assert_eq!(ids.get(12345), None);
        assert_eq!(ids.try_id(12345), Some(5));
    }

    /// `cargo test --release -p mmesim-workload cachetrace_throughput -- --ignored --nocapture`
    #[test]
    #[ignore = "benchmark: writes ~240 MB to the temp dir"]
    fn cachetrace_throughput() {
        use std::time::Instant;
        const N: u64 = 10_000_000;
        let dir = std::env::temp_dir();
        let path = dir.join(format!("mmesim-cachetrace-bench-{}.oracleGeneral", std::process::id()));
        // Skewed object ids from a cheap LCG, up to a million objects.
        let mut x: u64 = 1;
        let reqs = (0..N).map(|i| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let object = (x >> 33) % ((x >> 20) % 1_000_000 + 1);
            req(i / 1000, object, 1 + object % 4096, if i % 3 == 0 { Some(i + 5) } else { None })
        });
        let t = Instant::now();
        write_oracle_general(io::BufWriter::new(File::create(&path).unwrap()), reqs).unwrap();
        let write_s = t.elapsed().as_secs_f64();

        let mut best_read = f64::MAX;
        let mut best_dense = f64::MAX;
        for _ in 0..3 {
            let t = Instant::now();
            let mut bytes = 0u64;
            let mut n = 0u64;
            for r in open_trace(&path, CacheTraceFormat::OracleGeneral).unwrap() {
                bytes += r.unwrap().size;
                n += 1;
            }
            best_read = best_read.min(t.elapsed().as_secs_f64());
            assert_eq!(n, N);
            assert!(bytes > 0);

            let t = Instant::now();
            let mut ids = DenseIds::with_capacity(1 << 20);
            let mut sum = 0u64;
            for r in OracleGeneralReader::new(File::open(&path).unwrap()) {
                sum += u64::from(ids.id(r.unwrap().object));
            }
            best_dense = best_dense.min(t.elapsed().as_secs_f64());
            assert!(sum > 0);
        }
        std::fs::remove_file(&path).unwrap();
        println!("oracle-general: wrote {N} records in {write_s:.3} s ({:.1} M/s)", N as f64 / write_s / 1e6);
        println!(
            "oracle-general: read {N} records in {best_read:.3} s = {:.1} M records/s (boxed open_trace)",
            N as f64 / best_read / 1e6
        );
        println!("oracle-general + DenseIds: {best_dense:.3} s = {:.1} M records/s", N as f64 / best_dense / 1e6);

        // CSV for comparison.
        let csv_path = dir.join(format!("mmesim-cachetrace-bench-{}.csv", std::process::id()));
        {
            let mut w = io::BufWriter::new(File::create(&csv_path).unwrap());
            writeln!(w, "{CSV_HEADER}").unwrap();
            let mut x: u64 = 1;
            for i in 0..N / 4 {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                let object = (x >> 33) % 1_000_000;
                writeln!(w, "{}.{:03},{object},{}", i / 1000, i % 1000, 1 + object % 4096).unwrap();
            }
        }
        let t = Instant::now();
        let mut n = 0usize;
        let mut bytes = 0u64;
        for r in open_trace(&csv_path, CacheTraceFormat::Csv).unwrap() {
            bytes += r.unwrap().size;
            n += 1;
        }
        assert!(bytes > 0);
        let csv_s = t.elapsed().as_secs_f64();
        std::fs::remove_file(&csv_path).unwrap();
        assert_eq!(n as u64, N / 4);
        println!("csv: read {n} lines in {csv_s:.3} s = {:.1} M lines/s", n as f64 / csv_s / 1e6);
    }
}
