//! Real traffic in a scenario: `[workload] trace = { format = …, … }`.
//!
//! Three formats drive `mmesim run` (and sweeps and the recommender):
//!
//! * `csv` — `timestamp_s,model[,service_ms]`. The models are the trace's
//!   distinct ids in order of first appearance, sized from `[models]`'s
//!   distributions (seeded); with a `[[models.list]]`, the trace's ids must
//!   be its names. A `service_ms` value overrides the model's service-time
//!   distribution for that request.
//! * `azure-functions-2019` — the public Azure Functions trace
//!   ([`mmesim_workload::azure`]): each function a model, its memory the
//!   app's average allocated memory shared among the app's functions, its
//!   service times drawn from its duration percentiles, its per-minute
//!   invocation counts reproduced exactly.
//! * `oracle-general` — libCacheSim's binary trace: each object a model
//!   whose memory footprint is the object's size (its first request's),
//!   service times from `[models].service_ms`.
//!
//! Every file is read twice — once to learn the models (memory bounded by
//! their number), once streamed during the run — so a trace of any length
//! runs in constant memory. Relative paths are relative to the scenario
//! file. `time_scale` multiplies every arrival time (0.5 replays twice as
//! fast); arrivals after `duration_s` are not replayed.

use crate::error::Error;
use mmesim_core::{Arrival, Bytes, Dist, ModelId, ModelSpec, Models, RequestSource};
use mmesim_engine::{RngStreams, SimDuration, SimTime, Stream};
use mmesim_workload::azure::{AzureFiles, AzureOptions, AzureTrace, Spread};
use mmesim_workload::cachetrace::{CacheRequest, DenseIds, OracleGeneralReader};
use mmesim_workload::reqtrace::{scan_request_csv, CsvRequestSource, ModelIndex};
use mmesim_workload::{Error as TraceError, ErrorKind as TraceErrorKind, ModelsSpec};
use serde::{Deserialize, Serialize};
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

fn d_scale() -> f64 {
    1.0
}

/// `[workload] trace = { format = …, … }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "format",
    deny_unknown_fields,
    expecting = "a trace such as { format = \"csv\", path = \"requests.csv\" }"
)]
pub enum TraceSpec {
    /// `timestamp_s,model[,service_ms]`.
    #[serde(rename = "csv")]
    Csv {
        /// The file.
        path: PathBuf,
        /// Multiplies every arrival time. Default 1.
        #[serde(default = "d_scale")]
        time_scale: f64,
    },
    /// libCacheSim's oracle-general binary trace.
    #[serde(rename = "oracle-general")]
    OracleGeneral {
        /// The file.
        path: PathBuf,
        /// Multiplies every arrival time. Default 1.
        #[serde(default = "d_scale")]
        time_scale: f64,
    },
    /// The Azure Functions 2019 trace: `dir` with the published file names
    /// of `day`, or the three files named one by one.
    #[serde(rename = "azure-functions-2019")]
    AzureFunctions2019 {
        /// Directory holding the day's three files under their published
        /// names.
        #[serde(default)]
        dir: Option<PathBuf>,
        /// Day of the trace, 1–14 (the `dNN` of the file names). Default 1.
        #[serde(default)]
        day: Option<u32>,
        /// `invocations_per_function_md.anon.dNN.csv` (instead of `dir`).
        #[serde(default)]
        invocations: Option<PathBuf>,
        /// `function_durations_percentiles.anon.dNN.csv`.
        #[serde(default)]
        durations: Option<PathBuf>,
        /// `app_memory_percentiles.anon.dNN.csv`.
        #[serde(default)]
        memory: Option<PathBuf>,
        /// Keep this many functions, chosen at random (seeded). Default all.
        #[serde(default)]
        sample_functions: Option<u32>,
        /// Seed of that choice. Default: the scenario's `seed`; set it to
        /// keep the same functions while the seed varies (a sweep over
        /// seeds, the recommender's seeds).
        #[serde(default)]
        sample_seed: Option<u64>,
        /// Multiplies every arrival time. Default 1.
        #[serde(default = "d_scale")]
        time_scale: f64,
        /// `poisson` (default: random times within the minute) or
        /// `uniform` (evenly spaced).
        #[serde(default)]
        spread: Spread,
        /// First minute replayed, 0-based. Default 0.
        #[serde(default)]
        start_minute: u32,
        /// Minutes replayed. Default: to the end of the day.
        #[serde(default)]
        minutes: Option<u32>,
    },
}

impl TraceSpec {
    /// Checks the options (no file is opened); the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        let scale = match self {
            TraceSpec::Csv { time_scale, .. }
            | TraceSpec::OracleGeneral { time_scale, .. }
            | TraceSpec::AzureFunctions2019 { time_scale, .. } => *time_scale,
        };
        if !(scale.is_finite() && scale > 0.0 && scale <= 1e6) {
            return Err(format!("`time_scale` must be a positive number up to 1e6, got {scale}"));
        }
        if let TraceSpec::AzureFunctions2019 { dir, day, invocations, durations, memory, .. } = self {
            let files = [invocations, durations, memory].iter().filter(|f| f.is_some()).count();
            match (dir.is_some(), files) {
                (true, 0) | (false, 3) => {}
                (true, _) => return Err("give `dir` (and `day`) or the three files, not both".into()),
                (false, _) => {
                    return Err(
                        "give `dir` (with the published file names) or all of `invocations`, `durations` and `memory`"
                            .into(),
                    )
                }
            }
            if let Some(d) = day {
                if dir.is_none() {
                    return Err("`day` goes with `dir`".into());
                }
                if !(1..=14).contains(d) {
                    return Err(format!("`day` must be between 1 and 14, got {d}"));
                }
            }
            self.azure_options().validate().map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn azure_options(&self) -> AzureOptions {
        match self {
            TraceSpec::AzureFunctions2019 { sample_functions, time_scale, spread, start_minute, minutes, .. } => {
                AzureOptions {
                    sample_functions: *sample_functions,
                    time_scale: *time_scale,
                    spread: *spread,
                    start_minute: *start_minute,
                    minutes: *minutes,
                }
            }
            _ => AzureOptions::default(),
        }
    }
}

/// One line on what a scenario's trace holds, for the terminal: for the
/// Azure trace, the functions kept, dropped (no durations, no memory) and
/// sampled, and the invocations in the window. `None` for other sources
/// (reading a CSV or binary trace to describe it would cost a pass).
pub fn describe(s: &crate::Scenario) -> Result<Option<String>, Error> {
    let Some(spec @ TraceSpec::AzureFunctions2019 { dir, day, invocations, durations, memory, sample_seed, .. }) =
        &s.workload.trace
    else {
        return Ok(None);
    };
    let files = azure_files(s.base_dir(), dir, day, invocations, durations, memory);
    let t = AzureTrace::open(
        &files.invocations,
        &files.durations,
        &files.memory,
        &spec.azure_options(),
        sample_seed.unwrap_or(s.seed),
    )
    .map_err(trace_err)?;
    let m = t.summary();
    Ok(Some(format!(
        "azure-functions-2019: {} functions read, {} without durations and {} without memory dropped, \
         {} kept{}; {} invocations in the window",
        m.functions_read,
        m.dropped_no_duration,
        m.dropped_no_memory,
        m.sampled,
        if m.sampled < m.eligible { format!(" (a sample of {})", m.eligible) } else { String::new() },
        m.invocations
    )))
}

fn azure_files(
    base_dir: &Path,
    dir: &Option<PathBuf>,
    day: &Option<u32>,
    invocations: &Option<PathBuf>,
    durations: &Option<PathBuf>,
    memory: &Option<PathBuf>,
) -> AzureFiles {
    match dir {
        Some(d) => AzureFiles::day(&base_dir.join(d), day.unwrap_or(1)),
        None => {
            let f = |p: &Option<PathBuf>| base_dir.join(p.as_deref().unwrap_or(Path::new("")));
            AzureFiles { invocations: f(invocations), durations: f(durations), memory: f(memory) }
        }
    }
}

/// Shared slot for an error met while streaming (the source lives inside
/// the simulation; the facade looks here after the run, with
/// [`error_met`]).
pub(crate) type ErrorSlot = Arc<Mutex<Option<TraceError>>>;

/// The error a trace source met while streaming, if any, as the facade's
/// (origin `trace`, the trace's error as its `source()`).
pub(crate) fn error_met(slot: &ErrorSlot) -> Option<Error> {
    let e = slot.lock().ok()?.take()?;
    let message = e.to_string();
    Some(from_trace_error(e, "trace".to_string(), message))
}

/// The facade's error for trace error `e`, said as `message` about
/// `origin`, with `e` as its `source()`: reading failed (I/O stays I/O), a
/// record does not match the format (parse), or the trace or an option is
/// wrong (invalid). The one mapping for `mmesim run`'s traces and
/// `mmesim cache`'s.
pub(crate) fn from_trace_error(e: TraceError, origin: String, message: String) -> Error {
    let error = match e.kind() {
        TraceErrorKind::Open { .. } | TraceErrorKind::Io { .. } => Error::io_in(origin, message),
        TraceErrorKind::Record { .. } => Error::parse(origin, message),
        _ => Error::invalid_in(origin, message),
    };
    error.with_source(e)
}

/// A loaded trace: its models and a source of its requests.
pub(crate) struct Loaded {
    pub models: Models,
    pub source: Box<dyn RequestSource>,
    pub error: ErrorSlot,
}

/// The error as the facade's, its origin the trace file: the file is named
/// once, as the origin, and the message says what went wrong in it. The
/// trace's error is kept as the `source()`.
fn trace_err(e: TraceError) -> Error {
    let (origin, message) = match (e.kind(), e.path()) {
        (TraceErrorKind::Open { path }, _) => {
            let cause = std::error::Error::source(&e).map(ToString::to_string).unwrap_or_default();
            (path.display().to_string(), format!("cannot open trace: {cause}"))
        }
        (_, Some(path)) => (path.display().to_string(), e.without_path().to_string()),
        _ => ("trace".to_string(), e.to_string()),
    };
    from_trace_error(e, origin, message)
}

/// Reads the trace's models and opens its request stream.
pub(crate) fn load(spec: &TraceSpec, models: &ModelsSpec, base_dir: &Path, seed: u64) -> Result<Loaded, Error> {
    let streams = RngStreams::new(seed);
    let error: ErrorSlot = Arc::new(Mutex::new(None));
    match spec {
        TraceSpec::Csv { path, time_scale } => {
            let path = base_dir.join(path);
            let scan = scan_request_csv(&path).map_err(trace_err)?;
            if scan.requests == 0 {
                return Err(Error::invalid_in(path.display().to_string(), "the trace holds no request"));
            }
            let (specs, ids) = if models.list.is_empty() {
                let mut gen = models.clone();
                gen.count = scan.models.len().max(1) as u32;
                let mut specs = gen.build(&mut streams.stream(Stream::Models)).into_listed();
                specs.truncate(scan.models.len());
                for (m, name) in specs.iter_mut().zip(&scan.models) {
                    m.name = name.clone().into();
                }
                (specs, ModelIndex::from_scan(&scan))
            } else {
                let specs = models.build(&mut streams.stream(Stream::Models)).into_listed();
                let ids = ModelIndex::from_names(specs.iter().map(|m| m.name.to_string()))
                    .map_err(|e| Error::invalid_in("models.list", e.to_string()))?;
                ids.check(&scan).map_err(trace_err)?;
                (specs, ids)
            };
            let src = CsvRequestSource::open(&path, ids, *time_scale).map_err(trace_err)?;
            let slot = error.clone();
            let source = Box::new(CsvSource { inner: src, slot });
            Ok(Loaded { models: specs.into(), source, error })
        }
        TraceSpec::OracleGeneral { path, time_scale } => {
            let path = base_dir.join(path);
            let open = || -> Result<OracleGeneralReader<BufReader<std::fs::File>>, Error> {
                let f = std::fs::File::open(&path).map_err(|e| Error::io(&path, e))?;
                Ok(OracleGeneralReader::new(BufReader::with_capacity(1 << 16, f)))
            };
            let mut ids = DenseIds::new();
            let mut sizes: Vec<u64> = Vec::new();
            let mut last = SimTime::ZERO;
            for (k, r) in open()?.enumerate() {
                let r = r.map_err(|e| trace_err(e.in_file(&path)))?;
                if r.time < last {
                    return Err(Error::invalid_in(
                        path.display().to_string(),
                        format!(
                            "record {} (byte offset {}): clock_time {} s is before the previous record's {} s \
                             (a request trace must be sorted by time)",
                            k + 1,
                            k * 24,
                            r.time.as_secs_f64(),
                            last.as_secs_f64()
                        ),
                    ));
                }
                last = r.time;
                let id = ids.id(r.object) as usize;
                if id == sizes.len() {
                    if sizes.len() >= mmesim_workload::MAX_MODELS as usize {
                        return Err(Error::invalid_in(
                            path.display().to_string(),
                            format!("more than {} distinct objects", mmesim_workload::MAX_MODELS),
                        ));
                    }
                    sizes.push(r.size.max(1));
                }
            }
            if sizes.is_empty() {
                return Err(Error::invalid_in(path.display().to_string(), "the trace holds no request"));
            }
            let unload = SimDuration::from_millis_f64(models.unload_ms);
            let specs: Vec<ModelSpec> = sizes
                .iter()
                .enumerate()
                .map(|(i, &b)| ModelSpec {
                    name: format!("object-{i}").into(),
                    memory: Bytes(b),
                    artifact: Bytes((b as f64 * models.artifact_ratio).round().max(1.0) as u64),
                    service_ms: models.service_ms.to_dist(),
                    load_overhead: SimDuration::from_millis_f64(models.load_overhead_ms),
                    unload_time: unload,
                    payload: Bytes::from_kib(models.payload_kib),
                    preprocess: SimDuration::from_millis_f64(models.preprocess_ms),
                })
                .collect();
            let source = Box::new(OracleSource {
                reader: open()?,
                ids,
                scale: *time_scale,
                path: path.clone(),
                slot: error.clone(),
                last: SimTime::ZERO,
            });
            Ok(Loaded { models: specs.into(), source, error })
        }
        TraceSpec::AzureFunctions2019 { dir, day, invocations, durations, memory, sample_seed, .. } => {
            let files = azure_files(base_dir, dir, day, invocations, durations, memory);
            let trace = AzureTrace::open(
                &files.invocations,
                &files.durations,
                &files.memory,
                &spec.azure_options(),
                sample_seed.unwrap_or(seed),
            )
            .map_err(trace_err)?;
            if trace.functions().is_empty() {
                return Err(Error::invalid_in(
                    files.invocations.display().to_string(),
                    "no function with invocations, durations and memory to replay",
                ));
            }
            let unload = SimDuration::from_millis_f64(models.unload_ms);
            let specs: Vec<ModelSpec> = trace
                .functions()
                .iter()
                .map(|f| ModelSpec {
                    name: f.name.clone().into(),
                    memory: Bytes::from_mib(f.memory_mib.max(1.0)),
                    artifact: Bytes::from_mib(f.memory_mib.max(1.0) * models.artifact_ratio),
                    // Every arrival carries its own draw from the percentiles;
                    // the mean stands in where a distribution is shown.
                    service_ms: Dist::Constant { value: f.duration_mean_ms().max(0.0) },
                    load_overhead: SimDuration::from_millis_f64(models.load_overhead_ms),
                    unload_time: unload,
                    payload: Bytes::from_kib(models.payload_kib),
                    preprocess: SimDuration::from_millis_f64(models.preprocess_ms),
                })
                .collect();
            Ok(Loaded { models: specs.into(), source: Box::new(trace.source(&streams)), error })
        }
    }
}

/// The streamed pass over a request CSV; an error its reader meets goes to
/// the slot (the stream then ends).
struct CsvSource {
    inner: CsvRequestSource,
    slot: ErrorSlot,
}

impl RequestSource for CsvSource {
    fn next_arrival(&mut self) -> Option<Arrival> {
        let a = self.inner.next_arrival();
        if a.is_none() {
            if let (Some(e), Ok(mut g)) = (self.inner.take_error(), self.slot.lock()) {
                g.get_or_insert(e);
            }
        }
        a
    }
}

/// The second, streamed pass over an oracle-general trace.
struct OracleSource {
    reader: OracleGeneralReader<BufReader<std::fs::File>>,
    ids: DenseIds,
    scale: f64,
    path: PathBuf,
    slot: ErrorSlot,
    last: SimTime,
}

impl OracleSource {
    fn fail(&mut self, e: TraceError) -> Option<Arrival> {
        if let Ok(mut g) = self.slot.lock() {
            g.get_or_insert(e);
        }
        None
    }
}

impl RequestSource for OracleSource {
    fn next_arrival(&mut self) -> Option<Arrival> {
        let r: CacheRequest = match self.reader.next()? {
            Ok(r) => r,
            Err(e) => return self.fail(e.in_file(&self.path)),
        };
        let Some(id) = self.ids.get(r.object) else {
            return self.fail(TraceError::changed(&self.path));
        };
        if r.time < self.last {
            return self.fail(TraceError::changed(&self.path));
        }
        self.last = r.time;
        let t = SimTime::from_nanos((r.time.as_nanos() as f64 * self.scale) as u64);
        Some(Arrival { time: t, model: ModelId(id), service: None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use mmesim_workload::TraceLocation;
    use std::error::Error as _;

    /// An error met mid-run reaches the facade whole: its message, the
    /// facade's kind from the trace's, and the trace's error (with its I/O
    /// cause) as the `source()` chain.
    #[test]
    fn errors_met_mid_run_keep_their_kind_and_source() {
        let slot: ErrorSlot = Arc::new(Mutex::new(None));
        assert!(error_met(&slot).is_none());
        let io = std::io::Error::other("disk on fire");
        *slot.lock().unwrap() = Some(TraceError::io(TraceLocation::Line(7), io).in_file(Path::new("t.csv")));
        let e = error_met(&slot).unwrap();
        assert_eq!(e.to_string(), "trace: t.csv: line 7: read error: disk on fire");
        assert!(matches!(e.kind(), ErrorKind::Io { .. }), "{:?}", e.kind());
        let inner = e.source().and_then(|s| s.downcast_ref::<TraceError>()).unwrap();
        assert!(matches!(inner.kind(), TraceErrorKind::Io { at: TraceLocation::Line(7), .. }));
        let cause = inner.source().and_then(|s| s.downcast_ref::<std::io::Error>()).unwrap();
        assert_eq!(cause.to_string(), "disk on fire");
        assert!(error_met(&slot).is_none(), "taken once");

        // Read before the run: the file is the origin, named once.
        let e = trace_err(TraceError::changed(Path::new("t.bin")));
        assert_eq!(e.to_string(), "t.bin: changed while it was being replayed");
        assert!(matches!(e.kind(), ErrorKind::Invalid { .. }), "{:?}", e.kind());
        assert!(e.source().is_some_and(|s| s.is::<TraceError>()));
    }
}
