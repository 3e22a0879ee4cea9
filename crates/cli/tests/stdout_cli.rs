//! `-` as standard output for every file-output flag (`run --metrics -`,
//! `--plot -`, `sweep`/`merge --csv -`/`--jsonl -`, `cache --plot -`,
//! `recommend --plot -`, `calibrate --out -`): the same bytes the file
//! gets, the displaced text report on stderr, two outputs to stdout refused
//! before any work, and a closed pipe that ends the command quietly with
//! exit code 0. Also `recommend`'s exit code 4 when nothing meets the
//! targets.

mod common;

use common::{expect_one_line_error, mmesim, temp_dir};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

const SCENARIO: &str = r#"
name = "stdout-cli"
duration_s = 180.0
warmup_s = 30.0
[cluster]
instance_type = "ml.m5.xlarge"
instances = 2
[models]
count = 10
[workload]
arrival = { process = "poisson", rate_per_s = 10.0 }
"#;

/// A longer run: its metrics CSV is far larger than a pipe's buffer, so a
/// reader that stops early closes the pipe while it is still written.
const LONG: &str = r#"
name = "stdout-long"
duration_s = 7200.0
[cluster]
instance_type = "ml.m5.xlarge"
instances = 4
[models]
count = 20
[workload]
arrival = { process = "poisson", rate_per_s = 5.0 }
"#;

/// A run of a few milliseconds, for sweeps of many points.
const TINY: &str = r#"
name = "stdout-tiny"
duration_s = 30.0
[cluster]
instance_type = "ml.m5.large"
[models]
count = 3
[workload]
arrival = { process = "poisson", rate_per_s = 2.0 }
"#;

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    s(&p).to_string()
}

/// Runs mmesim, expecting exit code 0; (stdout, stderr).
fn ok(args: &[&str]) -> (String, String) {
    let out = mmesim(args);
    let (stdout, stderr) =
        (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned());
    assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    (stdout, stderr)
}

/// Spawns mmesim with stdout on a pipe, reads its first line, closes the
/// pipe, and checks that the command still ends with code 0 and no panic
/// or error on stderr. Returns the line read.
fn first_line_then_close(args: &[&str]) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mmesim"))
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn mmesim");
    let mut line = String::new();
    {
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        out.read_line(&mut line).expect("read a line");
        // `out` is dropped here: the read end of the pipe closes.
    }
    let result = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(0), "{args:?} after a closed pipe: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    assert!(!stderr.contains("error"), "{args:?}: {stderr}");
    assert!(!stderr.to_lowercase().contains("broken pipe"), "{args:?}: {stderr}");
    line
}

#[test]
fn run_metrics_dash_writes_the_files_bytes_to_stdout_and_the_summary_to_stderr() {
    let d = temp_dir("stdout-cli", "run-metrics");
    let scen = write(&d, "s.toml", SCENARIO);
    let file = d.join("m.csv");
    let (summary, _) = ok(&["run", &scen, "--metrics", s(&file)]);
    let (stdout, stderr) = ok(&["run", &scen, "--metrics", "-"]);
    assert_eq!(stdout, std::fs::read_to_string(&file).unwrap());
    assert!(stdout.starts_with("minute,time_s,metric,dimension,value,sample_count\n"), "{stdout}");
    // The summary the file run printed on stdout is on stderr instead.
    assert!(stderr.starts_with(&summary), "summary:\n{summary}\nstderr:\n{stderr}");
    // The CloudWatch formats too.
    let cw = d.join("m.json");
    ok(&["run", &scen, "--metrics", s(&cw), "--metrics-format", "cloudwatch-json"]);
    let (stdout, _) = ok(&["run", &scen, "--metrics", "-", "--metrics-format", "cloudwatch-json"]);
    assert_eq!(stdout, std::fs::read_to_string(&cw).unwrap());
    assert!(stdout.starts_with("{\n  \"MetricDataResults\": ["), "{}", &stdout[..80]);
}

#[test]
fn run_plot_dash_writes_the_svg_to_stdout() {
    let d = temp_dir("stdout-cli", "run-plot");
    let scen = write(&d, "s.toml", SCENARIO);
    let file = d.join("t.svg");
    ok(&["run", &scen, "--plot", s(&file)]);
    let (stdout, stderr) = ok(&["run", &scen, "--plot", "-"]);
    assert_eq!(stdout, std::fs::read_to_string(&file).unwrap());
    assert!(stdout.starts_with("<svg "), "{}", &stdout[..80.min(stdout.len())]);
    assert!(stderr.starts_with("scenario \"stdout-cli\" (seed 42)"), "{stderr}");
    // No temporary file is left behind.
    let left: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with("-stdout.svg"))
        .filter(|e| e.file_name().to_string_lossy().starts_with("mmesim-"))
        .collect();
    assert!(left.iter().all(|e| std::fs::read_to_string(e.path()).map_or(true, |t| t != stdout)), "{left:?}");
}

#[test]
fn two_outputs_to_stdout_are_refused_before_any_work() {
    let d = temp_dir("stdout-cli", "two");
    let scen = write(&d, "s.toml", SCENARIO);
    expect_one_line_error(&["run", &scen, "--json", "--metrics", "-"], &["--json and --metrics -", "standard output"]);
    expect_one_line_error(&["run", &scen, "--metrics", "-", "--plot", "-"], &["--metrics - and --plot -"]);
    expect_one_line_error(&["run", &scen, "--json", "--plot", "-"], &["--json and --plot -"]);
    let sweep = write(&d, "sw.toml", "base = \"s.toml\"\n[axes]\nseed = [1, 2]\n");
    expect_one_line_error(&["sweep", &sweep, "--csv", "-", "--jsonl", "-"], &["--csv - and --jsonl -"]);
    expect_one_line_error(&["merge", "nonexistent.jsonl", "--csv", "-", "--jsonl", "-"], &["--csv - and --jsonl -"]);
    expect_one_line_error(&["recommend", &scen, "--p99-ms", "100", "--json", "--plot", "-"], &["--json and --plot -"]);
    expect_one_line_error(
        &["calibrate", &scen, "--metrics", "nonexistent.json", "--json", "--out", "-"],
        &["--json and --out -"],
    );
    // Before any work: a missing scenario is not even read.
    expect_one_line_error(&["run", "missing.toml", "--json", "--metrics", "-"], &["--json and --metrics -"]);
}

#[test]
fn sweep_and_merge_write_csv_or_jsonl_to_stdout() {
    let d = temp_dir("stdout-cli", "sweep");
    write(&d, "s.toml", SCENARIO);
    let sweep = write(&d, "sw.toml", "base = \"s.toml\"\n[axes]\nseed = [1, 2, 3]\n");
    let (csv_file, jsonl_file) = (d.join("r.csv"), d.join("r.jsonl"));
    ok(&["sweep", &sweep, "--csv", s(&csv_file), "--jsonl", s(&jsonl_file), "-q"]);
    let (csv, jsonl) = (std::fs::read_to_string(&csv_file).unwrap(), std::fs::read_to_string(&jsonl_file).unwrap());
    assert_eq!(csv.lines().count(), 4);
    assert_eq!(jsonl.lines().count(), 3);
    assert_eq!(ok(&["sweep", &sweep, "--csv", "-", "-q"]).0, csv);
    assert_eq!(ok(&["sweep", &sweep, "--jsonl", "-", "-q"]).0, jsonl);
    // One to stdout, the other to a file.
    let other = d.join("o.jsonl");
    assert_eq!(ok(&["sweep", &sweep, "--csv", "-", "--jsonl", s(&other), "-q"]).0, csv);
    assert_eq!(std::fs::read_to_string(&other).unwrap(), jsonl);
    // merge, from the JSON Lines.
    assert_eq!(ok(&["merge", s(&jsonl_file), "--csv", "-"]).0, csv);
    assert_eq!(ok(&["merge", s(&jsonl_file), "--jsonl", "-"]).0, jsonl);
    let other_csv = d.join("m.csv");
    assert_eq!(ok(&["merge", s(&jsonl_file), "--jsonl", "-", "--csv", s(&other_csv)]).0, jsonl);
    assert_eq!(std::fs::read_to_string(&other_csv).unwrap(), csv);
    // `-` is never created as a file.
    assert!(!Path::new("-").exists() && !d.join("-").exists());
}

#[test]
fn cache_plot_dash_writes_the_svg_and_the_table_goes_to_stderr() {
    let d = temp_dir("stdout-cli", "cache");
    let trace = d.join("t.og");
    ok(&["synth-trace", "--out", s(&trace), "--objects", "200", "--requests", "5000"]);
    let args = ["cache", "--trace", s(&trace), "--format", "oracle-general", "--policy", "lru", "--size", "10%"];
    let (table, _) = ok(&args);
    let (svg, stderr) = ok(&[&args[..], &["--plot", "-"]].concat());
    assert!(svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"), "{}", &svg[..80.min(svg.len())]);
    assert!(stderr.starts_with(&table), "table:\n{table}\nstderr:\n{stderr}");
}

#[test]
fn calibrate_out_dash_writes_the_twin_to_stdout() {
    let d = temp_dir("stdout-cli", "calibrate");
    let base = write(&d, "base.toml", SCENARIO);
    let metrics = d.join("m.json");
    ok(&["run", &base, "--metrics", s(&metrics), "--metrics-format", "cloudwatch-json"]);
    let twin = d.join("twin.toml");
    let fix = "service_scale,cpu_per_request,load_overhead_ms,model_overhead_mib,memory_watermark,unload_ms";
    let common = ["calibrate", &base, "--metrics", s(&metrics), "--fix", fix, "-q"];
    let (table, _) = ok(&[&common[..], &["--out", s(&twin)]].concat());
    let (toml, stderr) = ok(&[&common[..], &["--out", "-"]].concat());
    assert_eq!(toml, std::fs::read_to_string(&twin).unwrap());
    assert!(toml.starts_with("# Calibrated by `mmesim calibrate` from "), "{toml}");
    assert!(stderr.starts_with(table.trim_end()), "table:\n{table}\nstderr:\n{stderr}");
}

#[test]
fn a_closed_pipe_ends_each_stdout_output_quietly_with_exit_code_0() {
    let d = temp_dir("stdout-cli", "pipe");
    let long = write(&d, "long.toml", LONG);
    let first = first_line_then_close(&["run", &long, "--metrics", "-"]);
    assert_eq!(first, "minute,time_s,metric,dimension,value,sample_count\n");
    let first = first_line_then_close(&["run", &long, "--metrics", "-", "--metrics-format", "cloudwatch-csv"]);
    assert_eq!(first, "timestamp,metric,dimension,statistic,value\n");
    let first = first_line_then_close(&["run", &long, "--metrics", "-", "--metrics-format", "cloudwatch-json"]);
    assert_eq!(first, "{\n");
    let first = first_line_then_close(&["run", &long, "--plot", "-"]);
    assert!(first.starts_with("<svg "), "{first}");
    // The files a run writes besides are still written.
    let first = first_line_then_close(&["run", &long, "--metrics", "-", "--plot", s(&d.join("t.svg"))]);
    assert!(first.starts_with("minute,"), "{first}");
    assert!(std::fs::read_to_string(d.join("t.svg")).unwrap().starts_with("<svg "));
    // Sweeps and merges: more rows (> 64 KiB) than a pipe holds, one read.
    write(&d, "tiny.toml", TINY);
    let seeds: Vec<String> = (1..=400).map(|i| i.to_string()).collect();
    let sweep = write(&d, "sw.toml", &format!("base = \"tiny.toml\"\n[axes]\nseed = [{}]\n", seeds.join(", ")));
    let first = first_line_then_close(&["sweep", &sweep, "--csv", "-", "-q"]);
    assert!(first.starts_with("point,points,seed,"), "{first}");
    let first = first_line_then_close(&["sweep", &sweep, "--jsonl", "-", "-q"]);
    assert!(first.starts_with("{\"point\":0,"), "{first}");
    let jsonl = d.join("r.jsonl");
    ok(&["sweep", &sweep, "--jsonl", s(&jsonl), "-q"]);
    let first = first_line_then_close(&["merge", s(&jsonl), "--csv", "-"]);
    assert!(first.starts_with("point,points,seed,"), "{first}");
    let first = first_line_then_close(&["merge", s(&jsonl), "--jsonl", "-"]);
    assert!(first.starts_with("{\"point\":0,"), "{first}");
}

/// The recommend scenario: small and quick to judge.
const RECOMMEND: &str = r#"
name = "stdout-recommend"
duration_s = 120.0
warmup_s = 30.0
[cluster]
instance_type = "ml.m5.large"
[models]
count = 10
memory_mib = { dist = "constant", value = 100.0 }
service_ms = 20.0
[workload]
arrival = { process = "poisson", rate_per_s = 20.0 }
"#;

#[test]
fn recommend_exits_4_when_no_configuration_meets_the_targets() {
    let d = temp_dir("stdout-cli", "recommend");
    let scen = write(&d, "r.toml", RECOMMEND);
    let args = ["recommend", &scen, "--types", "ml.m5.large", "--max-instances", "2", "--seeds", "1", "-q"];
    // Satisfiable: exit code 0, the cheapest named.
    let out = mmesim(&[&args[..], &["--p99-ms", "5000"]].concat());
    let table = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(table.contains("cheapest     1 × ml.m5.large"), "{table}");
    // Impossible (a p99 below the 20 ms service time): the same report of
    // what was tried, then exit code 4.
    let out = mmesim(&[&args[..], &["--p99-ms", "1"]].concat());
    let table = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(table.contains("(no configuration meets the targets)"), "{table}");
    assert!(table.contains("no fit       ml.m5.large even at 2 instances: p99 "), "{table}");
    assert!(table.ends_with("cheapest     none: raise --max-instances, relax the targets or add types\n"), "{table}");
    assert!(!stderr.contains("error") && !stderr.contains("panicked"), "{stderr}");
    // --json too: the recommendation as data, and exit code 4.
    let out = mmesim(&[&args[..], &["--p99-ms", "1", "--json"]].concat());
    assert_eq!(out.status.code(), Some(4));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["ranked"].as_array().map(Vec::len), Some(0));
    // --plot - with no configuration: the frontier SVG on stdout, exit code 4.
    let out = mmesim(&[&args[..], &["--p99-ms", "1", "--plot", "-"]].concat());
    assert_eq!(out.status.code(), Some(4), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("<svg "));
    assert!(String::from_utf8_lossy(&out.stderr).contains("(no configuration meets the targets)"));
}
