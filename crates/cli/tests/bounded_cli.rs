//! `mmesim run` in bounded memory: a run whose work outlasts its horizon
//! stops there with a warning naming the file and what was in flight, and
//! its `--metrics` file and `--plot` cover that day, not the work's end; a
//! `--metrics` file that cannot be created is an error before the run.

mod common;

use common::{expect_one_line_error, mmesim, temp_dir};

/// Every model's download takes 10^9 ms (11.6 days).
const SLOW: &str = r#"
name = "slow-download"
duration_s = 120.0
[cluster]
instance_type = "ml.m5.xlarge"
instances = 2
download_overhead_ms = 1e9
[models]
count = 3
[workload]
arrival = { process = "poisson", rate_per_s = 1.0 }
"#;

#[test]
fn a_run_past_its_horizon_warns_and_its_files_stop_there() {
    let d = temp_dir("bounded-cli", "horizon");
    let scen = d.join("slow.toml");
    std::fs::write(&scen, SLOW).unwrap();
    let (csv, svg) = (d.join("m.csv"), d.join("t.svg"));
    let out = mmesim(&[
        "run",
        scen.to_str().unwrap(),
        "--json",
        "--metrics",
        csv.to_str().unwrap(),
        "--plot",
        svg.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let warning = stderr.lines().find(|l| l.starts_with("mmesim: warning: ")).unwrap_or_else(|| panic!("{stderr}"));
    for needle in [
        scen.to_str().unwrap(),
        "stopped at 86520 s simulated, 86400 s after its arrivals ended (`duration_s` = 120)",
        "requests, 3 downloads, loads, unloads or launches",
        "guide §6",
    ] {
        assert!(warning.contains(needle), "`{needle}` in {warning}");
    }
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["simulated_s"], 86_520.0);
    let text = std::fs::read_to_string(&csv).unwrap();
    let last: u64 = text.lines().last().unwrap().split(',').next().unwrap().parse().unwrap();
    assert_eq!(last, 1441, "a day of minutes");
    assert!(std::fs::read_to_string(&svg).unwrap().contains("slow-download"));
}

#[test]
fn a_metrics_file_that_cannot_be_created_is_an_error() {
    let d = temp_dir("bounded-cli", "create");
    let scen = d.join("s.toml");
    std::fs::write(&scen, SLOW).unwrap();
    let bad = d.join("no-such-dir").join("m.csv");
    expect_one_line_error(
        &["run", scen.to_str().unwrap(), "--metrics", bad.to_str().unwrap()],
        &["--metrics: no directory", "no-such-dir"],
    );
}
