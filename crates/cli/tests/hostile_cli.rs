//! Issue 13 through the real binary: hostile scenarios and traces are one
//! line on stderr and exit code 1 (a hang, a panic or an empty run
//! before); a legal setting that is surely a mistake is a `warning:` line
//! on stderr, and the run goes on.

mod common;
use common::{expect_one_line_error, mmesim, temp_dir};

#[test]
fn hostile_scenarios_are_one_line_errors() {
    let dir = temp_dir("hostile-cli", "scenarios");
    for (name, toml, needles) in [
        (
            "mmpp.toml",
            "[workload]\narrival = { process = \"mmpp\", states = [[100.0, 1e-12]] }\n",
            &["`workload.arrival`", "`states[0]`: mean sojourn must be at least 0.001 s"][..],
        ),
        (
            "gamma.toml",
            "[models]\nservice_ms = { dist = \"gamma\", shape = 1e300, mean = 1e-30 }\n",
            &["`models`: `service_ms`: `mean`", "cannot be sampled"][..],
        ),
        ("duration.toml", "duration_s = 1e-12\n", &["`duration_s`: must be at least 0.001 s"][..]),
        (
            "nan.toml",
            "[routing]\npolicy = \"sticky\"\nspill_factor = nan\n",
            &["`routing`: `spill_factor` must be a positive number, got NaN"][..],
        ),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, toml).unwrap();
        let p = path.to_str().unwrap();
        let mut all = vec![p];
        all.extend_from_slice(needles);
        expect_one_line_error(&["run", p], &all);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn gpu_utilization_on_a_cpu_type_warns_and_runs() {
    let dir = temp_dir("hostile-cli", "warning");
    let path = dir.join("gpu.toml");
    std::fs::write(
        &path,
        "duration_s = 60.0\n[autoscaling]\npolicy = \"target-tracking\"\nmetric = \"GPUUtilization\"\n",
    )
    .unwrap();
    let out = mmesim(&["run", path.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let want = format!(
        "warning: {}: autoscaling.metric: `GPUUtilization` on `ml.m5.xlarge`, which has no GPU",
        path.display()
    );
    assert!(stderr.lines().next().is_some_and(|l| l.starts_with(&want)), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("requests"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_csv_read_as_oracle_general_is_one_line_error() {
    let dir = temp_dir("hostile-cli", "oracle-text");
    let path = dir.join("t.csv");
    let csv = "timestamp_s,object,size_bytes\n0,1,100\n1,2,20000\n";
    assert_eq!(csv.len() % 24, 0);
    std::fs::write(&path, csv).unwrap();
    let p = path.to_str().unwrap();
    expect_one_line_error(
        &["cache", "--trace", p, "--format", "oracle-general", "--policy", "lru", "--size", "1000"],
        &[p, "record 1 (byte offset 0): this is text, not oracle-general's binary records", "format `csv`"],
    );
    let _ = std::fs::remove_dir_all(&dir);
}
