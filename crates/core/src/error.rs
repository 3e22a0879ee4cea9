//! The core's error type.

use std::fmt;

/// What went wrong, broadly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CoreErrorKind {
    /// The configuration is inconsistent or out of range.
    Config,
}

/// An error from building a simulation. Opaque: inspect it through
/// [`kind`](CoreError::kind) and its `Display` message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoreError {
    kind: CoreErrorKind,
    message: String,
}

impl CoreError {
    pub(crate) fn config(message: impl Into<String>) -> Self {
        CoreError { kind: CoreErrorKind::Config, message: message.into() }
    }
    /// The kind of error.
    pub fn kind(&self) -> CoreErrorKind {
        self.kind
    }
}

impl fmt::Display for CoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CoreError {}
