//! The `mmesim` command-line tool.
//!
//! ```text
//! mmesim run SCENARIO.toml [--seed N] [--json] [--metrics FILE.csv] [--plot FILE.svg]
//! mmesim cache --trace FILE --format oracle-general|csv --policy P[,P…] --size BYTES|PCT%[,…]
//!              [--json] [--plot MRC.svg] [--threads N]
//! mmesim synth-trace --out FILE [--objects N] [--requests M] [--alpha A] [--object-bytes B] [--seed S] [--sparse-ids]
//! ```
//!
//! Exit codes: 0 success, 1 bad input (the message names the file and the
//! field), 2 bad command line (clap's usage message).

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Discrete-event simulator of multi-model inference endpoints.
#[derive(Parser)]
#[command(name = "mmesim", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario and print its report.
    Run {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// Override the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Print the JSON report (and nothing else) on stdout.
        #[arg(long)]
        json: bool,
        /// Write CloudWatch-style per-minute metrics (per instance, zone and
        /// endpoint) to this CSV file.
        #[arg(long)]
        metrics: Option<PathBuf>,
        /// Draw requests, hit ratio, p99, loaded models and instances over
        /// time, fault windows shaded, to this SVG file.
        #[arg(long)]
        plot: Option<PathBuf>,
    },
    /// Replay a cache trace through eviction policies at cache sizes (no
    /// cluster, no latency): miss ratio and byte miss ratio per pair.
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
    /// Write a synthetic Zipf cache trace in oracle-general form (with
    /// next-access times, so Belady can replay it).
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
}

fn run(cli: Cli) -> Result<(), mmesim::Error> {
    match cli.command {
        Command::Run { scenario, seed, json, metrics, plot } => {
            let mut s = mmesim::Scenario::from_file(&scenario)?;
            if let Some(seed) = seed {
                s.seed = seed;
            }
            let started = Instant::now();
            let opts = mmesim::RunOptions { record_metrics: metrics.is_some(), ..Default::default() };
            let out = s.run_with(opts)?;
            let wall = started.elapsed().as_secs_f64();
            if json {
                println!("{}", mmesim::to_json(&out.report));
            } else {
                print!("{}", mmesim::summary_table(&out.report));
            }
            if let Some(path) = metrics {
                std::fs::write(&path, mmesim::metrics_csv(&out))
                    .map_err(|e| mmesim::Error::usage(format!("--metrics: cannot write {}: {e}", path.display())))?;
            }
            if let Some(path) = plot {
                let title = format!("{} (seed {})", out.report.name, out.report.seed);
                mmesim::chart::timeline_svg(&path, &title, &out.minutes, &out.report.faults)?;
            }
            // Wall-clock figures go to stderr, never into the report.
            eprintln!(
                "mmesim: {} requests, {} events in {:.3} s wall ({:.2} M requests/s)",
                out.report.requests.arrived,
                out.events,
                wall,
                out.report.requests.arrived as f64 / wall.max(1e-9) / 1e6
            );
            Ok(())
        }
        Command::Cache { trace, format, policy, size, json, plot, threads } => {
            cache(trace, format, policy, size, json, plot, threads)
        }
        Command::SynthTrace { out, objects, requests, alpha, object_bytes, seed, sparse_ids } => {
            mmesim::replay::write_synthetic_trace(&out, objects, requests, alpha, object_bytes, seed, sparse_ids)
        }
    }
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
    if threads == Some(0) {
        return Err(bad("--threads", "must be at least 1".into()));
    }
    let started = Instant::now();
    let results = replay_grid(&trace, format, &policies, &sizes, threads)?;
    let wall = started.elapsed().as_secs_f64();
    if json {
        println!("{}", serde_json::to_string_pretty(&results).unwrap_or_else(|e| panic!("BUG: {e}")));
    } else {
        print!("{}", replay_table(&results));
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
        mmesim::chart::line_chart_svg(&path, &title, x_label, "miss ratio", &series, true)?;
    }
    let requests: u64 = results.iter().map(|r| r.requests).sum();
    eprintln!(
        "mmesim: {} replays, {} requests in {:.3} s wall ({:.2} M requests/s)",
        results.len(),
        requests,
        wall,
        requests as f64 / wall.max(1e-9) / 1e6
    );
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
