//! # mmesim-py: mmesim from Python
//!
//! The native half of the Python package `mmesim` (built with maturin from
//! `crates/py`: `pip install ./crates/py`). It exposes the Rust facade's
//! scenarios and runs as the extension module `mmesim._native`; the Python
//! half (`python/mmesim/__init__.py`) wraps them in the package's public
//! API (`Scenario`, `Report`, pandas DataFrames when pandas is there).
//!
//! Main types: [`Scenario`] (a validated scenario: `from_toml`,
//! `from_dict`, `set`, `run`), [`sweep()`] (a grid of its variants, run
//! in parallel), [`cache_replay()`] (a cache trace through eviction
//! policies), [`recommend()`] (the cheapest configuration meeting
//! targets) and [`calibrate()`] (a twin fitted to CloudWatch metrics), and
//! the policies written in Python (`policy.rs`: eviction policies and
//! routers as the core's `Evictor` and `Router`, in cluster runs and cache
//! replays). What they return goes through the CLI's serialisations: a run
//! hands back the report as the JSON the CLI prints (`mmesim run --json`,
//! byte for byte) and the per-minute rows as the CSV of `--metrics`, a
//! sweep its rows as the CSV of `mmesim sweep --csv`, a replay and a
//! recommendation as the JSON of `mmesim cache --json` and
//! `mmesim recommend --json`, which the Python side parses. Going through the CLI's own serialisations is the
//! key design choice: a report seen from Python has exactly the CLI's
//! fields and values, by construction.
//!
//! Errors are the CLI's messages: a file that cannot be read is a
//! `FileNotFoundError` (or `OSError`), anything else the user gave (a field
//! out of range, an unknown key, a bad override) a `ValueError`. Runs
//! release the GIL, so Python threads run scenarios in parallel.
//!
//! ```text
//! import mmesim
//! s = mmesim.Scenario.from_toml("examples/scenarios/quickstart.toml")
//! s.set("cluster.instances", 8)
//! r = s.run()
//! print(r.latency_ms.p99, r.model_cache_hit)
//! ```
#![warn(missing_docs)]

use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use std::collections::BTreeMap;

mod policy;
use policy::{PyEvictor, PyRouter};

/// The Python exception for an error of the facade: the CLI's message,
/// as a `FileNotFoundError` for a missing file, an `OSError` for another
/// I/O failure, a `ValueError` for everything else.
fn py_err(e: mmesim::Error) -> PyErr {
    let msg = e.to_string();
    match e.kind() {
        mmesim::ErrorKind::Io { .. } => {
            // The I/O error may be a few causes down (a trace reader's).
            let mut cause = std::error::Error::source(&e);
            let mut missing = false;
            while let Some(c) = cause {
                if let Some(io) = c.downcast_ref::<std::io::Error>() {
                    missing = io.kind() == std::io::ErrorKind::NotFound;
                    break;
                }
                cause = c.source();
            }
            if missing {
                PyFileNotFoundError::new_err(msg)
            } else {
                PyOSError::new_err(msg)
            }
        }
        _ => PyValueError::new_err(msg),
    }
}

/// A Python value as a TOML value (`where_` names it in errors).
fn to_toml(v: &Bound<'_, PyAny>, where_: &str) -> PyResult<toml::Value> {
    // bool before int: a Python bool is an int.
    if let Ok(b) = v.downcast::<PyBool>() {
        return Ok(toml::Value::Boolean(b.is_true()));
    }
    if v.is_instance_of::<PyInt>() {
        let i: i64 = v.extract().map_err(|_| PyValueError::new_err(format!("{where_}: integer out of range")))?;
        return Ok(toml::Value::Integer(i));
    }
    if let Ok(f) = v.downcast::<PyFloat>() {
        return Ok(toml::Value::Float(f.value()));
    }
    if let Ok(s) = v.downcast::<PyString>() {
        return Ok(toml::Value::String(s.to_cow()?.into_owned()));
    }
    if let Ok(d) = v.downcast::<PyDict>() {
        return Ok(toml::Value::Table(to_table(d, where_)?));
    }
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        let mut out = Vec::new();
        for (i, x) in v.try_iter()?.enumerate() {
            out.push(to_toml(&x?, &format!("{where_}[{i}]"))?);
        }
        return Ok(toml::Value::Array(out));
    }
    let ty = v.get_type().name()?.to_string();
    Err(PyValueError::new_err(format!(
        "{where_}: a {ty} has no scenario form (use a bool, int, float, str, list or dict)"
    )))
}

fn to_table(d: &Bound<'_, PyDict>, where_: &str) -> PyResult<toml::Table> {
    let mut t = toml::Table::new();
    for (k, v) in d.iter() {
        // None: the key is left out (a field at its default), as in the
        // dict `Scenario.to_dict` gives.
        if v.is_none() {
            continue;
        }
        let Ok(key) = k.downcast::<PyString>() else {
            return Err(PyValueError::new_err(format!("{where_}: keys must be strings, got {}", k.repr()?)));
        };
        let key = key.to_cow()?.into_owned();
        let path = if where_.is_empty() { key.clone() } else { format!("{where_}.{key}") };
        t.insert(key, to_toml(&v, &path)?);
    }
    Ok(t)
}

/// A validated scenario (see the module notes).
#[pyclass(module = "mmesim._native", frozen)]
struct Scenario {
    inner: mmesim::Scenario,
}

#[pymethods]
impl Scenario {
    /// Reads, parses and validates a scenario file.
    #[staticmethod]
    fn from_toml(path: std::path::PathBuf) -> PyResult<Self> {
        Ok(Scenario { inner: mmesim::Scenario::from_file(&path).map_err(py_err)? })
    }

    /// Parses and validates a scenario given as a dict of the file's
    /// tables (`{"cluster": {"instances": 4}, …}`); `origin` names it in
    /// errors.
    #[staticmethod]
    #[pyo3(signature = (d, origin = "<dict>"))]
    fn from_dict(d: &Bound<'_, PyDict>, origin: &str) -> PyResult<Self> {
        let table = to_table(d, "")?;
        Ok(Scenario { inner: mmesim::Scenario::from_table(table, origin).map_err(py_err)? })
    }

    /// This scenario with fields set by dotted path
    /// (`{"cluster.instances": 8}`), validated again: a new scenario.
    fn with_overrides(&self, set: &Bound<'_, PyDict>) -> PyResult<Self> {
        let mut map = BTreeMap::new();
        for (k, v) in set.iter() {
            let path: String = k.extract().map_err(|_| PyValueError::new_err("override paths must be strings"))?;
            let value = to_toml(&v, &path)?;
            map.insert(path, value);
        }
        let origin = self.inner.origin().to_string();
        Ok(Scenario { inner: self.inner.with_overrides(&map, &origin).map_err(py_err)? })
    }

    /// What rebuilds this scenario in another process (pickling):
    /// `(toml, origin, base_dir)`.
    fn state(&self) -> PyResult<(String, String, std::path::PathBuf)> {
        let Some(text) = self.inner.source_toml() else {
            return Err(PyValueError::new_err(format!("{}: a scenario not read from TOML", self.inner.origin())));
        };
        Ok((text, self.inner.origin().to_string(), self.inner.base_dir().to_path_buf()))
    }

    /// The scenario [`state`](Scenario::state) describes.
    #[staticmethod]
    fn from_state(text: &str, origin: &str, base_dir: std::path::PathBuf) -> PyResult<Self> {
        let table: toml::Table = toml::from_str(text).map_err(|e| PyValueError::new_err(format!("{origin}: {e}")))?;
        let mut inner = mmesim::Scenario::from_table(table, origin).map_err(py_err)?;
        inner.set_base_dir(base_dir);
        Ok(Scenario { inner })
    }

    /// Every field of the scenario, defaults filled in, as JSON (the
    /// Python side's `to_dict` and attribute reads).
    fn to_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.inner).map_err(|e| PyValueError::new_err(format!("BUG: {e}")))
    }

    /// The scenario's `name`.
    #[getter]
    fn name(&self) -> String {
        self.inner.name.clone()
    }

    /// The scenario's `seed`.
    #[getter]
    fn seed(&self) -> u64 {
        self.inner.seed
    }

    /// Where the scenario came from (its file, or the origin given).
    #[getter]
    fn origin(&self) -> String {
        self.inner.origin().to_string()
    }

    /// The warnings the CLI prints for this scenario (legal settings that
    /// are surely mistakes).
    fn warnings(&self) -> Vec<String> {
        self.inner.warnings().iter().map(|w| w.to_string()).collect()
    }

    /// Runs the scenario and returns `(report_json, metrics_csv)`: the
    /// report exactly as `mmesim run --json` prints it, and, when
    /// `metrics` is true, the per-minute rows as `mmesim run --metrics`
    /// writes them (else "").
    ///
    /// Policies written in Python replace the scenario's: `memory` and
    /// `disk` are `(make, name, unpin)` (a callable making a fresh
    /// `EvictionPolicy` per instance, its name, whether it has its own
    /// `on_unpin`), `router` is `(router, name, reads_lru_age)`. Without
    /// them the GIL is released during the run; with them it is held, and
    /// the first error a policy raised is raised when the run ends.
    #[pyo3(signature = (metrics = false, memory = None, disk = None, router = None))]
    fn run(
        &self,
        py: Python<'_>,
        metrics: bool,
        memory: Option<(Py<PyAny>, String, bool)>,
        disk: Option<(Py<PyAny>, String, bool)>,
        router: Option<(Py<PyAny>, String, bool)>,
    ) -> PyResult<(String, String)> {
        let opts = mmesim::RunOptions { record_metrics: metrics, ..Default::default() };
        let inner = &self.inner;
        let finish = |out: mmesim::RunResult| {
            let csv = if metrics { mmesim::metrics_csv(&out) } else { String::new() };
            (mmesim::to_json(&out.report), csv)
        };
        if memory.is_none() && disk.is_none() && router.is_none() {
            return py.allow_threads(|| inner.run_with(opts).map(finish)).map_err(py_err);
        }
        let error = policy::ErrorSlot::default();
        let tier = |spec: Option<(Py<PyAny>, String, bool)>| -> Option<mmesim::MakeEvictor> {
            let (make, name, unpin) = spec?;
            let error = error.clone();
            Some(Box::new(move |_, _| -> Box<dyn mmesim::core::Evictor> {
                let obj = Python::with_gil(|py| make.bind(py).call0().map(Bound::unbind));
                match obj {
                    Ok(obj) => Box::new(PyEvictor::new(obj, &name, unpin, true, error.clone())),
                    Err(e) => {
                        // An evictor that faulted already (it calls
                        // nothing), so that the run ends and raises `e`.
                        policy::fail(&error, e);
                        Box::new(PyEvictor::new(Python::with_gil(|py| py.None()), &name, false, true, error.clone()))
                    }
                }
            }))
        };
        let custom = mmesim::CustomPolicies {
            router: router.map(|(obj, name, lru_age)| {
                Box::new(PyRouter::new(obj, &name, lru_age, error.clone())) as Box<dyn mmesim::core::Router>
            }),
            memory: tier(memory),
            disk: tier(disk),
        };
        let mut all = mmesim::core::CollectMinutes::default();
        let out = inner.run_custom_into(opts, custom, &mut all);
        if let Some(e) = policy::take_error(&error) {
            return Err(e);
        }
        let mut out = out.map_err(py_err)?;
        out.minutes = all.minutes;
        out.metrics = all.rows;
        Ok(finish(out))
    }
}

/// The sweep of `base` over `axes` (dotted paths → lists of values, a
/// sweep file's `[axes]`), every value and point checked.
fn sweep_of(base: &Scenario, axes: &Bound<'_, PyDict>, origin: &str) -> PyResult<mmesim::Sweep> {
    let mut table = toml::Table::new();
    for (k, v) in axes.iter() {
        let path: String =
            k.extract().map_err(|_| PyValueError::new_err(format!("{origin}: axis paths must be strings")))?;
        let value = to_toml(&v, &format!("axes.\"{path}\""))?;
        table.insert(path, value);
    }
    mmesim::Sweep::from_scenario(&base.inner, &table, origin).map_err(py_err)
}

/// The number of points of the sweep of `base` over `axes` (checked).
#[pyfunction]
#[pyo3(signature = (base, axes, origin = "<sweep>"))]
fn sweep_len(base: &Scenario, axes: &Bound<'_, PyDict>, origin: &str) -> PyResult<u64> {
    Ok(sweep_of(base, axes, origin)?.len())
}

/// Runs the sweep of `base` over `axes` on `threads` threads (default:
/// every core), the GIL released, and returns its rows as
/// `mmesim sweep --csv` writes them, or with `shard = (k, n)` the rows of
/// shard `k` of `n` as `mmesim sweep --shard k/n --jsonl` writes them.
#[pyfunction]
#[pyo3(signature = (base, axes, threads = None, origin = "<sweep>", shard = None))]
fn sweep(
    py: Python<'_>,
    base: &Scenario,
    axes: &Bound<'_, PyDict>,
    threads: Option<usize>,
    origin: &str,
    shard: Option<(u32, u32)>,
) -> PyResult<String> {
    mmesim::sweep::check_threads(threads).map_err(py_err)?;
    let s = sweep_of(base, axes, origin)?;
    let part = match shard {
        None => mmesim::Shard::ALL,
        Some((k, n)) => mmesim::Shard::parse(&format!("{k}/{n}")).map_err(py_err)?,
    };
    py.allow_threads(|| {
        s.run(part, threads, &|| {}).map(|rows| match shard {
            None => mmesim::sweep::to_csv(&rows),
            Some(_) => mmesim::sweep::to_jsonl(&rows),
        })
    })
    .map_err(py_err)
}

/// Merges the JSON Lines of a sweep's shards (`(origin, text)` each) into
/// the whole sweep's rows, as `mmesim merge --csv` writes them.
#[pyfunction]
fn sweep_merge(parts: Vec<(String, String)>) -> PyResult<String> {
    let mut shards = Vec::new();
    for (origin, text) in parts {
        shards.push((origin.clone(), mmesim::sweep::parse_jsonl(&text, &origin).map_err(py_err)?));
    }
    Ok(mmesim::sweep::to_csv(&mmesim::sweep::merge(shards).map_err(py_err)?))
}

/// A list of names or sizes (a string of comma-separated ones, or a list
/// of strings and numbers) as the CLI's comma-separated argument.
fn comma_list(v: &Bound<'_, PyAny>, what: &str) -> PyResult<String> {
    if let Ok(s) = v.downcast::<PyString>() {
        return Ok(s.to_cow()?.into_owned());
    }
    let mut parts = Vec::new();
    for x in v.try_iter().map_err(|_| PyValueError::new_err(format!("{what}: expected a list or a string")))? {
        parts.push(x?.str()?.to_cow()?.into_owned());
    }
    Ok(parts.join(","))
}

/// Replays the cache trace at `trace` (`format`: `oracle-general` or
/// `csv`) through every (policy, size) pair, on `threads` threads, the GIL
/// released; returns the results as `mmesim cache --json` prints them.
#[pyfunction]
#[pyo3(signature = (trace, policies, sizes, format = "oracle-general", threads = None))]
fn cache_replay(
    py: Python<'_>,
    trace: std::path::PathBuf,
    policies: &Bound<'_, PyAny>,
    sizes: &Bound<'_, PyAny>,
    format: &str,
    threads: Option<usize>,
) -> PyResult<String> {
    use mmesim::replay::{parse_policies, parse_sizes, replay_grid};
    let bad = |what: &str, msg: String| PyValueError::new_err(format!("{what}: {msg}"));
    let format: mmesim::workload::cachetrace::CacheTraceFormat =
        format.parse().map_err(|e: mmesim::workload::cachetrace::TraceError| bad("format", e.to_string()))?;
    let policies = parse_policies(&comma_list(policies, "policies")?).map_err(|e| bad("policies", e))?;
    let sizes = parse_sizes(&comma_list(sizes, "sizes")?).map_err(|e| bad("sizes", e))?;
    mmesim::sweep::check_threads(threads).map_err(py_err)?;
    let results = py.allow_threads(|| replay_grid(&trace, format, &policies, &sizes, threads)).map_err(py_err)?;
    serde_json::to_string(&results).map_err(|e| PyValueError::new_err(format!("BUG: {e}")))
}

/// Finds the cheapest instance type and count of `base` that meet the
/// targets, as `mmesim recommend` does (same defaults), the GIL released;
/// returns the recommendation as `mmesim recommend --json` prints it.
#[pyfunction]
#[pyo3(signature = (
    base, p99_ms, min_hit = None, max_errors = mmesim::Targets::DEFAULT_MAX_ERROR_RATE, types = None,
    max_instances = 32, seeds = 3, survive_zone_loss = false, exhaustive = false, threads = None
))]
#[allow(clippy::too_many_arguments)]
fn recommend(
    py: Python<'_>,
    base: &Scenario,
    p99_ms: f64,
    min_hit: Option<f64>,
    max_errors: f64,
    types: Option<Vec<String>>,
    max_instances: u32,
    seeds: u32,
    survive_zone_loss: bool,
    exhaustive: bool,
    threads: Option<usize>,
) -> PyResult<String> {
    mmesim::sweep::check_threads(threads).map_err(py_err)?;
    let targets = mmesim::Targets { p99_ms, min_hit, max_error_rate: max_errors };
    let opts =
        mmesim::SearchOptions { types: types.unwrap_or_default(), max_instances, seeds, survive_zone_loss, exhaustive };
    let s = &base.inner;
    let rec = py
        .allow_threads(|| mmesim::sweep::with_threads(threads, || mmesim::recommend(s, &targets, &opts, &|| {})))
        .map_err(py_err)?
        .map_err(py_err)?;
    serde_json::to_string(&rec).map_err(|e| PyValueError::new_err(format!("BUG: {e}")))
}

/// Writes a synthetic Zipf cache trace in oracle-general form to `path`,
/// as `mmesim synth-trace` does (same defaults, same bytes), the GIL
/// released.
#[pyfunction]
#[pyo3(signature = (path, objects = 1_000_000, requests = 10_000_000, alpha = 1.0, object_bytes = 1, seed = 42, sparse_ids = false))]
#[allow(clippy::too_many_arguments)]
fn synth_trace(
    py: Python<'_>,
    path: std::path::PathBuf,
    objects: u32,
    requests: u64,
    alpha: f64,
    object_bytes: u64,
    seed: u64,
    sparse_ids: bool,
) -> PyResult<()> {
    py.allow_threads(|| {
        mmesim::replay::write_synthetic_trace(&path, objects, requests, alpha, object_bytes, seed, sparse_ids)
    })
    .map_err(py_err)
}

/// Calibrates `base` to the CloudWatch export at `metrics` (the JSON of
/// `aws cloudwatch get-metric-data`, or its CSV) as `mmesim calibrate`
/// does, the GIL released; returns `(calibration_json, calibrated_toml,
/// twin)`: what `--json` prints, what `--out` writes, and the calibrated
/// scenario.
#[pyfunction]
#[pyo3(signature = (base, metrics, window = None, fix = None, tolerance = 0.01))]
fn calibrate(
    py: Python<'_>,
    base: &Scenario,
    metrics: std::path::PathBuf,
    window: Option<(f64, f64)>,
    fix: Option<Vec<String>>,
    tolerance: f64,
) -> PyResult<(String, String, Scenario)> {
    use mmesim::calibrate::{calibrate, CalibrateOptions};
    let opts = CalibrateOptions {
        window_s: window.map(|(a, b)| [a, b]),
        tolerance,
        fixed: fix.unwrap_or_default(),
        ..Default::default()
    };
    let s = &base.inner;
    let cal = py
        .allow_threads(|| {
            let export = mmesim::cloudwatch::read_export(&metrics)?;
            calibrate(s, &export, &opts, &|_| {})
        })
        .map_err(py_err)?;
    let json = serde_json::to_string_pretty(&cal).map_err(|e| PyValueError::new_err(format!("BUG: {e}")))?;
    Ok((json, cal.scenario_toml, Scenario { inner: cal.twin }))
}

/// Replays the cache trace at `trace` through `policy` (an object with the
/// methods of `mmesim.EvictionPolicy`, made afresh per size by `make`) at
/// each of `sizes`, holding the GIL; returns the results as
/// `mmesim cache --json` prints them, named `name`.
#[pyfunction]
#[pyo3(signature = (trace, make, name, sizes, format = "oracle-general"))]
fn cache_replay_python(
    trace: std::path::PathBuf,
    make: &Bound<'_, PyAny>,
    name: &str,
    sizes: &Bound<'_, PyAny>,
    format: &str,
) -> PyResult<String> {
    use mmesim::replay::{capacities, parse_sizes, replay_evictor, ReplayResult};
    let bad = |what: &str, msg: String| PyValueError::new_err(format!("{what}: {msg}"));
    let format: mmesim::workload::cachetrace::CacheTraceFormat =
        format.parse().map_err(|e: mmesim::workload::cachetrace::TraceError| bad("format", e.to_string()))?;
    let sizes = parse_sizes(&comma_list(sizes, "sizes")?).map_err(|e| bad("sizes", e))?;
    let mut out = Vec::new();
    for (bytes, label) in capacities(&trace, format, &sizes).map_err(py_err)? {
        let error = policy::ErrorSlot::default();
        let ev = PyEvictor::new(make.call0()?.unbind(), name, false, false, error.clone());
        let st = replay_evictor(&trace, format, false, Box::new(ev), mmesim::core::Bytes(bytes)).map_err(py_err)?;
        if let Some(e) = policy::take_error(&error) {
            return Err(e);
        }
        out.push(ReplayResult {
            policy: name.to_string(),
            cache_bytes: bytes,
            size: label,
            requests: st.requests,
            misses: st.misses,
            miss_ratio: st.miss_ratio(),
            byte_miss_ratio: st.byte_miss_ratio(),
        });
    }
    serde_json::to_string(&out).map_err(|e| PyValueError::new_err(format!("BUG: {e}")))
}

/// The extension module `mmesim._native`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Scenario>()?;
    m.add_class::<policy::View>()?;
    m.add_class::<policy::Instance>()?;
    m.add_class::<policy::ModelCopy>()?;
    m.add_function(wrap_pyfunction!(sweep, m)?)?;
    m.add_function(wrap_pyfunction!(sweep_len, m)?)?;
    m.add_function(wrap_pyfunction!(sweep_merge, m)?)?;
    m.add_function(wrap_pyfunction!(cache_replay, m)?)?;
    m.add_function(wrap_pyfunction!(recommend, m)?)?;
    m.add_function(wrap_pyfunction!(calibrate, m)?)?;
    m.add_function(wrap_pyfunction!(synth_trace, m)?)?;
    m.add_function(wrap_pyfunction!(cache_replay_python, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
