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
//!   other value that does not point after its own record is an error, and
//!   so is one that points past the trace's last record (found when the
//!   trace ends: the reader streams). A first record made only of
//!   printable text is an error too (a text file, such as a CSV trace, read
//!   as oracle-general): its `next_access_vtime` would be at least
//!   0x0909…09 ≈ 6.5 × 10^17, past the end of any trace.
//!   [`write_oracle_general`] writes the inverse, so write → read is exact.
//! * **csv** ([`CsvCacheReader`]): header `timestamp_s,object,size_bytes`;
//!   seconds may be fractional; timestamps must not decrease. An object that
//!   is a canonical decimal integer (ASCII digits, no sign, no leading zero
//!   unless it is `0`, fitting in a `u64`) is that integer; any other object
//!   string is mapped to the 64-bit FNV-1a hash of its bytes (after
//!   unquoting; every field is trimmed of surrounding whitespace), so
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
use std::io::{self, Read, Write};
use std::path::Path;
use std::str::FromStr;

use csv::ByteRecord;
use mmesim_engine::SimTime;
use rustc_hash::FxHashMap;

pub use crate::csvio::fnv1a64;
use crate::csvio::{self, abridge, parse_digits, parse_time};
use crate::error::Error;

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

pub use crate::error::{TraceLocation, TraceProblem};

/// The crate's [`Error`](crate::Error), under the name the trace readers
/// have always used.
pub type TraceError = Error;

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
    /// The furthest `next_access` seen (0-based) and the 0-based index of
    /// its record, checked against the trace's length at its end.
    furthest: Option<(u64, u64)>,
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
            furthest: None,
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
            return Some(Err(Error::io(self.location(), source)));
        }
        let left = self.end - self.pos;
        if left >= RECORD_BYTES {
            return self.next();
        }
        self.done = true;
        if left == 0 {
            match self.furthest {
                Some((next, at)) if next >= self.index => {
                    let value = i64::try_from(next + 1).unwrap_or(i64::MAX);
                    let at = TraceLocation::Record { number: at + 1, offset: at * RECORD_BYTES as u64 };
                    Some(Err(Error::invalid_record(at, TraceProblem::NextAccessPastEnd { value, records: self.index })))
                }
                _ => None,
            }
        } else {
            Some(Err(Error::invalid_record(self.location(), TraceProblem::Truncated { got: left })))
        }
    }
}

/// Whether a record is all printable ASCII (or tabs and line ends): text,
/// which no valid record is (see the [module docs](self)).
#[cold]
fn looks_like_text(rec: &[u8; RECORD_BYTES]) -> bool {
    rec.iter().all(|&b| (0x20..0x7f).contains(&b) || matches!(b, b'\t' | b'\n' | b'\r'))
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
        if self.index == 0 && looks_like_text(rec) {
            self.done = true;
            self.pos = self.end;
            let start = String::from_utf8_lossy(rec).into_owned();
            return Some(Err(Error::invalid_record(self.location(), TraceProblem::LooksLikeText { start })));
        }
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
                return Some(Err(Error::invalid_record(at, TraceProblem::BadNextAccess { value })));
            }
        };
        if let Some(n) = next_access {
            if self.furthest.is_none_or(|(f, _)| n > f) {
                self.furthest = Some((n, self.index));
            }
        }
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
/// The format, read with the `csv` crate:
/// * one record per line, ended by `\n` or `\r\n`; blank lines and lines
///   holding only whitespace are skipped (but counted); a UTF-8 byte-order
///   mark before the header is ignored; a record is at most 1 MiB;
/// * fields are separated by `,` and trimmed of surrounding ASCII
///   whitespace; a field may be quoted (`"a,b"`, with `""` for a quote; a
///   quoted field may span lines, and its record is then at the line it
///   starts on);
/// * exactly three fields: `timestamp_s`, a non-negative number of seconds
///   (`12`, `12.5`, `1.25e3`; up to nine decimals are read exactly) not less
///   than the previous record's; `object`, non-empty; `size_bytes`, a
///   non-negative integer.
///
/// `next_access` is always `None`. The record is reused: no allocation per
/// line. `R` need not be buffered (the reader buffers).
pub struct CsvCacheReader<R: Read> {
    rdr: csvio::CsvReader<R>,
    record: ByteRecord,
    prev: SimTime,
    done: bool,
}

impl<R: Read> CsvCacheReader<R> {
    /// A reader over `inner` (e.g. `&[u8]` or a `File`). Reads and checks
    /// the header, failing with the line number if it is missing or not
    /// `timestamp_s,object,size_bytes`.
    pub fn new(inner: R) -> Result<Self, TraceError> {
        let mut rdr = csvio::reader(inner, true);
        let mut record = ByteRecord::new();
        if !csvio::read_header(&mut rdr, &mut record)? {
            return Err(Error::invalid_record(TraceLocation::Line(1), TraceProblem::MissingHeader));
        }
        let ok = record.len() == CSV_COLUMNS.len() && csvio::fields(&record).eq(CSV_COLUMNS.map(str::as_bytes));
        if !ok {
            let problem = TraceProblem::BadHeader { found: csvio::abridge_record(&record) };
            return Err(csvio::invalid(&rdr, &record, problem));
        }
        Ok(CsvCacheReader { rdr, record, prev: SimTime::ZERO, done: false })
    }

    /// 1-based number of the line of the last record read (the record last
    /// yielded, or the one in error).
    pub fn line_number(&self) -> u64 {
        csvio::line(&self.rdr, &self.record)
    }

    #[inline]
    fn parse(&self) -> Result<CacheRequest, TraceProblem> {
        let n = self.record.len();
        if n < CSV_COLUMNS.len() {
            return Err(TraceProblem::MissingColumn { column: CSV_COLUMNS[n], found: n });
        }
        if n > CSV_COLUMNS.len() {
            return Err(TraceProblem::ExtraColumns { found: n });
        }
        let field = |i: usize| self.record[i].trim_ascii();
        let time = parse_time(field(0))?;
        let object = field(1);
        if object.is_empty() {
            return Err(TraceProblem::EmptyField { column: "object" });
        }
        let size = parse_size(field(2))?;
        if time < self.prev {
            return Err(TraceProblem::TimeBackwards { prev: self.prev, now: time });
        }
        Ok(CacheRequest { time, object: object_id(object), size, next_access: None })
    }
}

impl<R: Read> Iterator for CsvCacheReader<R> {
    type Item = Result<CacheRequest, TraceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match csvio::next_record(&mut self.rdr, &mut self.record) {
            Ok(true) => {}
            Ok(false) => {
                self.done = true;
                return None;
            }
            Err(e) => {
                self.done = true;
                return Some(Err(e));
            }
        }
        match self.parse() {
            Ok(r) => {
                self.prev = r.time;
                Some(Ok(r))
            }
            Err(problem) => {
                self.done = true;
                Some(Err(csvio::invalid(&self.rdr, &self.record, problem)))
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
            _ => Err(Error::unknown_format(s)),
        }
    }
}

/// A boxed stream of cache requests, as [`open_trace`] returns.
pub type CacheTraceIter = Box<dyn Iterator<Item = Result<CacheRequest, TraceError>> + Send>;

/// Opens the trace at `path` in `format` and streams its requests. Open
/// errors (and, for CSV, a missing or bad header) are returned here; the
/// former name the path.
pub fn open_trace(path: &Path, format: CacheTraceFormat) -> Result<CacheTraceIter, TraceError> {
    let file = csvio::open_file(path)?;
    Ok(match format {
        CacheTraceFormat::OracleGeneral => Box::new(OracleGeneralReader::new(file)),
        CacheTraceFormat::Csv => Box::new(CsvCacheReader::new(file)?),
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
    use std::fs::File;

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

    /// Issue 13: a `next_access_vtime` beyond the last record was taken as
    /// a real future access (Belady's decisions on it); it is an error
    /// naming the record, met when the trace ends.
    #[test]
    fn oracle_general_next_access_past_the_end() {
        let mut bytes = write(&[req(1, 9, 10, Some(1)), req(2, 9, 10, None), req(3, 7, 1, None)]);
        // Record 2 says object 9 comes again at (1-based) record 4 of 3.
        bytes[40..48].copy_from_slice(&4i64.to_le_bytes());
        let mut it = OracleGeneralReader::new(&bytes[..]);
        for _ in 0..3 {
            assert!(it.next().unwrap().is_ok());
        }
        let err = it.next().unwrap().unwrap_err();
        assert_eq!(err.record(), Some(2));
        assert_eq!(err.problem(), Some(&TraceProblem::NextAccessPastEnd { value: 4, records: 3 }));
        assert_eq!(
            err.to_string(),
            "record 2 (byte offset 24): next_access_vtime 4 points past the end of the trace, whose last record \
             is number 3"
        );
        assert!(it.next().is_none());
        // Pointing at the last record is fine.
        bytes[40..48].copy_from_slice(&3i64.to_le_bytes());
        assert_eq!(read_all(OracleGeneralReader::new(&bytes[..])).unwrap().len(), 3);
    }

    /// Issue 13: a CSV file whose length happens to be a multiple of 24
    /// bytes was read as oracle-general records of nonsense; its first
    /// record is text, which no valid record is.
    #[test]
    fn oracle_general_refuses_text() {
        let csv = b"timestamp_s,object,size_bytes\n0,1,100\n1,2,2000000\n";
        let csv = &csv[..csv.len() / RECORD_BYTES * RECORD_BYTES];
        assert_eq!(csv.len() % RECORD_BYTES, 0);
        let mut it = OracleGeneralReader::new(csv);
        let err = it.next().unwrap().unwrap_err();
        assert_eq!(err.record(), Some(1));
        assert_eq!(
            err.to_string(),
            "record 1 (byte offset 0): this is text, not oracle-general's binary records (it starts with \
             \"timestamp_s,object,size_\"): is it a CSV trace (format `csv`)?"
        );
        assert!(it.next().is_none());
        // Binary records whose bytes happen to be printable only in part pass.
        let ok = write(&[req(0x2020_2020, 0x2020_2020_2020_2020, 0x2020_2020, None)]);
        assert_eq!(read_all(OracleGeneralReader::new(&ok[..])).unwrap().len(), 1);
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
                    1.250000001,\" say \"\"hi\"\" \",\" 8\"\n\
                    3,18446744073709551615,0\n\
                    3,007,1\n\
                    4,18446744073709551616,1\n";
        let reqs = csv(text).unwrap();
        let expect = [
            req(0, 42, 100, None),
            CacheRequest { time: SimTime::from_millis(500), ..req(0, fnv1a64(b"photo.jpg"), 2048, None) },
            CacheRequest { time: SimTime::from_millis(1250), ..req(0, fnv1a64(b"a,b"), 7, None) },
            CacheRequest { time: SimTime::from_nanos(1_250_000_001), ..req(0, fnv1a64(b"say \"hi\""), 8, None) },
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
        // A quoted field may span lines: its record is at the line it starts on.
        check("timestamp_s,object,size_bytes\n0,a,\"1\n2\"\n", 2, "`size_bytes` \"1\\n2\" is not a number");
        check("timestamp_s,object,size_bytes\n0,a,1\n1,\"b\nc\",1\n0,d,1\n", 5, "time goes backwards");
        // A quote left open runs to the end of the file.
        check("timestamp_s,object,size_bytes\n0,\"a,1\n1,b,1\n", 2, "missing column `size_bytes`");
        check("timestamp_s,object,size_bytes\n0,\"a\",\"x\"\n", 2, "`size_bytes` \"x\" is not a number");
        // Blank lines and CRLF endings count as lines.
        check("timestamp_s,object,size_bytes\r\n0,a,1\r\n\r\n  \r\n1,b,1\r\n0,c,1\r\n", 6, "time goes backwards");
        let long = format!("{CSV_HEADER}\n0,a,1\n1,{},1\n", "x".repeat(csvio::MAX_LINE));
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
        assert!(matches!(e.kind(), crate::ErrorKind::Open { .. }), "{e}");

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
