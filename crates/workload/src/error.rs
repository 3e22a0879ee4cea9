//! The crate's error type: one opaque [`Error`] whose [`kind`](Error::kind)
//! tells what went wrong and where (the file, the line or record, the
//! field), with the underlying I/O error, if any, as its
//! [`source`](std::error::Error::source).
//!
//! Every `Display` is one line: `cannot open trace PATH: …`,
//! `PATH: line 3: …`, `` `alpha` must be … ``.

use std::borrow::Cow;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use mmesim_engine::SimTime;

use crate::cachetrace::{CacheTraceFormat, CSV_HEADER, RECORD_BYTES};
use crate::csvio::MAX_LINE;

/// An error of this crate: opening or reading a trace, or a parameter out
/// of range. Match on [`kind`](Error::kind); print with `Display`.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    /// The cause, for [`ErrorKind::Open`] and [`ErrorKind::Io`].
    io: Option<io::Error>,
}

/// What went wrong, with where.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A trace file could not be opened (the cause is the error's
    /// `source()`).
    Open {
        /// The path given.
        path: PathBuf,
    },
    /// Reading a trace failed (the cause is the error's `source()`).
    Io {
        /// The file, when known.
        path: Option<PathBuf>,
        /// Where reading was when it failed.
        at: TraceLocation,
    },
    /// A record or line of a trace is invalid.
    Record {
        /// The file, when known.
        path: Option<PathBuf>,
        /// Where.
        at: TraceLocation,
        /// What is wrong.
        problem: TraceProblem,
    },
    /// A file read as text that is not: a NUL byte, or a byte that is not
    /// UTF-8 (a binary file, say an oracle-general trace read as CSV). Its
    /// bytes are never quoted.
    NotText {
        /// The file, when known.
        path: Option<PathBuf>,
        /// The byte offset (0-based) of the first such byte.
        offset: u64,
        /// That byte (0 for a NUL byte).
        byte: u8,
        /// Whether the message suggests libCacheSim's binary format
        /// (readers of cache and request traces, which may be in it).
        binary_hint: bool,
    },
    /// A trace file changed while it was being replayed (it no longer
    /// matches the first pass over it).
    Changed {
        /// The file.
        path: PathBuf,
    },
    /// A trace format name that is not known.
    UnknownFormat {
        /// The name given.
        name: String,
    },
    /// An option of a trace reader that is out of range.
    InvalidOption {
        /// The option's name.
        option: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A parameter (of an arrival process, a popularity, a model
    /// population, trace options) that is out of range or inconsistent.
    Invalid {
        /// The field, e.g. `alpha` or `list[3]`.
        field: Cow<'static, str>,
        /// The whole message, naming the field.
        message: String,
    },
}

impl Error {
    fn new(kind: ErrorKind, io: Option<io::Error>) -> Self {
        Error { inner: Box::new(Inner { kind, io }) }
    }

    /// What went wrong, and where.
    pub fn kind(&self) -> &ErrorKind {
        &self.inner.kind
    }

    /// A trace file that could not be opened.
    pub fn open(path: &Path, source: io::Error) -> Self {
        Error::new(ErrorKind::Open { path: path.to_owned() }, Some(source))
    }

    /// A read error at `at`.
    pub fn io(at: TraceLocation, source: io::Error) -> Self {
        Error::new(ErrorKind::Io { path: None, at }, Some(source))
    }

    /// An invalid record or line at `at`.
    #[cold]
    pub fn invalid_record(at: TraceLocation, problem: TraceProblem) -> Self {
        Error::new(ErrorKind::Record { path: None, at, problem }, None)
    }

    /// A file read as text that is not: a NUL byte (`byte` 0) or a byte
    /// that is not UTF-8 at byte `offset`.
    pub fn not_text(offset: u64, byte: u8, binary_hint: bool) -> Self {
        Error::new(ErrorKind::NotText { path: None, offset, byte, binary_hint }, None)
    }

    /// A trace file changed while it was replayed.
    pub fn changed(path: &Path) -> Self {
        Error::new(ErrorKind::Changed { path: path.to_owned() }, None)
    }

    /// An unknown trace format name.
    pub fn unknown_format(name: &str) -> Self {
        Error::new(ErrorKind::UnknownFormat { name: name.to_owned() }, None)
    }

    /// A trace reader option out of range.
    pub fn invalid_option(option: &'static str, reason: String) -> Self {
        Error::new(ErrorKind::InvalidOption { option, reason }, None)
    }

    /// A parameter out of range; `message` names the field and is the
    /// error's `Display`.
    pub fn invalid(field: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Invalid { field: field.into(), message: message.into() }, None)
    }

    /// A parameter error of an entry of a list: the field becomes
    /// `parent.field` (e.g. `list[2].memory_mib`) and the message is
    /// prefixed by `context` (e.g. ``list[2] (`bert`): ``).
    pub(crate) fn within(mut self, parent: &str, context: &str) -> Self {
        if let ErrorKind::Invalid { field, message } = &mut self.inner.kind {
            *field = format!("{parent}.{field}").into();
            message.insert_str(0, context);
        }
        self
    }

    /// Names the file `path`, unless the error already names one or is not
    /// about a place in a file.
    pub fn in_file(mut self, path: &Path) -> Error {
        if let ErrorKind::Io { path: p @ None, .. }
        | ErrorKind::Record { path: p @ None, .. }
        | ErrorKind::NotText { path: p @ None, .. } = &mut self.inner.kind
        {
            *p = Some(path.to_owned());
        }
        self
    }

    /// The file the error names, if any.
    pub fn path(&self) -> Option<&Path> {
        match &self.inner.kind {
            ErrorKind::Open { path } | ErrorKind::Changed { path } => Some(path),
            ErrorKind::Io { path, .. } | ErrorKind::Record { path, .. } | ErrorKind::NotText { path, .. } => {
                path.as_deref()
            }
            _ => None,
        }
    }

    /// Where in the trace the error happened, if it happened while reading.
    pub fn location(&self) -> Option<TraceLocation> {
        match &self.inner.kind {
            ErrorKind::Io { at, .. } | ErrorKind::Record { at, .. } => Some(*at),
            _ => None,
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
        match &self.inner.kind {
            ErrorKind::Record { problem, .. } => Some(problem),
            _ => None,
        }
    }

    /// The message without the file in front (`line 3: …`), for callers
    /// that name the file themselves; the same as `Display` for errors that
    /// name no file in front (open errors name it within the message).
    pub fn without_path(&self) -> impl fmt::Display + '_ {
        Message { error: self, with_path: false }
    }
}

/// `Display` of an [`Error`], with or without the file in front.
struct Message<'a> {
    error: &'a Error,
    with_path: bool,
}

impl fmt::Display for Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let io = self.error.inner.io.as_ref();
        let in_file = |f: &mut fmt::Formatter<'_>, path: &Option<PathBuf>| match path {
            Some(p) if self.with_path => write!(f, "{}: ", p.display()),
            _ => Ok(()),
        };
        match &self.error.inner.kind {
            ErrorKind::Open { path } => {
                write!(f, "cannot open trace {}: ", path.display())?;
                io.map_or(Ok(()), |e| write!(f, "{e}"))
            }
            ErrorKind::Io { path, at } => {
                in_file(f, path)?;
                write!(f, "{at}: read error: ")?;
                io.map_or(Ok(()), |e| write!(f, "{e}"))
            }
            ErrorKind::Record { path, at, problem } => {
                in_file(f, path)?;
                write!(f, "{at}: {problem}")
            }
            ErrorKind::NotText { path, offset, byte, binary_hint } => {
                in_file(f, path)?;
                match byte {
                    0 => write!(f, "not a text file (a NUL byte at byte offset {offset})")?,
                    b => write!(f, "not a UTF-8 text file (byte 0x{b:02X} at byte offset {offset})")?,
                }
                if *binary_hint {
                    f.write_str("; for libCacheSim's binary traces use the format `oracle-general`")?;
                }
                Ok(())
            }
            ErrorKind::Changed { path } => {
                if self.with_path {
                    write!(f, "{}: ", path.display())?;
                }
                f.write_str("changed while it was being replayed")
            }
            ErrorKind::UnknownFormat { name } => {
                write!(f, "unknown trace format {name:?}: expected one of {}", CacheTraceFormat::NAMES.join(", "))
            }
            ErrorKind::InvalidOption { option, reason } => write!(f, "invalid trace option `{option}`: {reason}"),
            ErrorKind::Invalid { message, .. } => f.write_str(message),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Message { error: self, with_path: true }.fmt(f)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.inner.kind);
        if let Some(io) = &self.inner.io {
            d.field("source", io);
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner.io.as_ref().map(|e| e as _)
    }
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
    /// A line of a text trace, 1-based (the header is line 1; a record
    /// spanning lines is at the line it starts on).
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
    /// An oracle-general `next_access_vtime` pointing past the trace's last
    /// record (found at the end of the trace: the reader streams).
    #[error("next_access_vtime {value} points past the end of the trace, whose last record is number {records}")]
    NextAccessPastEnd {
        /// The value read (1-based).
        value: i64,
        /// Records in the trace.
        records: u64,
    },
    /// A binary trace whose first record is all text: a text file (a CSV
    /// trace) read as oracle-general.
    #[error(
        "this is text, not oracle-general's binary records (it starts with {start:?}): \
         is it a CSV trace (format `csv`)?"
    )]
    LooksLikeText {
        /// The first bytes, as text.
        start: String,
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
    /// A CSV record longer than 1 MiB (not a trace).
    #[error("line longer than {MAX_LINE} bytes")]
    LongLine,
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
    /// A trace naming more distinct models (or objects) than a run may
    /// have.
    #[error("model {name:?} makes more than {max} distinct models, the most a run may have")]
    TooManyModels {
        /// The first name past the limit (abridged).
        name: String,
        /// The limit ([`MAX_MODELS`](crate::MAX_MODELS)).
        max: u32,
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn kinds_keep_their_data_and_source() {
        let e = Error::io(TraceLocation::Line(4), io::Error::other("disk on fire")).in_file(Path::new("t.csv"));
        assert_eq!(e.kind(), &ErrorKind::Io { path: Some("t.csv".into()), at: TraceLocation::Line(4) });
        assert_eq!(e.to_string(), "t.csv: line 4: read error: disk on fire");
        assert_eq!(e.without_path().to_string(), "line 4: read error: disk on fire");
        let src = e.source().unwrap().downcast_ref::<io::Error>().unwrap();
        assert_eq!(src.kind(), io::ErrorKind::Other);
        // Naming the file twice keeps the first.
        let e = e.in_file(Path::new("other.csv"));
        assert_eq!(e.path(), Some(Path::new("t.csv")));

        let e = Error::invalid("alpha", "`alpha` must be a non-negative number, got -1");
        assert!(matches!(e.kind(), ErrorKind::Invalid { field, .. } if field == "alpha"));
        assert_eq!(e.to_string(), "`alpha` must be a non-negative number, got -1");
        assert!(e.source().is_none() && e.path().is_none() && e.line().is_none());

        let e = Error::changed(Path::new("t.bin"));
        assert_eq!(e.to_string(), "t.bin: changed while it was being replayed");
        assert_eq!(e.without_path().to_string(), "changed while it was being replayed");
        // Small enough to pass around in results cheaply.
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }
}
