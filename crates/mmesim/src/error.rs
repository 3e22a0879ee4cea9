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
    pub(crate) fn with_kind(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into(), source: None }
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
    let lines: Vec<&str> = inner.message().lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    msg.push_str(&lines.join(": "));
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
    fn line_and_column() {
        let t = "a = 1\nbb = 2\n";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 6), (2, 1));
        assert_eq!(line_col(t, 11), (2, 6));
    }
}
