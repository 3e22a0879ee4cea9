//! The `mmesim` command-line tool.
//!
//! ```text
//! mmesim run SCENARIO.toml [--set PATH=VALUE]… [--seed N] [--json] [--metrics FILE]
//!              [--metrics-format csv|cloudwatch-json|cloudwatch-csv] [--metrics-start RFC3339]
//!              [--metrics-endpoint-only] [--plot FILE.svg] [--quiet]
//! mmesim cache --trace FILE --format oracle-general|csv --policy P[,P…] --size BYTES|PCT%[,…]
//!              [--json] [--plot MRC.svg] [--threads N]
//! mmesim sweep SWEEP.toml [--csv FILE] [--jsonl FILE] [--shard K/N] [--threads N] [--quiet] [--list]
//! mmesim recommend SCENARIO.toml [--set PATH=VALUE]… --p99-ms X [--min-hit H] [--max-errors E] [--types T,…]
//!              [--max-instances N] [--seeds K] [--survive-zone-loss] [--exhaustive] [--plot FILE.svg] [--json]
//!              [--threads N] [--quiet]
//! mmesim merge SHARD.jsonl… [--csv FILE] [--jsonl FILE]
//! mmesim synth-trace --out FILE [--objects N] [--requests M] [--alpha A] [--object-bytes B] [--seed S] [--sparse-ids]
//! mmesim validate SCENARIO.toml… [--set PATH=VALUE]… [--json]
//! mmesim calibrate SCENARIO.toml [--set PATH=VALUE]… --metrics EXPORT.json|.csv [--out CALIBRATED.toml] [--json]
//!              [--window FROM,TO] [--fix P,…] [--tolerance T] [--quiet]
//! mmesim catalog [SCENARIO.toml] [--json]
//! mmesim policies [--json]
//! ```
//!
//! `--set PATH=VALUE` overrides a scenario field by the dotted paths of
//! sweeps (`cluster.instances=8`, `eviction.memory=gdsf`); VALUE is TOML,
//! a bare word a string. Every subcommand's `--help` names the section of
//! docs/guide.md that documents it.
//!
//! An output file given as `-` is standard output (`--metrics -`, `--plot -`,
//! `--csv -`, `--jsonl -`, `--out -`); at most one output goes there, and
//! the text report it displaces goes to standard error.
//!
//! Exit codes: 0 success, 1 bad input (the message names the file and the
//! field), 2 bad command line (clap's usage message), 3 a validation figure
//! beyond its pinned error bound, 4 `recommend` found no configuration that
//! meets the targets.

mod huge;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Large blocks get huge pages (see `huge.rs`).
#[global_allocator]
static ALLOC: huge::HugePages = huge::HugePages;

/// `eprintln!` that never panics: a closed or full standard error loses
/// the line, not the run.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// Discrete-event simulator of multi-model inference endpoints.
#[derive(Parser)]
#[command(name = "mmesim", version, about, long_about = None, after_help = TOP_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where to read on, below the top-level `--help`.
const TOP_HELP: &str = "Start with README.md (install, a first run); the user guide is docs/guide.md \
(§2 running, §3 the scenario file, §5 the report). `mmesim catalog` lists the instance types, \
`mmesim policies` every routing, eviction and autoscaling policy with its parameters.";

/// `--set PATH=VALUE`, the same on every subcommand that reads a scenario.
const SET_HELP: &str = "Override a scenario field by dotted path, as a sweep does \
(`cluster.instances=8`, `eviction.memory=gdsf`, `workload.arrival.rate_per_s=50`); VALUE is read as \
TOML (`8`, `0.5`, `true`, `\"x\"`, `{ dist = \"constant\", value = 30.0 }`), a bare word as a string. \
Repeatable, applied in order; every check of the scenario applies to the result";

/// The format of `run --metrics`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum MetricsFormat {
    /// `minute,time_s,metric,dimension,value,sample_count` rows.
    Csv,
    /// The JSON of `aws cloudwatch get-metric-data`.
    CloudwatchJson,
    /// The same series as CSV `timestamp,metric,dimension,statistic,value`
    /// (what `calibrate --metrics` reads besides the JSON).
    CloudwatchCsv,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario and print its report.
    #[command(after_help = "Guide: docs/guide.md §2 (options, --set, exit codes), §3 (the scenario file), \
§5 (the report, --metrics, --plot).")]
    Run {
        /// The scenario file (TOML).
        scenario: PathBuf,
        #[arg(long = "set", value_name = "PATH=VALUE", help = SET_HELP)]
        set: Vec<String>,
        /// Override the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Print the JSON report (and nothing else) on stdout.
        #[arg(long)]
        json: bool,
        /// Write CloudWatch-style per-minute metrics (per instance, zone and
        /// endpoint) to this file (CSV unless --metrics-format says otherwise).
        #[arg(long)]
        metrics: Option<PathBuf>,
        /// The format of --metrics: csv (tidy rows), cloudwatch-json (the
        /// JSON of `aws cloudwatch get-metric-data`, times in microseconds)
        /// or cloudwatch-csv (the same series as CSV).
        #[arg(long, value_enum, default_value_t = MetricsFormat::Csv, requires = "metrics")]
        metrics_format: MetricsFormat,
        /// With cloudwatch-json or -csv: the timestamp of minute 0, RFC 3339
        /// at a whole minute (default 1970-01-01T00:00:00Z).
        #[arg(long, requires = "metrics")]
        metrics_start: Option<String>,
        /// With cloudwatch-json or -csv: only the endpoint's series (what a
        /// get-metric-data query for the endpoint returns), not the zones'
        /// and instances'.
        #[arg(long, requires = "metrics")]
        metrics_endpoint_only: bool,
        /// Draw requests, hit ratio, p99, loaded models and instances over
        /// time, fault windows shaded, to this SVG file.
        #[arg(long)]
        plot: Option<PathBuf>,
        /// No progress bar and no wall-clock line on stderr (warnings
        /// still show).
        #[arg(long, short)]
        quiet: bool,
    },
    /// Run scenarios that reproduce published measurements (their
    /// `[validation]` table) and print published against simulated, with
    /// the relative errors (guide §13, docs/VALIDATION.md).
    #[command(after_help = "Guide: docs/guide.md §13; the scenarios and their sources: docs/VALIDATION.md.")]
    Validate {
        /// Scenario files with a `[validation]` table
        /// (examples/validation/*.toml).
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
        #[arg(long = "set", value_name = "PATH=VALUE", help = SET_HELP)]
        set: Vec<String>,
        /// Print the comparisons as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Replay a cache trace through eviction policies at cache sizes (no
    /// cluster, no latency): miss ratio and byte miss ratio per pair.
    #[command(after_help = "Guide: docs/guide.md §8 (the command line, sizes, trace formats, a worked \
example); the policies: §7 and `mmesim policies`.")]
    Cache {
        /// The trace file.
        #[arg(long)]
        trace: PathBuf,
        /// Trace format: oracle-general (libCacheSim's binary) or csv
        /// (`timestamp_s,object,size_bytes`).
        #[arg(long)]
        format: String,
        /// Policies, comma-separated (`lru,gdsf,s3fifo`), or `all`.
        #[arg(long)]
        policy: String,
        /// Cache sizes, comma-separated: bytes (`1073741824`, `512MiB`,
        /// `4GiB`) or a share of the working set (`10%`).
        #[arg(long, allow_hyphen_values = true)]
        size: String,
        /// Print a JSON array (and nothing else) on stdout.
        #[arg(long)]
        json: bool,
        /// Also draw the miss-ratio curve (miss ratio against cache size,
        /// one line per policy) as an SVG file.
        #[arg(long)]
        plot: Option<PathBuf>,
        /// Worker threads (default: all cores). Results do not depend on it.
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Run a parameter sweep: a base scenario and axes of values for its
    /// fields; the cartesian product runs in parallel. Results (one row per
    /// point) go to CSV and/or JSON Lines.
    #[command(after_help = "Guide: docs/guide.md §11.5 (the sweep file, its dotted paths), §11.6 (shards \
over an array job).")]
    Sweep {
        /// The sweep file (TOML: `base`, `[axes]`, optional `[set]`).
        sweep: PathBuf,
        /// Write the rows as CSV to this file (default: CSV on stdout when
        /// neither --csv nor --jsonl is given).
        #[arg(long)]
        csv: Option<PathBuf>,
        /// Write the rows as JSON Lines to this file (what `mmesim merge`
        /// reads).
        #[arg(long)]
        jsonl: Option<PathBuf>,
        /// Run only shard K of N (every N-th point from point K−1; K from 1
        /// to N), e.g. `--shard $((SLURM_ARRAY_TASK_ID+1))/8`.
        #[arg(long)]
        shard: Option<String>,
        /// Worker threads (default: all cores). Results do not depend on it.
        #[arg(long)]
        threads: Option<usize>,
        /// No progress bar.
        #[arg(long, short)]
        quiet: bool,
        /// List the points (number and parameters, as CSV) of the shard
        /// without running them.
        #[arg(long)]
        list: bool,
    },
    /// Find the cheapest instance type and count that meet a p99 target
    /// (and a hit-ratio floor): bisection on the count per type, each count
    /// judged over several seeds.
    #[command(after_help = "Guide: docs/guide.md §11.2 (the search, its table and chart), §11.3 \
(--survive-zone-loss), §11.4 (--exhaustive); the types searched: `mmesim catalog`, §4.")]
    Recommend {
        /// The scenario file (its models, traffic and policies; its
        /// instance type and count are what is searched).
        scenario: PathBuf,
        #[arg(long = "set", value_name = "PATH=VALUE", help = SET_HELP)]
        set: Vec<String>,
        /// Highest acceptable end-to-end p99 latency, ms.
        #[arg(long, allow_hyphen_values = true)]
        p99_ms: f64,
        /// Lowest acceptable model-cache hit ratio (0–1).
        #[arg(long, allow_hyphen_values = true)]
        min_hit: Option<f64>,
        /// Highest acceptable share of failed and rejected requests after
        /// the warm-up (0–1).
        #[arg(long, allow_hyphen_values = true, default_value_t = mmesim::Targets::DEFAULT_MAX_ERROR_RATE)]
        max_errors: f64,
        /// Candidate instance types, comma-separated (default: the whole
        /// catalog, with the scenario's own types).
        #[arg(long, value_delimiter = ',')]
        types: Vec<String>,
        /// Largest instance count tried per type.
        #[arg(long, default_value_t = 32)]
        max_instances: u32,
        /// Seeds each configuration must pass with.
        #[arg(long, default_value_t = 3)]
        seeds: u32,
        /// Require the targets with any one availability zone out (failed
        /// at the end of the warm-up, not replaced).
        #[arg(long)]
        survive_zone_loss: bool,
        /// Try every count from 1 to --max-instances rather than bisecting
        /// (zone-loss outcomes need not improve with every added instance).
        #[arg(long)]
        exhaustive: bool,
        /// Draw cost against p99 of every configuration tried, with the
        /// frontier, to this SVG file.
        #[arg(long)]
        plot: Option<PathBuf>,
        /// Print the recommendation as JSON (and nothing else) on stdout.
        #[arg(long)]
        json: bool,
        /// Worker threads (default: all cores). Results do not depend on it.
        #[arg(long)]
        threads: Option<usize>,
        /// No progress bar.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Join the JSON Lines of sweep shards into the results of the whole
    /// sweep (byte-identical to running it whole).
    #[command(after_help = "Guide: docs/guide.md §11.6.")]
    Merge {
        /// The shards' JSON Lines files.
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// Write CSV to this file (default: CSV on stdout when neither
        /// --csv nor --jsonl is given).
        #[arg(long)]
        csv: Option<PathBuf>,
        /// Write JSON Lines to this file.
        #[arg(long)]
        jsonl: Option<PathBuf>,
    },
    /// Fit a scenario to an endpoint's CloudWatch metrics: a digital twin
    /// (guide §14).
    #[command(after_help = "Guide: docs/guide.md §14 (§14.2 getting the metrics out of AWS, §14.5 a \
walk-through).")]
    Calibrate {
        /// What is known of the endpoint: type, count, models, traffic.
        scenario: PathBuf,
        #[arg(long = "set", value_name = "PATH=VALUE", help = SET_HELP)]
        set: Vec<String>,
        /// The endpoint's per-minute metrics: the JSON of `aws cloudwatch
        /// get-metric-data`, or CSV `timestamp,metric,dimension,statistic,value`.
        #[arg(long)]
        metrics: PathBuf,
        /// Write the calibrated scenario here (TOML).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print the calibration as JSON on stdout.
        #[arg(long)]
        json: bool,
        /// Compare these seconds of the scenario (whole minutes; default:
        /// after the warm-up to the end).
        #[arg(long, value_name = "FROM,TO")]
        window: Option<String>,
        /// Parameters to keep at the scenario's value (comma-separated).
        #[arg(long, value_delimiter = ',')]
        fix: Vec<String>,
        /// Relative error at which a metric counts as matched (raised, per
        /// metric, to its sampling noise between two seeds of the twin).
        #[arg(long, default_value_t = 0.01)]
        tolerance: f64,
        /// No progress bar.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Write a synthetic Zipf cache trace in oracle-general form (with
    /// next-access times, so Belady can replay it).
    #[command(after_help = "Guide: docs/guide.md §8.4.")]
    SynthTrace {
        /// Output file.
        #[arg(long)]
        out: PathBuf,
        /// Distinct objects.
        #[arg(long, default_value_t = 1_000_000)]
        objects: u32,
        /// Requests.
        #[arg(long, default_value_t = 10_000_000)]
        requests: u64,
        /// Zipf skew α.
        #[arg(long, default_value_t = 1.0)]
        alpha: f64,
        /// Bytes per object (1 = unit size).
        #[arg(long, default_value_t = 1)]
        object_bytes: u64,
        /// Seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Scrambled 64-bit object ids (like a real trace's hashed ids)
        /// instead of 0..objects.
        #[arg(long)]
        sparse_ids: bool,
    },
    /// List the instance types: vCPUs, memory, the memory models get, GPU,
    /// slots, storage, network and download bandwidth, price.
    #[command(after_help = "Guide: docs/guide.md §4 (every figure's source and the assumptions), §3.5 \
(defining or overriding a type with [[instance_types]]).")]
    Catalog {
        /// Also the types this scenario defines or overrides in
        /// `[[instance_types]]` (marked `*`).
        scenario: Option<PathBuf>,
        /// Print a JSON array (and nothing else) on stdout.
        #[arg(long)]
        json: bool,
    },
    /// List every routing, eviction and autoscaling policy by the name a
    /// scenario uses, with its rule and its parameters (defaults, units).
    #[command(after_help = "Guide: docs/guide.md §3.8 (routing; compared in §9), §3.9 and §7 (eviction), \
§3.10 (autoscaling).")]
    Policies {
        /// Print a JSON array (and nothing else) on stdout.
        #[arg(long)]
        json: bool,
    },
}

/// Exit code of `validate` when a figure is beyond its pinned bound.
const EXIT_BEYOND_BOUND: u8 = 3;
/// Exit code of `recommend` when no configuration meets the targets.
const EXIT_NO_CONFIGURATION: u8 = 4;

/// Runs a command; the exit code its outcome calls for (0, or
/// [`EXIT_BEYOND_BOUND`], [`EXIT_NO_CONFIGURATION`]).
fn run(cli: Cli) -> Result<u8, mmesim::Error> {
    match cli.command {
        Command::Validate { scenarios, set, json } => {
            Ok(if validate_cmd(scenarios, set, json)? { 0 } else { EXIT_BEYOND_BOUND })
        }
        command @ Command::Recommend { .. } => Ok(if recommend_cmd(command)? { 0 } else { EXIT_NO_CONFIGURATION }),
        command => run_other(Cli { command }).map(|()| 0),
    }
}

fn run_other(cli: Cli) -> Result<(), mmesim::Error> {
    match cli.command {
        Command::Run {
            scenario,
            set,
            seed,
            json,
            metrics,
            metrics_format,
            metrics_start,
            metrics_endpoint_only,
            plot,
            quiet,
        } => {
            let start_unix_s = match metrics_start.as_deref() {
                None => 0,
                Some(t) => match mmesim::cloudwatch::parse_rfc3339(t) {
                    Some(secs) if secs.rem_euclid(60) == 0 => secs,
                    _ => {
                        return Err(mmesim::Error::usage(format!(
                            "--metrics-start: `{t}` is not an RFC 3339 timestamp at a whole minute \
                             (2026-11-30T10:00:00Z)"
                        )))
                    }
                },
            };
            if metrics_format == MetricsFormat::Csv {
                let flag = if metrics_endpoint_only {
                    Some("--metrics-endpoint-only")
                } else if metrics_start.is_some() {
                    Some("--metrics-start")
                } else {
                    None
                };
                if let Some(flag) = flag {
                    return Err(mmesim::Error::usage(format!(
                        "{flag}: only with --metrics-format cloudwatch-json or cloudwatch-csv"
                    )));
                }
            }
            check_outputs(&[(&metrics, "--metrics"), (&plot, "--plot")])?;
            one_stdout(&[(json, "--json"), (is_stdout(&metrics), "--metrics -"), (is_stdout(&plot), "--plot -")])?;
            let (mut s, overrides) = load_scenario(&scenario, &set)?;
            for w in s.warnings() {
                say!("warning: {}: {w}", scenario.display());
            }
            if let Some(seed) = seed {
                s.seed = seed;
            }
            if let Some(line) = mmesim::trace::describe(&s)? {
                if !quiet {
                    say!("mmesim: {line}");
                }
            }
            // Per-minute output is written while the run goes, so that
            // memory does not grow with the simulated time.
            let mut sinks = RunSinks {
                metrics: None,
                timeline: plot.is_some().then(|| mmesim::chart::Timeline::default().with_warmup(s.warmup_s)),
                progress: RunProgress::new(s.duration_s, quiet),
            };
            if let Some(path) = &metrics {
                let cw = mmesim::cloudwatch::ExportOptions {
                    start_unix_s,
                    all_dimensions: !metrics_endpoint_only,
                    vcpus: mmesim::cloudwatch::cpu_utilization_vcpus(&s)?,
                };
                let (out, origin): (Box<dyn std::io::Write>, String) = if path.as_os_str() == "-" {
                    (Box::new(QuietStdout), "--metrics -: standard output".to_string())
                } else {
                    let file = std::fs::File::create(path).map_err(|e| {
                        mmesim::Error::usage(format!("--metrics: cannot write {}: {e}", path.display()))
                    })?;
                    (Box::new(file), path.display().to_string())
                };
                let out = std::io::BufWriter::new(out);
                use mmesim::cloudwatch::{ExportFormat, ExportWriter};
                sinks.metrics = Some(match metrics_format {
                    MetricsFormat::Csv => Box::new(mmesim::MetricsCsvWriter::new(out, origin)),
                    MetricsFormat::CloudwatchJson => Box::new(ExportWriter::new(out, ExportFormat::Json, &cw, origin)),
                    MetricsFormat::CloudwatchCsv => Box::new(ExportWriter::new(out, ExportFormat::Csv, &cw, origin)),
                });
            }
            let started = Instant::now();
            let opts = mmesim::RunOptions { record_metrics: metrics.is_some(), ..Default::default() };
            let out = s.run_into(opts, &mut sinks);
            if let Some(p) = &sinks.progress {
                p.bar.finish_and_clear();
            }
            let out = out?;
            let wall = started.elapsed().as_secs_f64();
            if json {
                emit(&format!("{}\n", mmesim::to_json(&out.report)))?;
                if !quiet {
                    say_overrides(&overrides);
                }
            } else if is_stdout(&metrics) || is_stdout(&plot) {
                // Standard output carries the data: the summary goes aside.
                say!("{}", with_overrides_line(mmesim::summary_table(&out.report), &overrides).trim_end());
            } else {
                emit(&with_overrides_line(mmesim::summary_table(&out.report), &overrides))?;
            }
            if let Some(t) = &out.truncated {
                say!("mmesim: warning: {}", truncation_warning(&scenario, &s, t));
            }
            if let (Some(path), Some(timeline)) = (plot, &sinks.timeline) {
                let title = format!("{} (seed {})", out.report.name, out.report.seed);
                svg_out(&path, "--plot", |p| timeline.svg(p, &title, &out.report.faults))?;
            }
            // Wall-clock figures go to stderr, never into the report.
            if !quiet {
                say!(
                    "mmesim: {} requests, {} events in {:.3} s wall ({:.2} M requests/s)",
                    out.report.requests.arrived,
                    out.events,
                    wall,
                    out.report.requests.arrived as f64 / wall.max(1e-9) / 1e6
                );
            }
            Ok(())
        }
        Command::Cache { trace, format, policy, size, json, plot, threads } => {
            cache(trace, format, policy, size, json, plot, threads)
        }
        Command::Sweep { sweep, csv, jsonl, shard, threads, quiet, list } => {
            sweep_cmd(sweep, csv, jsonl, shard, threads, quiet, list)
        }
        // `run` calls `recommend_cmd` itself, for its exit code.
        Command::Recommend { .. } => recommend_cmd(cli.command).map(|_| ()),
        Command::Merge { shards, csv, jsonl } => {
            check_outputs(&[(&csv, "--csv"), (&jsonl, "--jsonl")])?;
            one_stdout(&[(is_stdout(&csv), "--csv -"), (is_stdout(&jsonl), "--jsonl -")])?;
            let mut parts = Vec::new();
            for path in &shards {
                let bytes = std::fs::read(path)
                    .map_err(|e| mmesim::Error::usage(format!("cannot read shard {}: {e}", path.display())))?;
                let origin = path.display().to_string();
                parts.push((origin.clone(), mmesim::sweep::parse_jsonl_bytes(bytes, &origin)?));
            }
            let rows = mmesim::sweep::merge(parts)?;
            write_rows(&rows, csv, jsonl)?;
            say!("mmesim: merged {} shards, {} points", shards.len(), rows.len());
            Ok(())
        }
        Command::SynthTrace { out, objects, requests, alpha, object_bytes, seed, sparse_ids } => {
            mmesim::replay::write_synthetic_trace(&out, objects, requests, alpha, object_bytes, seed, sparse_ids)
        }
        Command::Validate { scenarios, set, json } => validate_cmd(scenarios, set, json).map(|_| ()),
        Command::Calibrate { scenario, set, metrics, out, json, window, fix, tolerance, quiet } => {
            calibrate_cmd(scenario, set, metrics, out, json, window, fix, tolerance, quiet)
        }
        Command::Catalog { scenario, json } => catalog_cmd(scenario, json),
        Command::Policies { json } => policies_cmd(json),
    }
}

/// `mmesim recommend`: `Ok(true)` when a configuration meets the targets
/// (the table says which); `Ok(false)` when none does, after printing
/// what was tried (exit code [`EXIT_NO_CONFIGURATION`]).
fn recommend_cmd(command: Command) -> Result<bool, mmesim::Error> {
    let Command::Recommend {
        scenario,
        set,
        p99_ms,
        min_hit,
        max_errors,
        types,
        max_instances,
        seeds,
        survive_zone_loss,
        exhaustive,
        plot,
        json,
        threads,
        quiet,
    } = command
    else {
        unreachable!("BUG: recommend_cmd called with another command")
    };
    mmesim::sweep::check_threads(threads)?;
    check_outputs(&[(&plot, "--plot")])?;
    one_stdout(&[(json, "--json"), (is_stdout(&plot), "--plot -")])?;
    let (s, overrides) = load_scenario(&scenario, &set)?;
    say_overrides(&overrides);
    let targets = mmesim::Targets { p99_ms, min_hit, max_error_rate: max_errors };
    let opts = mmesim::SearchOptions { types, max_instances, seeds, survive_zone_loss, exhaustive };
    // The number of runs is not known ahead: a spinner and a count.
    let pb = progress_bar(None, quiet, "recommend {spinner} {pos} runs [{elapsed_precise}]");
    let started = Instant::now();
    let work = || mmesim::recommend(&s, &targets, &opts, &|| pb.inc(1));
    let rec = mmesim::sweep::with_threads(threads, work)??;
    pb.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();
    if json {
        emit(&format!("{}\n", serde_json::to_string_pretty(&rec).unwrap_or_else(|e| panic!("BUG: {e}"))))?;
    } else if is_stdout(&plot) {
        say!("{}", rec.table().trim_end());
    } else {
        emit(&rec.table())?;
    }
    if let Some(path) = plot {
        let title = format!("{}: cost against p99 (target {} ms)", s.name, p99_ms);
        svg_out(&path, "--plot", |p| rec.frontier_svg(p, &title))?;
    }
    let runs: u32 = rec.evaluated.iter().map(|e| e.runs).sum();
    say!("mmesim: {} configurations, {runs} runs in {wall:.3} s wall", rec.evaluated.len());
    Ok(rec.cheapest().is_some())
}

/// `mmesim validate`: `Ok(true)` when every figure is within its bound.
fn validate_cmd(scenarios: Vec<PathBuf>, set: Vec<String>, json: bool) -> Result<bool, mmesim::Error> {
    let mut all = Vec::new();
    let overrides = parse_overrides(&set)?;
    for (k, path) in scenarios.iter().enumerate() {
        let s = mmesim::Scenario::from_file_with_overrides(path, &overrides)?;
        if k == 0 {
            say_overrides(&overrides);
        }
        let v = mmesim::validate::validate(&s, &path.display().to_string())?;
        if !json {
            emit(&format!("{}\n", mmesim::validate::table(&v)))?;
        }
        all.push(v);
    }
    if json {
        emit(&format!("{}\n", serde_json::to_string_pretty(&all).unwrap_or_else(|e| panic!("BUG: {e}"))))?;
    }
    let regressions: Vec<String> = all
        .iter()
        .flat_map(|v| v.figures.iter().filter(|f| !f.within_bound).map(move |f| format!("{}: {}", v.name, f.name)))
        .collect();
    if !regressions.is_empty() {
        say!("mmesim: beyond the pinned error bound: {}", regressions.join(", "));
    }
    Ok(regressions.is_empty())
}

fn cache(
    trace: PathBuf,
    format: String,
    policy: String,
    size: String,
    json: bool,
    plot: Option<PathBuf>,
    threads: Option<usize>,
) -> Result<(), mmesim::Error> {
    use mmesim::replay::*;
    let bad = |what: &str, msg: String| mmesim::Error::usage(format!("{what}: {msg}"));
    let format: mmesim::workload::cachetrace::CacheTraceFormat =
        format.parse().map_err(|e: mmesim::workload::cachetrace::TraceError| bad("--format", e.to_string()))?;
    let policies = parse_policies(&policy).map_err(|e| bad("--policy", e))?;
    let sizes = parse_sizes(&size).map_err(|e| bad("--size", e))?;
    mmesim::sweep::check_threads(threads)?;
    check_outputs(&[(&plot, "--plot")])?;
    one_stdout(&[(json, "--json"), (is_stdout(&plot), "--plot -")])?;
    let started = Instant::now();
    let results = replay_grid(&trace, format, &policies, &sizes, threads)?;
    let wall = started.elapsed().as_secs_f64();
    if json {
        emit(&format!("{}\n", serde_json::to_string_pretty(&results).unwrap_or_else(|e| panic!("BUG: {e}"))))?;
    } else if is_stdout(&plot) {
        say!("{}", replay_table(&results).trim_end());
    } else {
        emit(&replay_table(&results))?;
    }
    if let Some(path) = plot {
        let percent = sizes.iter().all(|s| matches!(s, CacheSize::Percent(_)));
        let series: Vec<mmesim::chart::Series> = policies
            .iter()
            .map(|p| mmesim::chart::Series {
                label: p.name().to_string(),
                points: results
                    .iter()
                    .filter(|r| r.policy == p.name())
                    .map(|r| {
                        let x = if percent {
                            r.size.trim_end_matches('%').parse().unwrap_or(0.0)
                        } else {
                            r.cache_bytes as f64 / 1048576.0
                        };
                        (x, r.miss_ratio)
                    })
                    .collect(),
            })
            .collect();
        let x_label = if percent { "cache size (% of working set)" } else { "cache size (MiB)" };
        let title = format!("Miss ratio curve: {}", trace.display());
        svg_out(&path, "--plot", |p| mmesim::chart::line_chart_svg(p, &title, x_label, "miss ratio", &series, true))?;
    }
    let requests: u64 = results.iter().map(|r| r.requests).sum();
    say!(
        "mmesim: {} replays, {} requests in {:.3} s wall ({:.2} M requests/s)",
        results.len(),
        requests,
        wall,
        requests as f64 / wall.max(1e-9) / 1e6
    );
    Ok(())
}

/// Writes `text` to stdout. A closed pipe (`mmesim run … | head -1`) is
/// not an error: what is left of the output is dropped, quietly, and the
/// command goes on (its files are still written) and exits as it would
/// have. Any other write error is one.
fn emit(text: &str) -> Result<(), mmesim::Error> {
    use std::io::Write;
    QuietStdout
        .write_all(text.as_bytes())
        .and_then(|()| QuietStdout.flush())
        .map_err(|e| mmesim::Error::usage(format!("cannot write to standard output: {e}")))
}

/// Set once standard output is found closed (a broken pipe).
static STDOUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Standard output, where a closed pipe (`mmesim … | head -1`) is not an
/// error: from the first broken pipe on, what is written is dropped,
/// quietly, and the command goes on (its files are still written) and
/// exits as it would have. Any other write error is one.
struct QuietStdout;

impl std::io::Write for QuietStdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        use std::sync::atomic::Ordering;
        if STDOUT_CLOSED.load(Ordering::Relaxed) {
            return Ok(buf.len());
        }
        match std::io::stdout().lock().write(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                STDOUT_CLOSED.store(true, Ordering::Relaxed);
                Ok(buf.len())
            }
            r => r,
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        use std::sync::atomic::Ordering;
        if STDOUT_CLOSED.load(Ordering::Relaxed) {
            return Ok(());
        }
        match std::io::stdout().lock().flush() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                STDOUT_CLOSED.store(true, Ordering::Relaxed);
                Ok(())
            }
            r => r,
        }
    }
}

/// The output path `-`: standard output.
fn is_stdout(path: &Option<PathBuf>) -> bool {
    path.as_deref().is_some_and(|p| p.as_os_str() == "-")
}

/// Refuses, before any work, more than one of the outputs `(given, flag)`
/// on standard output.
fn one_stdout(outputs: &[(bool, &str)]) -> Result<(), mmesim::Error> {
    let on: Vec<&str> = outputs.iter().filter(|(given, _)| *given).map(|(_, flag)| *flag).collect();
    if on.len() > 1 {
        return Err(mmesim::Error::usage(format!(
            "{}: each writes to standard output; give all but one of them a file",
            on.join(" and ")
        )));
    }
    Ok(())
}

/// Draws an SVG with `draw` to `path`, or to standard output when `path`
/// is `-` (drawn into a temporary file first: the chart writers take a
/// path).
fn svg_out(
    path: &std::path::Path,
    flag: &str,
    draw: impl FnOnce(&std::path::Path) -> Result<(), mmesim::Error>,
) -> Result<(), mmesim::Error> {
    if path.as_os_str() != "-" {
        return draw(path);
    }
    let tmp = std::env::temp_dir().join(format!("mmesim-{}-stdout.svg", std::process::id()));
    let drawn = draw(&tmp).map_err(|e| {
        mmesim::Error::usage(format!("{flag} -: {}", e.to_string().replace(&tmp.display().to_string(), "stdout")))
    });
    let svg = drawn.and_then(|()| {
        std::fs::read_to_string(&tmp)
            .map_err(|e| mmesim::Error::usage(format!("{flag} -: cannot read the drawn chart back: {e}")))
    });
    let _ = std::fs::remove_file(&tmp);
    emit(&svg?)
}

/// Checks, before any work, that `path` (given to `flag`) can be written:
/// its directory exists, it is not a directory, and it can be opened for
/// writing. A file that does not exist yet is not left behind. `-`
/// (standard output) is always fine.
fn check_output(path: &std::path::Path, flag: &str) -> Result<(), mmesim::Error> {
    if path.as_os_str() == "-" {
        // Standard output.
        return Ok(());
    }
    let bad = |msg: String| Err(mmesim::Error::usage(format!("{flag}: {msg}")));
    if path.is_dir() {
        return bad(format!("{} is a directory", path.display()));
    }
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    if !dir.is_dir() {
        return bad(format!("no directory {}", dir.display()));
    }
    if path.exists() {
        // Opened for appending: checks the permission, changes nothing.
        if let Err(e) = std::fs::OpenOptions::new().append(true).open(path) {
            return bad(format!("cannot write {}: {e}", path.display()));
        }
    } else {
        match std::fs::OpenOptions::new().write(true).create_new(true).open(path) {
            Ok(_) => {
                let _ = std::fs::remove_file(path);
            }
            Err(e) => return bad(format!("cannot write {}: {e}", path.display())),
        }
    }
    Ok(())
}

/// [`check_output`] of each given path.
fn check_outputs(paths: &[(&Option<PathBuf>, &str)]) -> Result<(), mmesim::Error> {
    for (p, flag) in paths {
        if let Some(p) = p {
            check_output(p, flag)?;
        }
    }
    Ok(())
}

fn write_file(path: &PathBuf, text: &str, what: &str) -> Result<(), mmesim::Error> {
    std::fs::write(path, text)
        .map_err(|e| mmesim::Error::usage(format!("{what}: cannot write {}: {e}", path.display())))
}

fn write_rows(rows: &[mmesim::sweep::Row], csv: Option<PathBuf>, jsonl: Option<PathBuf>) -> Result<(), mmesim::Error> {
    if csv.is_none() && jsonl.is_none() {
        emit(&mmesim::sweep::to_csv(rows))?;
    }
    if let Some(p) = &csv {
        let text = mmesim::sweep::to_csv(rows);
        if is_stdout(&csv) {
            emit(&text)?;
        } else {
            write_file(p, &text, "--csv")?;
        }
    }
    if let Some(p) = &jsonl {
        let text = mmesim::sweep::to_jsonl(rows);
        if is_stdout(&jsonl) {
            emit(&text)?;
        } else {
            write_file(p, &text, "--jsonl")?;
        }
    }
    Ok(())
}

/// Where `mmesim sweep` writes its rows, one at a time: CSV to `--csv` (or
/// to stdout when neither file is given), JSON Lines to `--jsonl`.
struct RowFiles {
    csv: Option<(mmesim::sweep::CsvRowWriter<Box<dyn std::io::Write>>, String)>,
    jsonl: Option<(std::io::BufWriter<Box<dyn std::io::Write>>, String)>,
    created: Vec<PathBuf>,
    rows: u64,
    /// The CSV goes to standard output.
    stdout: bool,
}

impl RowFiles {
    /// Creates the files (before anything runs, so a bad path fails
    /// first); on an error, removes those already created.
    fn create(csv: Option<PathBuf>, jsonl: Option<PathBuf>) -> Result<RowFiles, mmesim::Error> {
        let mut out = RowFiles { csv: None, jsonl: None, created: Vec::new(), rows: 0, stdout: false };
        if let Err(e) = out.open(csv, jsonl) {
            out.remove();
            return Err(e);
        }
        Ok(out)
    }

    fn open(&mut self, csv: Option<PathBuf>, jsonl: Option<PathBuf>) -> Result<(), mmesim::Error> {
        let cannot = |what: &str, p: &PathBuf| format!("{what}: cannot write {}", p.display());
        let mut file = |p: &PathBuf, what: &str| -> Result<Box<dyn std::io::Write>, mmesim::Error> {
            if p.as_os_str() == "-" {
                return Ok(Box::new(QuietStdout));
            }
            let f = std::fs::File::create(p).map_err(|e| mmesim::Error::usage(format!("{}: {e}", cannot(what, p))))?;
            self.created.push(p.clone());
            Ok(Box::new(std::io::BufWriter::new(f)))
        };
        let csv_w: Option<(Box<dyn std::io::Write>, String)> = match &csv {
            Some(p) => Some((file(p, "--csv")?, cannot("--csv", p))),
            None if jsonl.is_none() => {
                self.stdout = true;
                Some((Box::new(std::io::stdout()), "cannot write to stdout".into()))
            }
            None => None,
        };
        let jsonl_w = match &jsonl {
            Some(p) => Some((std::io::BufWriter::new(file(p, "--jsonl")?), cannot("--jsonl", p))),
            None => None,
        };
        self.csv = csv_w.map(|(w, what)| (mmesim::sweep::CsvRowWriter::new(w), what));
        self.jsonl = jsonl_w;
        Ok(())
    }

    fn write(&mut self, row: &mmesim::sweep::Row) -> Result<(), mmesim::Error> {
        use std::io::Write;
        let bad = |what: &str, e: std::io::Error| mmesim::Error::usage(format!("{what}: {e}"));
        if let Some((w, what)) = &mut self.csv {
            match w.write(row) {
                // Standard output closed (`mmesim sweep s.toml | head`):
                // the rest of the CSV is dropped quietly, as `emit` does.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe && self.stdout => self.csv = None,
                r => r.map_err(|e| bad(what, e))?,
            }
        }
        if let Some((w, what)) = &mut self.jsonl {
            writeln!(w, "{}", row.to_json_line()).map_err(|e| bad(what, e))?;
        }
        self.rows += 1;
        Ok(())
    }

    /// Flushes the files; the number of rows written.
    fn finish(&mut self) -> Result<u64, mmesim::Error> {
        use std::io::Write;
        let bad = |what: &str, e: std::io::Error| mmesim::Error::usage(format!("{what}: {e}"));
        if let Some((w, what)) = self.csv.take() {
            match w.finish().and_then(|mut w| w.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe && self.stdout => {}
                r => r.map_err(|e| bad(&what, e))?,
            }
        }
        if let Some((mut w, what)) = self.jsonl.take() {
            w.flush().map_err(|e| bad(&what, e))?;
        }
        Ok(self.rows)
    }

    /// Removes the files created (after an error: no partial output).
    fn remove(self) {
        drop((self.csv, self.jsonl));
        for p in &self.created {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// A progress bar on stderr (drawn only when stderr is a terminal): of
/// `len` steps, or a spinner when the length is unknown.
fn progress_bar(len: Option<u64>, quiet: bool, template: &str) -> indicatif::ProgressBar {
    if quiet {
        return indicatif::ProgressBar::hidden();
    }
    let pb = match len {
        Some(n) => indicatif::ProgressBar::new(n),
        None => indicatif::ProgressBar::new_spinner(),
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        pb.set_style(style);
    }
    pb
}

fn sweep_cmd(
    path: PathBuf,
    csv: Option<PathBuf>,
    jsonl: Option<PathBuf>,
    shard: Option<String>,
    threads: Option<usize>,
    quiet: bool,
    list: bool,
) -> Result<(), mmesim::Error> {
    mmesim::sweep::check_threads(threads)?;
    let shard = match shard {
        Some(s) => mmesim::Shard::parse(&s)?,
        None => mmesim::Shard::ALL,
    };
    check_outputs(&[(&csv, "--csv"), (&jsonl, "--jsonl")])?;
    one_stdout(&[(is_stdout(&csv), "--csv -"), (is_stdout(&jsonl), "--jsonl -")])?;
    let sweep = mmesim::Sweep::from_file(&path)?;
    if list {
        // Streamed: memory does not grow with the number of points.
        return match sweep.write_list(shard, std::io::BufWriter::new(std::io::stdout().lock())) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                Err(mmesim::Error::usage(format!("--list: cannot write to stdout: {e}")))
            }
            _ => Ok(()),
        };
    }
    let n = sweep.shard_len(shard);
    // Rows are written as they come, in point order; on an error, the
    // files this run created are removed.
    let mut out = RowFiles::create(csv, jsonl)?;
    let pb = progress_bar(Some(n), quiet, "sweep {bar:40} {pos}/{len} [{elapsed_precise}, ETA {eta}]");
    let started = Instant::now();
    let result = sweep.run_each(shard, threads, &|| pb.inc(1), &mut |row| out.write(&row));
    pb.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();
    let rows = match result.and_then(|()| out.finish()) {
        Ok(rows) => rows,
        Err(e) => {
            out.remove();
            return Err(e);
        }
    };
    say!(
        "mmesim: {} of {} points (shard {}/{}) on {} threads in {:.3} s wall",
        rows,
        sweep.len(),
        shard.index,
        shard.count,
        threads.unwrap_or_else(mmesim::sweep::default_threads),
        wall
    );
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn calibrate_cmd(
    scenario: PathBuf,
    set: Vec<String>,
    metrics: PathBuf,
    out: Option<PathBuf>,
    json: bool,
    window: Option<String>,
    fix: Vec<String>,
    tolerance: f64,
    quiet: bool,
) -> Result<(), mmesim::Error> {
    let window_s = match window {
        None => None,
        Some(w) => {
            let parts: Vec<Option<f64>> = w.split(',').map(|x| x.trim().parse::<f64>().ok()).collect();
            match parts.as_slice() {
                [Some(a), Some(b)] => Some([*a, *b]),
                _ => return Err(mmesim::Error::usage(format!("--window: expected FROM,TO in seconds, got `{w}`"))),
            }
        }
    };
    check_outputs(&[(&out, "--out")])?;
    one_stdout(&[(json, "--json"), (is_stdout(&out), "--out -")])?;
    let (s, overrides) = load_scenario(&scenario, &set)?;
    say_overrides(&overrides);
    let export = mmesim::cloudwatch::read_export(&metrics)?;
    let opts = mmesim::calibrate::CalibrateOptions { window_s, tolerance, fixed: fix, ..Default::default() };
    let pb = progress_bar(None, quiet, "calibrate {spinner} sweep {prefix}: {pos} runs, {msg} [{elapsed_precise}]")
        .with_message("first run")
        .with_prefix("1");
    // A run can take seconds: keep the spinner and the clock moving.
    pb.enable_steady_tick(std::time::Duration::from_millis(100));
    let started = Instant::now();
    let cal = mmesim::calibrate::calibrate(&s, &export, &opts, &|p| {
        pb.set_prefix(p.sweep.to_string());
        pb.set_message(format!("fitting {}", p.param));
        pb.set_position(u64::from(p.runs));
    })?;
    pb.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();
    if json {
        emit(&format!("{}\n", serde_json::to_string_pretty(&cal).unwrap_or_else(|e| panic!("BUG: {e}"))))?;
    } else if is_stdout(&out) {
        say!("{}", mmesim::calibrate::table(&cal).trim_end());
    } else {
        emit(&mmesim::calibrate::table(&cal))?;
    }
    if is_stdout(&out) {
        emit(&cal.scenario_toml)?;
    } else if let Some(path) = &out {
        std::fs::write(path, &cal.scenario_toml)
            .map_err(|e| mmesim::Error::usage(format!("--out: cannot write {}: {e}", path.display())))?;
    }
    say!("mmesim: calibrated in {} runs, {wall:.3} s wall", cal.runs);
    Ok(())
}

/// The `--set` arguments, parsed (an error names the argument).
fn parse_overrides(set: &[String]) -> Result<Vec<mmesim::Override>, mmesim::Error> {
    set.iter().map(|a| mmesim::Override::parse(a)).collect()
}

/// Reads a scenario file with its `--set` overrides applied.
fn load_scenario(
    path: &std::path::Path,
    set: &[String],
) -> Result<(mmesim::Scenario, Vec<mmesim::Override>), mmesim::Error> {
    let overrides = parse_overrides(set)?;
    let s = mmesim::Scenario::from_file_with_overrides(path, &overrides)?;
    Ok((s, overrides))
}

/// Says on stderr which overrides a command runs with (nothing without).
fn say_overrides(overrides: &[mmesim::Override]) {
    if !overrides.is_empty() {
        say!("mmesim: with {}", mmesim::overrides::describe(overrides));
    }
}

/// The run summary with the overrides at the end of its first line, so a
/// saved summary says what it ran.
fn with_overrides_line(summary: String, overrides: &[mmesim::Override]) -> String {
    if overrides.is_empty() {
        return summary;
    }
    let note = format!(", with {}", mmesim::overrides::describe(overrides));
    match summary.find('\n') {
        Some(i) => format!("{}{note}{}", &summary[..i], &summary[i..]),
        None => format!("{summary}{note}"),
    }
}

/// `mmesim catalog [SCENARIO] [--json]`.
fn catalog_cmd(scenario: Option<PathBuf>, json: bool) -> Result<(), mmesim::Error> {
    let (catalog, ours) = match &scenario {
        Some(path) => {
            let s = mmesim::Scenario::from_file(path)?;
            let ours: Vec<String> = s.instance_types.iter().map(|t| t.name.clone()).collect();
            (s.catalog(&path.display().to_string())?, ours)
        }
        None => (mmesim::core::Catalog::builtin(), Vec::new()),
    };
    let rows = mmesim::catalog::rows(&catalog, &ours);
    if json {
        emit(&format!("{}\n", serde_json::to_string_pretty(&rows).unwrap_or_else(|e| panic!("BUG: {e}"))))
    } else {
        emit(&mmesim::catalog::table(&rows))
    }
}

/// `mmesim policies [--json]`.
fn policies_cmd(json: bool) -> Result<(), mmesim::Error> {
    if json {
        let j = mmesim::policies::to_json();
        emit(&format!("{}\n", serde_json::to_string_pretty(&j).unwrap_or_else(|e| panic!("BUG: {e}"))))
    } else {
        emit(&mmesim::policies::table())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            say!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// Where `mmesim run` sends the minutes: the `--metrics` file's writer,
/// the `--plot` timeline and the progress bar, each bounded in memory.
struct RunSinks {
    metrics: Option<Box<dyn mmesim::core::MinuteSink>>,
    timeline: Option<mmesim::chart::Timeline>,
    progress: Option<RunProgress>,
}

/// The progress bar of `mmesim run` on a terminal: simulated seconds of
/// the scenario's duration, then the drain, with requests simulated per
/// wall-clock second. Moved once per simulated minute; absent (no cost)
/// when stderr is not a terminal or with `--quiet`.
struct RunProgress {
    bar: indicatif::ProgressBar,
    duration_s: f64,
    started: Instant,
    requests: u64,
}

impl RunProgress {
    fn new(duration_s: f64, quiet: bool) -> Option<RunProgress> {
        use std::io::IsTerminal;
        if quiet || !std::io::stderr().is_terminal() {
            return None;
        }
        let bar = progress_bar(
            Some(duration_s.ceil() as u64),
            false,
            "run [{elapsed_precise}] {wide_bar} {pos}/{len} simulated s, {msg}",
        );
        bar.set_message("starting");
        // A minute can take a while to simulate: keep the clock moving.
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        Some(RunProgress { bar, duration_s, started: Instant::now(), requests: 0 })
    }

    /// One more simulated minute, with its arrivals.
    fn minute(&mut self, m: &mmesim::core::MinuteMetrics) {
        self.requests += m.invocations;
        let simulated_s = (m.minute + 1) as f64 * 60.0;
        let rate = self.requests as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
        let rate =
            if rate >= 1e6 { format!("{:.2} M requests/s", rate / 1e6) } else { format!("{rate:.0} requests/s") };
        if simulated_s < self.duration_s {
            self.bar.set_position(simulated_s as u64);
            self.bar.set_message(rate);
        } else {
            // Arrivals are over: the run drains what is in flight.
            self.bar.set_position(self.duration_s.ceil() as u64);
            self.bar.set_message(format!("draining at {simulated_s:.0} s, {rate}"));
        }
    }
}

impl mmesim::core::MinuteSink for RunSinks {
    fn begin(&mut self, zones: &[String]) -> Result<(), mmesim::core::SinkError> {
        self.metrics.as_mut().map_or(Ok(()), |m| m.begin(zones))
    }

    fn minute(&mut self, minute: &mmesim::core::MinuteMetrics) -> Result<(), mmesim::core::SinkError> {
        if let Some(t) = &mut self.timeline {
            t.add(minute);
        }
        if let Some(p) = &mut self.progress {
            p.minute(minute);
        }
        self.metrics.as_mut().map_or(Ok(()), |m| m.minute(minute))
    }

    fn rows(&mut self, rows: &[mmesim::core::MetricRow]) -> Result<(), mmesim::core::SinkError> {
        self.metrics.as_mut().map_or(Ok(()), |m| m.rows(rows))
    }

    fn end(&mut self) -> Result<(), mmesim::core::SinkError> {
        self.metrics.as_mut().map_or(Ok(()), |m| m.end())
    }
}

/// The warning of a run stopped at its horizon with work in flight.
fn truncation_warning(file: &std::path::Path, s: &mmesim::Scenario, t: &mmesim::core::Truncation) -> String {
    let at = t.at.as_secs_f64();
    format!(
        "{}: the run was stopped at {at} s simulated, {} s after its arrivals ended (`duration_s` = {}): a run \
         drains for at most `duration_s`, and at least {} s (guide §6). Still in flight then, and in none of the \
         report's outcomes: {} requests, {} downloads, loads, unloads or launches, {} busy inference slots. \
         A service time, download, load or timeout longer than that?",
        file.display(),
        at - s.duration_s,
        s.duration_s,
        mmesim::core::MIN_DRAIN_LIMIT_S,
        t.requests,
        t.operations,
        t.busy_slots
    )
}
