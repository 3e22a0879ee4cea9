//! `mmesim calibrate` through the real binary: a simulated endpoint's
//! exported metrics calibrate a scenario into a twin that `run` accepts;
//! the JSON output; no progress bar when stderr is not a terminal; and bad
//! input as one-line errors naming the file and the series.

mod common;

use common::{expect_one_line_error, mmesim, temp_dir};

const BASE: &str = r#"
name = "cli-base"
seed = 3
duration_s = 900.0
warmup_s = 120.0
[cluster]
instance_type = "ml.m5.xlarge"
[models]
count = 10
memory_mib = { dist = "constant", value = 50.0 }
service_ms = 10.0
[workload]
arrival = { process = "poisson", rate_per_s = 10.0 }
"#;

/// Writes the base scenario and the metrics of a "real" endpoint that
/// serves 1.5× slower with 3 ms of overhead; returns (dir, base, metrics).
fn setup(test: &str) -> (std::path::PathBuf, String, String) {
    let dir = temp_dir("calibrate-cli", test);
    let base = dir.join("base.toml");
    let truth = dir.join("truth.toml");
    let metrics = dir.join("metrics.json");
    std::fs::write(&base, BASE).expect("write");
    let t = BASE
        .replace("service_ms = 10.0", "service_ms = 10.0\nservice_scale = 1.5")
        .replace("instance_type = \"ml.m5.xlarge\"", "instance_type = \"ml.m5.xlarge\"\nrequest_overhead_ms = 3.0");
    std::fs::write(&truth, t).expect("write");
    let out = mmesim(&[
        "run",
        truth.to_str().unwrap_or(""),
        "--metrics",
        metrics.to_str().unwrap_or(""),
        "--metrics-format",
        "cloudwatch-json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    (dir, base.display().to_string(), metrics.display().to_string())
}

#[test]
fn calibrates_a_twin_that_runs() {
    let (dir, base, metrics) = setup("twin");
    let twin = dir.join("twin.toml");
    let out = mmesim(&["calibrate", &base, "--metrics", &metrics, "--out", twin.to_str().unwrap_or("")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("| service_scale | 1 | 1.5 | ModelLatency | +10.0 % | fitted |"), "{stdout}");
    assert!(stdout.contains("| request_overhead_ms | 0 | 3 |"), "{stdout}");
    assert!(stdout.contains("not identifiable: no unloads in the window"), "{stdout}");
    // No progress bar on a pipe: one summary line.
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("mmesim: calibrated in "), "{stderr}");
    // The twin is a scenario `run` takes, with the fitted fields.
    let text = std::fs::read_to_string(&twin).expect("twin written");
    assert!(text.starts_with("# Calibrated by `mmesim calibrate` from "), "{text}");
    assert!(text.contains("service_scale = 1.5"), "{text}");
    let run = mmesim(&["run", twin.to_str().unwrap_or(""), "--json"]);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    // And `recommend` takes it unchanged (a what-if over another type).
    let twin_s = twin.to_str().unwrap_or("");
    let args = ["recommend", twin_s, "--p99-ms", "1000", "--types", "ml.r5.xlarge", "--max-instances", "2", "-q"];
    let rec = mmesim(&args);
    assert_eq!(rec.status.code(), Some(0), "{}", String::from_utf8_lossy(&rec.stderr));
    assert!(String::from_utf8_lossy(&rec.stdout).contains("ml.r5.xlarge"));
}

#[test]
fn json_output() {
    let (_dir, base, metrics) = setup("json");
    let out = mmesim(&["calibrate", &base, "--metrics", &metrics, "--json", "--fix", "request_overhead_ms"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let params = v["parameters"].as_array().expect("parameters");
    let p = |name: &str| params.iter().find(|p| p["name"] == name).cloned().unwrap_or_default();
    assert_eq!(p("service_scale")["status"], "fitted");
    assert_eq!(p("service_scale")["fitted"], 1.5);
    assert_eq!(p("request_overhead_ms")["status"], "fixed");
    assert_eq!(v["set"]["models.service_scale"], 1.5);
    assert_eq!(v["window_min"], serde_json::json!([2, 15]));
}

#[test]
fn bad_input_is_one_line_naming_file_and_series() {
    let (dir, base, metrics) = setup("bad");
    let missing = dir.join("nope.json").display().to_string();
    expect_one_line_error(&["calibrate", &base, "--metrics", &missing], &["nope.json", "cannot read"]);
    let csv = dir.join("m.csv");
    std::fs::write(&csv, "timestamp,metric,dimension,statistic,value\n2026-11-30T10:00:00Z,Invocatons,,Sum,5\n")
        .expect("write");
    expect_one_line_error(
        &["calibrate", &base, "--metrics", csv.to_str().unwrap_or("")],
        &["m.csv", "Invocatons Sum", "unknown metric name"],
    );
    std::fs::write(&csv, "timestamp,metric,dimension,statistic,value\n2026-11-30T10:00:00Z,Invocations,,Sum,5\n")
        .expect("write");
    expect_one_line_error(
        &["calibrate", &base, "--metrics", csv.to_str().unwrap_or("")],
        &["m.csv", "ModelLatency Average", "missing series"],
    );
    expect_one_line_error(&["calibrate", &base, "--metrics", &metrics, "--fix", "speed"], &["--fix", "`speed`"]);
    expect_one_line_error(&["calibrate", &base, "--metrics", &metrics, "--window", "60"], &["--window", "FROM,TO"]);
    expect_one_line_error(&["calibrate", &base, "--metrics", &metrics, "--tolerance", "0"], &["--tolerance"]);
    // The output directory is checked before any run.
    let out = dir.join("no/such/dir/twin.toml").display().to_string();
    expect_one_line_error(&["calibrate", &base, "--metrics", &metrics, "--out", &out], &["--out", "no directory"]);
}

#[test]
fn cloudwatch_csv_calibrates_as_the_json_does() {
    let (dir, base, metrics) = setup("csv");
    let csv = dir.join("metrics.csv");
    let truth = dir.join("truth.toml");
    let args = [
        "run",
        truth.to_str().unwrap_or(""),
        "--metrics",
        csv.to_str().unwrap_or(""),
        "--metrics-format",
        "cloudwatch-csv",
        "--metrics-endpoint-only",
    ];
    assert_eq!(mmesim(&args).status.code(), Some(0));
    let text = std::fs::read_to_string(&csv).expect("csv written");
    assert!(text.starts_with("timestamp,metric,dimension,statistic,value\n1970-01-01T00:00:00+00:00,Invocations,,Sum,"));
    assert!(!text.contains("instance="), "endpoint only");
    let a = mmesim(&["calibrate", &base, "--metrics", &metrics]);
    let b = mmesim(&["calibrate", &base, "--metrics", csv.to_str().unwrap_or("")]);
    let body =
        |o: &std::process::Output| String::from_utf8_lossy(&o.stdout).lines().skip(1).collect::<Vec<_>>().join("\n");
    assert!(!body(&a).is_empty());
    assert_eq!(body(&a), body(&b), "the two formats give the same twin");
    // --metrics-endpoint-only needs a CloudWatch format.
    expect_one_line_error(
        &["run", truth.to_str().unwrap_or(""), "--metrics", csv.to_str().unwrap_or(""), "--metrics-endpoint-only"],
        &["--metrics-endpoint-only"],
    );
    expect_one_line_error(
        &[
            "run",
            truth.to_str().unwrap_or(""),
            "--metrics",
            csv.to_str().unwrap_or(""),
            "--metrics-start",
            "2026-11-30T09:00:00Z",
        ],
        &["--metrics-start", "cloudwatch-json"],
    );
}
