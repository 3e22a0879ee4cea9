//! What the CSV trace readers of this crate have in common, none of them a
//! reader itself: how a [`csv::Reader`] is configured for a trace, how the
//! next non-blank record is read (with the line it starts on), how a file
//! is opened, and the field parsers (numbers, seconds, abridged fields for
//! messages).

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use csv::ByteRecord;
use mmesim_engine::SimTime;

use crate::error::{Error, TraceLocation, TraceProblem};

/// The longest record read, in bytes: a longer one is an error (the file
/// is not a trace).
pub(crate) const MAX_LINE: usize = 1 << 20;
/// The latest time a [`SimTime`] holds, for error messages.
pub(crate) const MAX_TIME: &str = "18446744073.709551615 s";
/// The read buffer of a CSV reader.
const BUF_BYTES: usize = 1 << 16;
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The input of a CSV reader, noting whether it has ended and its last
/// byte (how the line of a last record without a line break is told), and
/// checking that it is text: a NUL byte or bytes that are not UTF-8 end
/// the input with a [`NotText`] I/O error (binary content is never parsed
/// as records, nor quoted in a message).
pub(crate) struct Tail<R> {
    inner: R,
    last: u8,
    eof: bool,
    /// Bytes read so far.
    read: u64,
    /// The start of a UTF-8 sequence cut by the end of the last read.
    partial: [u8; 4],
    partial_len: usize,
    /// The first fault found: every later read repeats it.
    fault: Option<NotText>,
    /// Whether the fault's message suggests libCacheSim's binary format.
    binary_hint: bool,
}

impl<R: Read> Read for Tail<R> {
    #[inline]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(f) = self.fault {
            return Err(io::Error::new(io::ErrorKind::InvalidData, f));
        }
        let n = self.inner.read(buf)?;
        if let Err(mut f) = self.check(&buf[..n]) {
            f.binary_hint = self.binary_hint;
            self.fault = Some(f);
            return Err(io::Error::new(io::ErrorKind::InvalidData, f));
        }
        match n {
            0 => self.eof = true,
            n => self.last = buf[n - 1],
        }
        Ok(n)
    }
}

impl<R> Tail<R> {
    /// Checks the next `chunk` of the input (empty: its end): the first
    /// NUL byte or byte that does not belong to a UTF-8 sequence is a
    /// fault, a sequence cut by the chunk's end is finished by the next.
    fn check(&mut self, chunk: &[u8]) -> Result<(), NotText> {
        let base = self.read;
        self.read += chunk.len() as u64;
        let bad = |offset: u64, byte: u8| NotText { offset, byte, binary_hint: false };
        if chunk.is_empty() {
            // The input ends inside a sequence.
            return match self.partial_len {
                0 => Ok(()),
                k => Err(bad(base - k as u64, self.partial[0])),
            };
        }
        let mut start = 0;
        if self.partial_len > 0 {
            let k = self.partial_len;
            let need = utf8_width(self.partial[0]);
            let take = (need - k).min(chunk.len());
            self.partial[k..k + take].copy_from_slice(&chunk[..take]);
            self.partial_len += take;
            if self.partial_len < need {
                return Ok(());
            }
            if std::str::from_utf8(&self.partial[..need]).is_err() {
                return Err(bad(base - k as u64, self.partial[0]));
            }
            self.partial_len = 0;
            start = take;
        }
        let rest = &chunk[start..];
        let not_utf8 = match std::str::from_utf8(rest) {
            Ok(_) => None,
            Err(e) if e.error_len().is_none() => {
                // A sequence cut by the chunk's end (at most 3 bytes).
                let cut = &rest[e.valid_up_to()..];
                self.partial[..cut.len()].copy_from_slice(cut);
                self.partial_len = cut.len();
                None
            }
            Err(e) => Some(start + e.valid_up_to()),
        };
        let nul = chunk.iter().position(|&b| b == 0);
        match (nul, not_utf8) {
            (None, None) => Ok(()),
            (Some(i), None) => Err(bad(base + i as u64, 0)),
            (n, Some(u)) => {
                let i = n.map_or(u, |n| n.min(u));
                Err(bad(base + i as u64, chunk[i]))
            }
        }
    }
}

/// The bytes of a UTF-8 sequence that starts with `lead`.
fn utf8_width(lead: u8) -> usize {
    match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 1,
    }
}

/// Why an input read as text is not: its first NUL byte, or its first byte
/// that is not UTF-8 (`byte`), at byte `offset` (0-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NotText {
    pub(crate) offset: u64,
    pub(crate) byte: u8,
    pub(crate) binary_hint: bool,
}

impl fmt::Display for NotText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.byte {
            0 => write!(f, "not a text file (a NUL byte at byte offset {})", self.offset),
            b => write!(f, "not a UTF-8 text file (byte 0x{b:02X} at byte offset {})", self.offset),
        }
    }
}

impl std::error::Error for NotText {}

/// A CSV reader as the trace readers use it.
pub(crate) type CsvReader<R> = csv::Reader<Tail<R>>;

/// A CSV reader over `inner` (see [`Tail`]: it must be UTF-8 text without
/// NUL bytes; `binary_hint`: a file that is not suggests libCacheSim's
/// binary format, for readers of traces that may be in it): comma-separated, `"` quotes (`""` inside
/// them for a quote; a quoted field may span lines), records ended by `\n`
/// (a `\r` before it is whitespace, trimmed with the field); no header
/// handling (each reader checks its own, after [`read_header`]) and any
/// number of fields per record (each reader counts its own). Fields are not
/// trimmed here: readers trim the fields they use ([`fields`]), which
/// allocates nothing.
pub(crate) fn reader<R: Read>(inner: R, binary_hint: bool) -> CsvReader<R> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .buffer_capacity(BUF_BYTES)
        .from_reader(Tail {
            inner,
            last: b'\n',
            eof: false,
            read: 0,
            partial: [0; 4],
            partial_len: 0,
            fault: None,
            binary_hint,
        })
}

/// The 1-based line that `record`, the record `rdr` read last, starts on.
///
/// The csv crate's own record position is the line after the previous
/// record, blank lines between them included; this counts back from the
/// line after `record` instead, over its terminator and the line breaks
/// inside its quoted fields.
pub(crate) fn line<R: Read>(rdr: &CsvReader<R>, record: &ByteRecord) -> u64 {
    let tail = rdr.get_ref();
    // Before the end of the input, a record ends at its line break; at the
    // end, the input's last line break is the record's own unless a quote
    // left open took it into the last field.
    let terminated = !tail.eof || (tail.last == b'\n' && !record.as_slice().ends_with(b"\n"));
    // Before the end, a record whose bytes are just its fields, the commas
    // between them and its line break had no quote, so no line break inside
    // (the common case: nothing to count).
    let span = rdr.position().byte() - record.position().map_or(0, csv::Position::byte);
    let plain = !tail.eof && span == (record.as_slice().len() + record.len()) as u64;
    let inside = if plain { 0 } else { record.as_slice().iter().map(|&b| u64::from(b == b'\n')).sum::<u64>() };
    rdr.position().line().saturating_sub(u64::from(terminated) + inside).max(1)
}

/// An error about `record`, the record `rdr` read last.
#[cold]
pub(crate) fn invalid<R: Read>(rdr: &CsvReader<R>, record: &ByteRecord, problem: TraceProblem) -> Error {
    at_line(line(rdr, record), problem)
}

/// An error about line `line`.
#[cold]
pub(crate) fn at_line(line: u64, problem: TraceProblem) -> Error {
    Error::invalid_record(TraceLocation::Line(line), problem)
}

/// Reads the next record that is not blank (blank lines and lines of
/// whitespace only are skipped, but counted) into `record`; `false` at the
/// end of the input. The record is reused: no allocation per record.
#[inline]
pub(crate) fn next_record<R: Read>(rdr: &mut CsvReader<R>, record: &mut ByteRecord) -> Result<bool, Error> {
    loop {
        match rdr.read_byte_record(record) {
            Ok(true) => {}
            Ok(false) => return Ok(false),
            Err(e) => return Err(read_error(rdr, e)),
        }
        if record.as_slice().len() + record.len() > MAX_LINE {
            return Err(invalid(rdr, record, TraceProblem::LongLine));
        }
        if record.len() != 1 || !record[0].trim_ascii().is_empty() {
            return Ok(true);
        }
    }
}

#[cold]
fn read_error<R: Read>(rdr: &CsvReader<R>, e: csv::Error) -> Error {
    let at = TraceLocation::Line(rdr.position().line());
    match e.into_kind() {
        csv::ErrorKind::Io(source) => match source.get_ref().and_then(|e| e.downcast_ref::<NotText>()) {
            Some(f) => Error::not_text(f.offset, f.byte, f.binary_hint),
            None => Error::io(at, source),
        },
        other => Error::io(at, io::Error::new(io::ErrorKind::InvalidData, format!("{other:?}"))),
    }
}

/// Reads the header into `record`: the first non-blank record, with a UTF-8
/// byte-order mark before its first field dropped; `false` for an empty
/// input. Its fields are then [`fields`] (trimmed).
pub(crate) fn read_header<R: Read>(rdr: &mut CsvReader<R>, record: &mut ByteRecord) -> Result<bool, Error> {
    if !next_record(rdr, record)? {
        return Ok(false);
    }
    if record.get(0).is_some_and(|f| f.starts_with(BOM)) {
        let mut without = ByteRecord::with_capacity(record.as_slice().len(), record.len());
        for (i, f) in record.iter().enumerate() {
            without.push_field(if i == 0 { &f[BOM.len()..] } else { f });
        }
        without.set_position(record.position().cloned());
        *record = without;
    }
    Ok(true)
}

/// The fields of a record, trimmed of surrounding ASCII whitespace.
#[inline]
pub(crate) fn fields(record: &ByteRecord) -> impl Iterator<Item = &[u8]> {
    record.iter().map(<[u8]>::trim_ascii)
}

/// The record as one line for a message (fields joined by commas, without
/// the `\r` of a `\r\n` line end, abridged).
pub(crate) fn abridge_record(record: &ByteRecord) -> String {
    let line = record.iter().collect::<Vec<_>>().join(&b',');
    abridge(line.strip_suffix(b"\r").unwrap_or(&line))
}

/// Opens the trace file at `path`, failing with an
/// [`Open`](crate::ErrorKind::Open) error that names it (a directory
/// included).
pub(crate) fn open_file(path: &Path) -> Result<File, Error> {
    let open_err = |source| Error::open(path, source);
    let file = File::open(path).map_err(open_err)?;
    if file.metadata().map_err(open_err)?.is_dir() {
        return Err(open_err(io::Error::new(io::ErrorKind::InvalidInput, "is a directory")));
    }
    Ok(file)
}

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

/// A `timestamp_s` field (trimmed): non-negative seconds, up to nine
/// decimals exactly, or any other non-negative finite number.
#[inline]
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out `step` bytes per read, so that UTF-8 sequences are cut by
    /// the ends of reads.
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    /// Reads all of `bytes` through a [`Tail`], `step` bytes a read; the
    /// fault found, if any.
    fn fault(bytes: &[u8], step: usize) -> Option<NotText> {
        let mut tail = Tail {
            inner: Trickle { bytes, step },
            last: b'\n',
            eof: false,
            read: 0,
            partial: [0; 4],
            partial_len: 0,
            fault: None,
            binary_hint: false,
        };
        let mut buf = [0u8; 64];
        loop {
            match tail.read(&mut buf) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => {
                    assert_eq!(e.kind(), io::ErrorKind::InvalidData);
                    let f = *e.get_ref().and_then(|e| e.downcast_ref::<NotText>()).expect("a NotText");
                    // Sticky: the next read fails the same way.
                    let again = tail.read(&mut buf).expect_err("the fault again");
                    assert_eq!(again.get_ref().and_then(|e| e.downcast_ref::<NotText>()), Some(&f));
                    return Some(f);
                }
            }
        }
    }

    fn at(offset: u64, byte: u8) -> Option<NotText> {
        Some(NotText { offset, byte, binary_hint: false })
    }

    #[test]
    fn text_passes_whatever_the_reads_cut() {
        let text = "timestamp_s,model\n0,modèle-é€𝄞\n1,ü\n".as_bytes();
        for step in 1..=text.len() {
            assert_eq!(fault(text, step), None, "step {step}");
        }
        assert_eq!(fault(b"", 1), None);
    }

    #[test]
    fn the_first_nul_or_bad_byte_is_the_fault() {
        for step in [1, 2, 3, 5, 64] {
            assert_eq!(fault(b"abc\0def", step), at(3, 0), "step {step}");
            assert_eq!(fault(b"\0", step), at(0, 0));
            assert_eq!(fault(b"ab\xffc\0", step), at(2, 0xFF));
            assert_eq!(fault(b"a\0b\xff", step), at(1, 0));
            // A lone continuation byte; a lead byte followed by no
            // continuation (ASCII, or NUL inside the sequence).
            assert_eq!(fault(b"xx\x80", step), at(2, 0x80));
            assert_eq!(
                fault("é".as_bytes().iter().chain(b"\xe2A").copied().collect::<Vec<_>>().as_slice(), step),
                at(2, 0xE2)
            );
            assert_eq!(fault(b"\xf0\x9d\0\x9e", step), at(0, 0xF0));
            // The input ends inside a sequence.
            assert_eq!(fault(b"ab\xe2\x82", step), at(2, 0xE2));
            // Latin-1.
            assert_eq!(fault(b"caf\xe9\n", step), at(3, 0xE9));
        }
    }

    #[test]
    fn a_binary_file_read_as_csv_is_one_error_without_its_bytes() {
        let mut bytes = b"timestamp_s,object,size_bytes\n".to_vec();
        bytes.extend_from_slice(&[0, 0, 0, 7, 1, 2, 0xFF, 0x1B, b'[']);
        let mut rdr = reader(&bytes[..], true);
        let mut record = ByteRecord::new();
        let e = read_header(&mut rdr, &mut record).map(|_| ()).and_then(|()| {
            next_record(&mut rdr, &mut record)?;
            Ok(())
        });
        let e = e.expect_err("not text");
        assert_eq!(
            e.to_string(),
            "not a text file (a NUL byte at byte offset 30); for libCacheSim's binary traces use the format `oracle-general`"
        );
        assert!(matches!(e.kind(), crate::ErrorKind::NotText { offset: 30, byte: 0, binary_hint: true, .. }));
        let e = e.in_file(Path::new("t.bin"));
        assert_eq!(e.path(), Some(Path::new("t.bin")));
        assert!(e.to_string().starts_with("t.bin: not a text file (a NUL byte at byte offset 30);"), "{e}");
        // Without the hint (the Azure files are never in that format).
        let mut rdr = reader(&b"a,b\n\xfe"[..], false);
        let e = read_header(&mut rdr, &mut record).and_then(|_| next_record(&mut rdr, &mut record)).unwrap_err();
        assert_eq!(e.to_string(), "not a UTF-8 text file (byte 0xFE at byte offset 4)");
    }
}
