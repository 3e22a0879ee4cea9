//! The facade's error type.

use std::fmt;
use std::path::Path;

/// What kind of thing went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A file could not be read.
    Io,
    /// A file is not valid TOML, or does not match the scenario format (an
    /// unknown key, a value of the wrong type, an unknown policy name).
    Parse,
    /// A value is out of range or inconsistent with another.
    Invalid,
}

/// An error with its context: the file (or origin) and, where known, the
/// line, column and field.
///
/// Opaque by design: match on [`kind`](Error::kind); print it with
/// `Display`, which gives one message naming the file and the field.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    origin: String,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, origin: impl Into<String>, message: impl Into<String>) -> Self {
        Error { kind, origin: origin.into(), message: message.into(), source: None }
    }

    /// The error with `source` as its cause (`source()`), e.g. a trace
    /// reader's error.
    pub(crate) fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// A bad command-line value (origin `command line`).
    pub fn usage(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Invalid, "command line", message)
    }

    pub(crate) fn io(path: &Path, e: std::io::Error) -> Self {
        Error::new(ErrorKind::Io, path.display().to_string(), format!("cannot read file: {e}"))
    }

    pub(crate) fn invalid(origin: &str, field: &str, message: impl fmt::Display) -> Self {
        Error::new(ErrorKind::Invalid, origin, format!("`{field}`: {message}"))
    }

    /// The kind of error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The file or origin the error is about.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The message without the origin.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.origin, self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as _)
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
    toml_error(origin, text, &e.path().to_string(), e.inner())
}

/// One line for a TOML error in `text`: `line L, column C: `path`: what
/// (in `the line`)`; `path` may be empty.
pub(crate) fn toml_error(origin: &str, text: &str, path: &str, inner: &toml::de::Error) -> Error {
    let mut msg = String::new();
    if let Some(span) = inner.span() {
        let (l, c) = line_col(text, span.start);
        msg.push_str(&format!("line {l}, column {c}: "));
    }
    if !path.is_empty() && path != "." {
        msg.push_str(&format!("`{path}`: "));
    }
    // Some TOML messages span lines ("invalid table header\nduplicate key
    // …"): keep the error on one line.
    let lines: Vec<&str> = inner.message().lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    msg.push_str(&lines.join(": "));
    if let Some(span) = inner.span() {
        let (l, _) = line_col(text, span.start);
        if let Some(src) = text.lines().nth(l - 1) {
            let src = src.trim();
            if !src.is_empty() {
                msg.push_str(&format!(" (in `{src}`)"));
            }
        }
    }
    Error::new(ErrorKind::Parse, origin, msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column() {
        let t = "a = 1\nbb = 2\n";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 6), (2, 1));
        assert_eq!(line_col(t, 11), (2, 6));
    }
}
