//! Overrides of a scenario's fields from the command line:
//! `--set cluster.instances=8 --set eviction.memory=gdsf`.
//!
//! The paths are a sweep's dotted paths ([`crate::sweep::set_path`]:
//! `cluster.instances`, `workload.arrival.rate_per_s`, `faults.0.at_s`), and
//! a value is read as a TOML value (`8`, `0.5`, `true`, `"x"`,
//! `{ dist = "lognormal", median = 30.0, sigma = 1.0 }`, `[1, 2]`); a bare
//! word that is not TOML (`gdsf`, `ml.r5.xlarge`) is a string. Overrides
//! are applied to the scenario's TOML table before it is read
//! ([`Scenario::from_file_with_overrides`](crate::Scenario::from_file_with_overrides)),
//! so every check of the scenario applies to the result, and an error a
//! `--set` causes says so.

use crate::error::Error;
use std::fmt;

/// One `--set PATH=VALUE`.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    /// The dotted field path (`cluster.instances`).
    pub path: String,
    /// The value.
    pub value: toml::Value,
    /// The argument as given (`cluster.instances=8`), for error messages.
    pub arg: String,
}

impl Override {
    /// Parses `PATH=VALUE`. The error (a usage error) names the argument.
    pub fn parse(arg: &str) -> Result<Override, Error> {
        let bad = |msg: String| Error::usage(format!("--set `{arg}`: {msg}"));
        let Some((path, raw)) = arg.split_once('=') else {
            return Err(bad("expected PATH=VALUE, like `cluster.instances=8`".into()));
        };
        let (path, raw) = (path.trim(), raw.trim());
        if path.is_empty() {
            return Err(bad("no field path before `=` (like `cluster.instances=8`)".into()));
        }
        if path.split('.').any(|p| p.trim().is_empty() || p.trim() != p) {
            return Err(bad(format!("`{path}` is not a dotted field path (like `cluster.instances`)")));
        }
        if raw.is_empty() {
            return Err(bad("no value after `=` (an empty string is `\"\"`)".into()));
        }
        let value = parse_value(raw).map_err(bad)?;
        Ok(Override { path: path.to_string(), value, arg: arg.to_string() })
    }

    /// Sets the field in `table`; the error (a usage error) names the
    /// argument.
    pub fn apply(&self, table: &mut toml::Table) -> Result<(), Error> {
        crate::sweep::set_path(table, &self.path, self.value.clone())
            .map_err(|m| Error::usage(format!("--set `{}`: {m}", self.arg)))
    }

    /// Whether an error about `field` (a dotted path, `[i]` or `.i` for
    /// list items) is about this override: the same field, one inside its
    /// value, or one on its way.
    pub(crate) fn concerns(&self, field: &str) -> bool {
        let field = field.replace('[', ".").replace(']', "");
        let (a, b) = (self.path.as_str(), field.as_str());
        a == b
            || b.strip_prefix(a).is_some_and(|r| r.starts_with('.'))
            || a.strip_prefix(b).is_some_and(|r| r.starts_with('.'))
    }
}

/// `path=value`, the value as inline TOML (what `--set` would take back).
impl fmt::Display for Override {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.path, crate::sweep::inline_toml(&self.value))
    }
}

/// The overrides as `--set a=1 --set b="x"`, for a report's reader.
pub fn describe(overrides: &[Override]) -> String {
    overrides.iter().map(|o| format!("--set {o}")).collect::<Vec<_>>().join(" ")
}

/// A value as TOML; a bare word that is not TOML is a string. Text that
/// opens a string, table or array and is not valid TOML is an error.
fn parse_value(raw: &str) -> Result<toml::Value, String> {
    match toml::from_str::<toml::Table>(&format!("v = {raw}")) {
        // One key only: `8\nother = 1` must not sneak a second key in.
        Ok(mut t) if t.len() == 1 => t.remove("v").ok_or_else(|| "not a value".to_string()),
        Ok(_) => Err("not one TOML value".into()),
        Err(_) if raw.starts_with(['{', '[', '"', '\'']) => {
            let e = toml::from_str::<toml::Table>(&format!("v = {raw}")).err();
            let msg = e.map(|e| e.message().lines().next().unwrap_or("").trim().to_string()).unwrap_or_default();
            Err(format!("not a TOML value: {msg}"))
        }
        Err(_) if raw.contains(['\n', '\r']) => Err("a bare word cannot span lines".into()),
        Err(_) => Ok(toml::Value::String(raw.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(arg: &str) -> toml::Value {
        Override::parse(arg).unwrap().value
    }

    #[test]
    fn values_are_toml_and_bare_words_strings() {
        assert_eq!(v("cluster.instances=8"), toml::Value::Integer(8));
        assert_eq!(v("a=0.5"), toml::Value::Float(0.5));
        assert_eq!(v("a=true"), toml::Value::Boolean(true));
        assert_eq!(v("a=\"x y\""), toml::Value::String("x y".into()));
        assert_eq!(v("eviction.memory=gdsf"), toml::Value::String("gdsf".into()));
        assert_eq!(v("cluster.instance_type=ml.r5.xlarge"), toml::Value::String("ml.r5.xlarge".into()));
        assert_eq!(v("a = 8 "), toml::Value::Integer(8));
        let t = v("models.service_ms={ dist = \"lognormal\", median = 30.0, sigma = 1.0 }");
        assert_eq!(t.get("median"), Some(&toml::Value::Float(30.0)));
        assert_eq!(v("a=[1, 2]"), toml::Value::Array(vec![toml::Value::Integer(1), toml::Value::Integer(2)]));
        // A value with `=` in it: only the first `=` splits.
        assert_eq!(v("name=a=b"), toml::Value::String("a=b".into()));
    }

    #[test]
    fn display_is_inline_toml() {
        let o = Override::parse("eviction.memory={policy=\"lruk\",k=3}").unwrap();
        assert_eq!(o.to_string(), "eviction.memory={ policy = \"lruk\", k = 3 }");
        assert_eq!(Override::parse("eviction.memory=gdsf").unwrap().to_string(), "eviction.memory=\"gdsf\"");
    }

    #[test]
    fn bad_arguments_name_the_argument() {
        for (arg, needle) in [
            ("cluster.instances", "expected PATH=VALUE"),
            ("=8", "no field path"),
            ("a..b=1", "not a dotted field path"),
            ("a=", "no value"),
            ("a={ dist = ", "not a TOML value"),
            ("a=8\nb = 1", "not one TOML value"),
        ] {
            let e = Override::parse(arg).unwrap_err();
            let s = e.to_string();
            // Control characters in a message are escaped (a newline as `\n`).
            let shown = arg.replace('\n', "\\n");
            assert!(s.starts_with(&format!("command line: --set `{shown}`: ")), "{s}");
            assert!(s.contains(needle), "{arg}: {s}");
        }
    }

    #[test]
    fn concerns_the_field_inside_and_on_the_way() {
        let o = Override::parse("eviction.memory=gdsf").unwrap();
        assert!(o.concerns("eviction.memory"));
        assert!(o.concerns("eviction.memory.k"));
        assert!(o.concerns("eviction"));
        assert!(!o.concerns("eviction.disk"));
        assert!(!o.concerns("eviction.memoryx"));
        let f = Override::parse("faults.0.at_s=5").unwrap();
        assert!(f.concerns("faults[0].at_s"));
        assert!(!f.concerns("faults[1].at_s"));
    }
}
