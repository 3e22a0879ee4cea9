//! The error types of the core and of the policy crates.
//!
//! Both are opaque structs with a `#[non_exhaustive]` kind enum whose
//! variants carry the data a program may want (the field at fault), a
//! `Display` message meant for people, and the cause, where there is one,
//! through [`std::error::Error::source`].
//!
//! * [`ConfigError`]: a parameter of a policy, a distribution or an
//!   instance type is out of range (what the `validate` methods return).
//! * [`CoreError`]: a simulation cannot be built from its configuration.

use std::error::Error as StdError;
use std::fmt;

/// What is wrong with a configuration value.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigErrorKind {
    /// A parameter is out of range or inconsistent with another one.
    Invalid {
        /// The key at fault, as written in a scenario (`small_ratio`,
        /// `steps[1].change`).
        field: String,
    },
    /// A combination the simulator does not support, not tied to one key.
    Unsupported,
}

/// A bad value in a policy's, a distribution's or an instance type's
/// parameters: what their `validate` methods return.
///
/// Opaque: inspect it through [`kind`](ConfigError::kind) (the field) and
/// print it with `Display` (one sentence naming the field, e.g.
/// ``"`k` must be between 1 and 64, got 0"``).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    kind: ConfigErrorKind,
    message: String,
}

impl ConfigError {
    /// An out-of-range `field`; `message` is the whole sentence and names
    /// the field (``"`k` must be at least 1"``).
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError { kind: ConfigErrorKind::Invalid { field: field.into() }, message: message.into() }
    }

    /// A combination that is not supported, not tied to one key.
    pub fn unsupported(message: impl Into<String>) -> Self {
        ConfigError { kind: ConfigErrorKind::Unsupported, message: message.into() }
    }

    /// What is wrong, with its data.
    pub fn kind(&self) -> &ConfigErrorKind {
        &self.kind
    }

    /// The key at fault, if the error is about one.
    pub fn field(&self) -> Option<&str> {
        match &self.kind {
            ConfigErrorKind::Invalid { field } => Some(field),
            ConfigErrorKind::Unsupported => None,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for ConfigError {}

/// What went wrong building a simulation.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CoreErrorKind {
    /// The configuration is inconsistent or out of range.
    Config {
        /// The part of the configuration at fault, where known (e.g.
        /// `instance type \`ml.m5.xlarge\``).
        field: Option<String>,
    },
}

/// An error from building a simulation.
///
/// Opaque: inspect it through [`kind`](CoreError::kind) and its `Display`
/// message (the whole story on one line); the [`ConfigError`] behind it,
/// if any, is its [`source`](std::error::Error::source).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoreError {
    kind: CoreErrorKind,
    message: String,
    source: Option<ConfigError>,
}

impl CoreError {
    /// An inconsistent configuration, said in `message`.
    pub(crate) fn config(message: impl Into<String>) -> Self {
        CoreError { kind: CoreErrorKind::Config { field: None }, message: message.into(), source: None }
    }

    /// A bad value in `what` (e.g. ``instance type `x` ``), caused by
    /// `source`: the message is `what: source`.
    pub(crate) fn invalid(what: impl Into<String>, source: ConfigError) -> Self {
        let what = what.into();
        CoreError {
            message: format!("{what}: {source}"),
            kind: CoreErrorKind::Config { field: Some(what) },
            source: Some(source),
        }
    }

    /// What went wrong, with its data.
    pub fn kind(&self) -> &CoreErrorKind {
        &self.kind
    }
}

impl fmt::Display for CoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for CoreError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_ref().map(|e| e as &(dyn StdError + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_error_names_its_field() {
        let e = ConfigError::invalid("k", "`k` must be between 1 and 64, got 0");
        assert_eq!(e.kind(), &ConfigErrorKind::Invalid { field: "k".into() });
        assert_eq!(e.field(), Some("k"));
        assert_eq!(e.to_string(), "`k` must be between 1 and 64, got 0");
        assert!(e.source().is_none());
        assert_eq!(ConfigError::unsupported("no").field(), None);
    }

    #[test]
    fn core_error_chains_its_cause() {
        let cause = ConfigError::invalid("vcpus", "`vcpus` must be at least 1");
        let e = CoreError::invalid("instance type `x`", cause.clone());
        assert_eq!(e.to_string(), "instance type `x`: `vcpus` must be at least 1");
        assert_eq!(e.kind(), &CoreErrorKind::Config { field: Some("instance type `x`".into()) });
        let src = e.source().expect("a source").downcast_ref::<ConfigError>().expect("a ConfigError");
        assert_eq!(src, &cause);
        let plain = CoreError::config("no instance");
        assert_eq!(plain.kind(), &CoreErrorKind::Config { field: None });
        assert!(plain.source().is_none());
    }
}
