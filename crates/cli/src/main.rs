//! The `mmesim` command-line tool.
//!
//! ```text
//! mmesim run SCENARIO.toml [--seed N] [--json]
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
    },
}

fn run(cli: Cli) -> Result<(), mmesim::Error> {
    match cli.command {
        Command::Run { scenario, seed, json } => {
            let mut s = mmesim::Scenario::from_file(&scenario)?;
            if let Some(seed) = seed {
                s.seed = seed;
            }
            let started = Instant::now();
            let out = s.run()?;
            let wall = started.elapsed().as_secs_f64();
            if json {
                println!("{}", mmesim::to_json(&out.report));
            } else {
                print!("{}", mmesim::summary_table(&out.report));
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
    }
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
