//! The facade's error type.
//!
//! One opaque [`Error`] with a `#[non_exhaustive]` [`ErrorKind`] whose
//! variants carry the data a program may want (the file, the line and
//! column, the field), a one-line `Display` message for people (`FILE:
//! what`), and the cause — an [`std::io::Error`], a [`toml::de::Error`],
//! a [`ConfigError`] or a [`CoreError`](mmesim_core::CoreError) — through
//! [`std::error::Error::source`].

use mmesim_core::ConfigError;
use std::error::Error as StdError;
use std::fmt;
use std::path::Path;

/// What went wrong, with where.
///
/// `file` names the file the error is about, or another origin where there
/// is no file (a scenario's name, `trace`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A file could not be read (or written, or drawn to).
    Io {
        /// The file.
        file: String,
    },
    /// A file is not valid TOML, or does not match the expected format (an
    /// unknown key, a value of the wrong type, an unknown policy name).
    Parse {
        /// The file.
        file: String,
        /// The line (1-based), where known.
        line: Option<usize>,
        /// The column (1-based), where known.
        column: Option<usize>,
        /// The dotted path of the field (`cluster.instances`), where known.
        field: Option<String>,
    },
    /// A value is out of range or inconsistent with another.
    Invalid {
        /// The file (or origin).
        file: String,
        /// The dotted path of the field (`routing.spill_factor`), where
        /// known.
        field: Option<String>,
    },
    /// A bad command-line value (origin `command line`).
    Usage,
}

/// An error with its context: the file (or origin) and, where known, the
/// line, column and field.
///
/// Opaque by design: match on [`kind`](Error::kind); print it with
/// `Display`, which gives one message naming the file and the field; the
/// cause, if any, is its [`source`](std::error::Error::source) (its text is
/// already part of the message).
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    source: Option<Box<dyn StdError + Send + Sync + 'static>>,
}

impl Error {
    /// The one constructor: control characters in the message (from a
    /// value or a line the user wrote) are escaped (`\0`, `\u{1b}`), so the
    /// message stays one printable line.
    pub(crate) fn with_kind(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: escape_controls(message.into()), source: None }
    }

    /// Attaches the cause, reachable through `source()`.
    pub(crate) fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// A bad command-line value (origin `command line`).
    pub fn usage(message: impl Into<String>) -> Self {
        Error::with_kind(ErrorKind::Usage, message)
    }

    /// `path` cannot be read; the cause is `e`.
    pub(crate) fn io(path: &Path, e: std::io::Error) -> Self {
        Error::io_in(path.display().to_string(), format!("cannot read file: {e}")).with_source(e)
    }

    /// An I/O failure on `origin`, said in `message`.
    pub(crate) fn io_in(origin: impl Into<String>, message: impl Into<String>) -> Self {
        Error::with_kind(ErrorKind::Io { file: origin.into() }, message)
    }

    /// `origin` does not match its format, said in `message` (which names
    /// the line if there is one).
    pub(crate) fn parse(origin: impl Into<String>, message: impl Into<String>) -> Self {
        Error::with_kind(ErrorKind::Parse { file: origin.into(), line: None, column: None, field: None }, message)
    }

    /// A bad value of `field` in `origin`: the message is `` `field`: message ``.
    pub(crate) fn invalid(origin: &str, field: &str, message: impl fmt::Display) -> Self {
        Error::with_kind(
            ErrorKind::Invalid { file: origin.into(), field: Some(field.into()) },
            format!("`{field}`: {message}"),
        )
    }

    /// A bad value in `origin`, not tied to one field.
    pub(crate) fn invalid_in(origin: impl Into<String>, message: impl Into<String>) -> Self {
        Error::with_kind(ErrorKind::Invalid { file: origin.into(), field: None }, message)
    }

    /// A bad parameter of the policy (distribution, instance type) at
    /// `field` of `origin`, caused by `e`: the message is `` `field`: e ``,
    /// the field `field.<e's field>`, the source `e`.
    pub(crate) fn config(origin: &str, field: &str, e: ConfigError) -> Self {
        let path = match e.field() {
            Some(f) => format!("{field}.{f}"),
            None => field.to_string(),
        };
        Error::with_kind(ErrorKind::Invalid { file: origin.into(), field: Some(path) }, format!("`{field}`: {e}"))
            .with_source(e)
    }

    /// The kind of error, with its data.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The file or origin the error is about (`command line` for a usage
    /// error).
    pub fn origin(&self) -> &str {
        match &self.kind {
            ErrorKind::Io { file } | ErrorKind::Parse { file, .. } | ErrorKind::Invalid { file, .. } => file,
            ErrorKind::Usage => "command line",
        }
    }

    /// The dotted path of the field at fault, where known.
    pub fn field(&self) -> Option<&str> {
        match &self.kind {
            ErrorKind::Parse { field, .. } | ErrorKind::Invalid { field, .. } => field.as_deref(),
            ErrorKind::Io { .. } | ErrorKind::Usage => None,
        }
    }

    /// The message without the origin.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.origin(), self.message)
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn StdError + 'static))
    }
}

/// Line and column (1-based) of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rfind('\n').map_or(offset, |p| offset - p - 1) + 1;
    (line, col)
}

/// Turns a TOML deserialisation error (with the path of the field it
/// happened in) into one message: `line L, column C: `field`: what`.
pub(crate) fn from_toml(origin: &str, text: &str, e: serde_path_to_error::Error<toml::de::Error>) -> Error {
    let path = e.path().to_string();
    toml_error(origin, text, &path, &e.into_inner())
}

/// One line for a TOML error in `text`: `line L, column C: `path`: what
/// (in `the line`)`; `path` may be empty.
pub(crate) fn toml_error(origin: &str, text: &str, path: &str, inner: &toml::de::Error) -> Error {
    let mut msg = String::new();
    let at = inner.span().map(|span| line_col(text, span.start));
    if let Some((l, c)) = at {
        msg.push_str(&format!("line {l}, column {c}: "));
    }
    let field = (!path.is_empty() && path != ".").then(|| path.to_string());
    if let Some(path) = &field {
        msg.push_str(&format!("`{path}`: "));
    }
    // Some TOML messages span lines ("invalid table header\nduplicate key
    // …"): keep the error on one line.
    let mut what = plain(&one_line(inner.message()));
    // toml hands a date or time to serde as a table: say what it is.
    if let Some(span) = inner.span() {
        if text.get(span).is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit())) {
            what = what.replace("found a table", "found a date or time");
        }
    }
    msg.push_str(&what);
    if let Some((l, _)) = at {
        if let Some(src) = text.lines().nth(l - 1) {
            let src = src.trim();
            if !src.is_empty() {
                msg.push_str(&format!(" (in `{src}`)"));
            }
        }
    }
    let kind = ErrorKind::Parse { file: origin.into(), line: at.map(|(l, _)| l), column: at.map(|(_, c)| c), field };
    Error::with_kind(kind, msg).with_source(inner.clone())
}

/// Reads the text file at `path`: one that cannot be read is an I/O error;
/// one with a NUL byte or bytes that are not UTF-8 (a binary file) is a
/// parse error naming the first such byte, its content never quoted.
pub(crate) fn read_text(path: &Path) -> Result<String, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    text_of(&path.display().to_string(), bytes)
}

/// `bytes` as text, or a parse error of `origin`: `not a text file (a NUL
/// byte at byte offset 12)`, `not a UTF-8 text file (byte 0xFF at byte
/// offset 3)`.
pub(crate) fn text_of(origin: &str, bytes: Vec<u8>) -> Result<String, Error> {
    let nul = bytes.iter().position(|&b| b == 0);
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            return Err(match nul {
                Some(i) if i < at => not_text(origin, i, 0),
                _ => not_text(origin, at, bytes[at]),
            });
        }
    };
    match nul {
        Some(i) => Err(not_text(origin, i, 0)),
        None => Ok(text),
    }
}

/// The parse error of a file that is not text: `byte` (0 for NUL) at
/// `offset`.
fn not_text(origin: &str, offset: usize, byte: u8) -> Error {
    let message = match byte {
        0 => format!("not a text file (a NUL byte at byte offset {offset})"),
        b => format!("not a UTF-8 text file (byte 0x{b:02X} at byte offset {offset})"),
    };
    Error::parse(origin, message)
}

/// A serde_json error's message in plain words ([`plain`], JSON's names:
/// an object, not a table), without the ` at line L column C` it ends with
/// (callers say where themselves).
pub(crate) fn json_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let at = format!(" at line {} column {}", e.line(), e.column());
    plain(text.strip_suffix(&at).unwrap_or(&text))
        .replace("a table `{ … }`", "an object `{ … }`")
        .replace("found a table", "found an object")
}

/// `message` on one line: its non-blank lines, trimmed, joined by `: `.
pub(crate) fn one_line(message: &str) -> String {
    let lines: Vec<&str> = message.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    lines.join(": ")
}

/// `s` with every control character escaped as Rust writes it in a string
/// (`\0`, `\t`, `\u{1b}`): a value quoted from a file cannot break the
/// line, move the cursor or ring a bell.
pub(crate) fn escape_controls(s: String) -> String {
    if !s.chars().any(char::is_control) {
        return s;
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

/// A message of serde's (through toml, serde_json or a `toml::Value`) in
/// words a user knows, the field and the value kept: `invalid type: string
/// "x", expected u32` becomes `expected a whole number ≥ 0, found "x"`,
/// `expected internally tagged enum Dist` a table, `a sequence` a list
/// `[…]`, `a map` a table `{ … }`, `variant identifier` a name in quotes.
/// Text before the serde part (`` `policy`: ``) is kept; a message with
/// nothing to translate is returned as it is, so translating twice changes
/// nothing.
pub(crate) fn plain(message: &str) -> String {
    // serde: `invalid type: UNEXP, expected EXP`, `invalid value: UNEXP,
    // expected EXP`, `invalid length N, expected EXP`.
    for (head, is_value) in [("invalid type: ", false), ("invalid value: ", true)] {
        if let Some(at) = message.find(head) {
            let rest = &message[at + head.len()..];
            if let Some((unexp, exp)) = split_unexpected(rest) {
                let found = plain_found(unexp);
                let expected = plain_expected(exp, is_value.then_some(unexp));
                return format!("{}expected {expected}, found {found}", &message[..at]);
            }
        }
    }
    if let Some(at) = message.find("invalid length ") {
        let rest = &message[at + "invalid length ".len()..];
        if let Some((n, exp)) = rest.split_once(", expected ") {
            if let Ok(n) = n.parse::<u64>() {
                let values = if n == 1 { "value" } else { "values" };
                return format!(
                    "{}expected {}, found a list of {n} {values}",
                    &message[..at],
                    plain_expected(exp, None)
                );
            }
        }
    }
    // serde: `unknown variant `x`, expected one of …` (a name not among an
    // enum's).
    if let Some(at) = message.find("unknown variant `") {
        let mut out = message.to_string();
        out.replace_range(at..at + "unknown variant".len(), "unknown name");
        return out;
    }
    // toml: a name (`scale_in_pick = 3`) given as something else.
    if let Some(at) = message.find("wanted string or table") {
        let mut out = message.to_string();
        out.replace_range(at..at + "wanted string or table".len(), "expected a name in quotes");
        return out;
    }
    // serde: an untagged enum whose value matched none of its forms.
    if let Some(at) = message.find("data did not match any variant of untagged enum ") {
        return format!("{}this value has none of the forms this field takes", &message[..at]);
    }
    message.to_string()
}

/// Splits `UNEXP, expected EXP` where UNEXP is one of serde's
/// `Unexpected` (a string in it, Debug-quoted, may hold `, expected`).
fn split_unexpected(rest: &str) -> Option<(&str, &str)> {
    let start = if let Some(s) = rest.strip_prefix("string \"") {
        // Skip to the closing quote of the Debug-quoted string.
        let mut escaped = false;
        let mut end = None;
        for (i, c) in s.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => {
                    end = Some("string \"".len() + i + 1);
                    break;
                }
                _ => {}
            }
        }
        end?
    } else if let Some(tick) = rest.find('`') {
        // `integer `5``, `floating point `1.5``, `boolean `true``.
        let close = rest[tick + 1..].find('`')?;
        tick + 1 + close + 1
    } else {
        0
    };
    let sep = rest[start..].find(", expected ")? + start;
    Some((&rest[..sep], &rest[sep + ", expected ".len()..]))
}

/// serde's `Unexpected` (what was found) in words: a number or a quoted
/// string as written, a list, a table.
fn plain_found(unexp: &str) -> String {
    for kind in ["integer ", "floating point ", "boolean ", "character ", "unsigned integer ", "signed integer "] {
        if let Some(v) = unexp.strip_prefix(kind) {
            let v = v.trim_matches('`');
            return if kind == "character " { format!("'{v}'") } else { v.to_string() };
        }
    }
    if let Some(v) = unexp.strip_prefix("string ") {
        return v.to_string();
    }
    match unexp {
        "sequence" => "a list",
        "map" => "a table",
        "unit value" | "unit" => "nothing",
        "Option value" => "an optional value",
        "bytes" | "byte array" => "bytes",
        "newtype struct" | "enum" | "unit variant" | "newtype variant" | "tuple variant" | "struct variant" => {
            "a value of another kind"
        }
        other => other,
    }
    .to_string()
}

/// serde's `Expected` (a Rust type, or an `expecting` text) in words.
/// `found` is the value of an `invalid value` error (an integer out of a
/// type's range), to name the range when it matters.
fn plain_expected(exp: &str, found: Option<&str>) -> String {
    let negative = found.is_some_and(|f| f.starts_with("integer `-"));
    let range = |max: u64| {
        if found.is_some() && !negative {
            format!("a whole number from 0 to {max}")
        } else {
            "a whole number ≥ 0".to_string()
        }
    };
    let signed = |min: i64, max: i64| {
        if found.is_some() {
            format!("a whole number from {min} to {max}")
        } else {
            "a whole number".to_string()
        }
    };
    match exp {
        "u8" => return range(u8::MAX.into()),
        "u16" => return range(u16::MAX.into()),
        "u32" => return range(u32::MAX.into()),
        "u64" | "usize" | "u128" => return "a whole number ≥ 0".into(),
        "i8" => return signed(i8::MIN.into(), i8::MAX.into()),
        "i16" => return signed(i16::MIN.into(), i16::MAX.into()),
        "i32" => return signed(i32::MIN.into(), i32::MAX.into()),
        "i64" | "isize" | "i128" => return "a whole number".into(),
        "f32" | "f64" => return "a number".into(),
        "a boolean" => return "true or false".into(),
        "a string" | "a borrowed string" | "string" => return "a string in quotes".into(),
        "path string" => return "a file path in quotes".into(),
        "a character" | "a char" => return "one character in quotes".into(),
        "a sequence" | "sequence" => return "a list `[…]`".into(),
        "a map" | "map" => return "a table `{ … }`".into(),
        "variant identifier" | "field identifier" => return "a name in quotes".into(),
        "unit" => return "nothing".into(),
        "option" => return "a value".into(),
        _ => {}
    }
    if exp.starts_with("struct ") || exp.starts_with("internally tagged enum ") {
        return "a table `{ … }`".into();
    }
    if exp.starts_with("enum ") || exp.starts_with("adjacently tagged enum ") {
        return "a name in quotes".into();
    }
    for (head, tail) in [("an array of length ", ""), ("a tuple of size ", ""), ("a tuple of ", " elements")] {
        if let Some(n) = exp.strip_prefix(head).and_then(|r| r.strip_suffix(tail)).and_then(|n| n.parse::<u64>().ok()) {
            return format!("a list of {n} values `[{}]`", vec!["…"; n.min(4) as usize].join(", "));
        }
    }
    exp.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scenario;

    #[test]
    fn unreadable_file_is_io_with_the_io_error_as_source() {
        let path = std::env::temp_dir().join(format!("mmesim-error-test-{}-missing.toml", std::process::id()));
        let e = Scenario::from_file(&path).unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::Io { file: path.display().to_string() });
        assert_eq!(e.origin(), path.display().to_string());
        assert!(e.to_string().contains("cannot read file: "), "{e}");
        let io = e.source().expect("a source").downcast_ref::<std::io::Error>().expect("an io::Error");
        assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
    }

    #[test]
    fn toml_syntax_error_names_the_line() {
        let e = Scenario::from_toml_str("name = \"x\"\nseed = = 3\n", "s.toml").unwrap_err();
        let ErrorKind::Parse { file, line, column, field } = e.kind() else { panic!("{:?}", e.kind()) };
        assert_eq!((file.as_str(), *line, field), ("s.toml", Some(2), &None));
        assert!(column.is_some());
        assert!(e.to_string().starts_with("s.toml: line 2, column "), "{e}");
        assert!(e.source().expect("a source").downcast_ref::<toml::de::Error>().is_some());
    }

    #[test]
    fn unknown_key_names_line_and_field() {
        let e = Scenario::from_toml_str("[cluster]\ninstance_count = 2\n", "s.toml").unwrap_err();
        let ErrorKind::Parse { line, field, .. } = e.kind() else { panic!("{:?}", e.kind()) };
        assert_eq!((*line, field.as_deref()), (Some(2), Some("cluster.instance_count")));
        assert_eq!(e.field(), Some("cluster.instance_count"));
    }

    #[test]
    fn invalid_policy_parameter_names_the_field() {
        let e = Scenario::from_toml_str("[eviction]\nmemory = { policy = \"lruk\", k = 0 }\n", "s.toml").unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::Invalid { file: "s.toml".into(), field: Some("eviction.memory.k".into()) });
        assert_eq!(e.to_string(), "s.toml: `eviction.memory`: `k` must be between 1 and 64, got 0");
        let cause = e.source().expect("a source").downcast_ref::<ConfigError>().expect("a ConfigError");
        assert_eq!(cause.field(), Some("k"));

        let e = Scenario::from_toml_str("[routing]\npolicy = \"sticky\"\nspill_factor = -1.0\n", "s.toml").unwrap_err();
        assert_eq!(e.field(), Some("routing.spill_factor"));
        assert_eq!(e.to_string(), "s.toml: `routing`: `spill_factor` must be a positive number, got -1");
        assert!(e.source().is_some());
    }

    #[test]
    fn usage_errors_come_from_the_command_line() {
        let e = Error::usage("--threads: must be at least 1");
        assert_eq!(e.kind(), &ErrorKind::Usage);
        assert_eq!(e.to_string(), "command line: --threads: must be at least 1");
        assert!(e.source().is_none());
    }

    #[test]
    fn serde_words_become_plain_words() {
        let cases = [
            ("invalid type: string \"x\", expected u32", "expected a whole number ≥ 0, found \"x\""),
            // A string found may hold `, expected`.
            ("invalid type: string \"a, expected b\", expected f64", "expected a number, found \"a, expected b\""),
            ("invalid type: string \"q\\\"\", expected f64", "expected a number, found \"q\\\"\""),
            ("invalid value: integer `70000`, expected u16", "expected a whole number from 0 to 65535, found 70000"),
            ("invalid value: integer `-1`, expected u8", "expected a whole number ≥ 0, found -1"),
            (
                "invalid value: integer `3000000000`, expected i32",
                "expected a whole number from -2147483648 to 2147483647, found 3000000000",
            ),
            ("invalid type: floating point `1.5`, expected i64", "expected a whole number, found 1.5"),
            ("invalid type: map, expected a sequence", "expected a list `[…]`, found a table"),
            ("invalid type: sequence, expected a map", "expected a table `{ … }`, found a list"),
            ("invalid type: integer `1`, expected a boolean", "expected true or false, found 1"),
            ("invalid type: boolean `true`, expected struct GpuSpec", "expected a table `{ … }`, found true"),
            (
                "invalid type: unit value, expected internally tagged enum Dist",
                "expected a table `{ … }`, found nothing",
            ),
            (
                "`policy`: invalid type: integer `5`, expected variant identifier",
                "`policy`: expected a name in quotes, found 5",
            ),
            (
                "invalid length 3, expected an array of length 2",
                "expected a list of 2 values `[…, …]`, found a list of 3 values",
            ),
            ("invalid type: character `c`, expected path string", "expected a file path in quotes, found 'c'"),
            ("unknown variant `x`, expected `a` or `b`", "unknown name `x`, expected `a` or `b`"),
            ("wanted string or table", "expected a name in quotes"),
            (
                "data did not match any variant of untagged enum Foo",
                "this value has none of the forms this field takes",
            ),
            // Nothing to translate: as it is.
            ("missing field `dist`", "missing field `dist`"),
            ("unknown field `x`, expected `a`", "unknown field `x`, expected `a`"),
        ];
        for (serde, plain_words) in cases {
            assert_eq!(plain(serde), plain_words, "{serde}");
            // Translating twice changes nothing.
            assert_eq!(plain(&plain(serde)), plain_words, "{serde}");
        }
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_controls("a\0b\u{1b}[31m\tc\n".into()), "a\\0b\\u{1b}[31m\\tc\\n");
        assert_eq!(escape_controls("plain é €".into()), "plain é €");
        let e = Error::invalid("s.toml", "name", "bad `\u{7}`");
        assert_eq!(e.to_string(), "s.toml: `name`: bad `\\u{7}`");
    }

    #[test]
    fn text_of_names_the_first_bad_byte() {
        assert_eq!(text_of("f", b"ok \xc3\xa9".to_vec()).unwrap(), "ok é");
        let msg = |b: &[u8]| text_of("f", b.to_vec()).unwrap_err().to_string();
        assert_eq!(msg(b"ab\0c"), "f: not a text file (a NUL byte at byte offset 2)");
        assert_eq!(msg(b"a\0b\xff"), "f: not a text file (a NUL byte at byte offset 1)");
        assert_eq!(msg(b"a\xffb\0"), "f: not a UTF-8 text file (byte 0xFF at byte offset 1)");
        assert_eq!(msg(b"ab\xe2\x82"), "f: not a UTF-8 text file (byte 0xE2 at byte offset 2)");
    }

    #[test]
    fn line_and_column() {
        let t = "a = 1\nbb = 2\n";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 6), (2, 1));
        assert_eq!(line_col(t, 11), (2, 6));
    }
}
