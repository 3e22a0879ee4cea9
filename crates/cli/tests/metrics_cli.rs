//! `mmesim run --metrics FILE --metrics-format csv|cloudwatch-json`: the
//! CSV is the default and unchanged; the CloudWatch JSON reads back
//! through `mmesim::cloudwatch` with the CSV's endpoint values.

mod common;

use common::{expect_one_line_error, mmesim, temp_dir};
use mmesim::cloudwatch::{self, Statistic};

const SCENARIO: &str = r#"
name = "metrics-cli"
duration_s = 180.0
[cluster]
instance_type = "ml.m5.xlarge"
instances = 2
[models]
count = 10
[workload]
arrival = { process = "poisson", rate_per_s = 10.0 }
"#;

fn run(args: &[&str]) {
    let out = mmesim(args);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn csv_is_the_default_and_json_reads_back() {
    let d = temp_dir("metrics-cli", "formats");
    let scen = d.join("s.toml");
    std::fs::write(&scen, SCENARIO).unwrap();
    let s = scen.to_str().unwrap();
    let (a, b, j) = (d.join("a.csv"), d.join("b.csv"), d.join("m.json"));
    run(&["run", s, "--metrics", a.to_str().unwrap()]);
    run(&["run", s, "--metrics", b.to_str().unwrap(), "--metrics-format", "csv"]);
    let csv = std::fs::read_to_string(&a).unwrap();
    assert!(csv.starts_with("minute,time_s,metric,dimension,value,sample_count\n"));
    assert_eq!(csv, std::fs::read_to_string(&b).unwrap(), "--metrics-format csv is the default");

    let start = "2026-11-30T10:00:00Z";
    run(&["run", s, "--metrics", j.to_str().unwrap(), "--metrics-format", "cloudwatch-json", "--metrics-start", start]);
    let text = std::fs::read_to_string(&j).unwrap();
    assert!(text.contains("\"MetricDataResults\"") && text.contains("2026-11-30T10:02:00+00:00"), "{text}");
    let back = cloudwatch::parse_get_metric_data_json(&text, "m.json").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back.start_unix_s, cloudwatch::parse_rfc3339(start).unwrap());
    // Every endpoint row of the CSV is in the JSON (times in ms after import).
    let mut n = 0;
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f[3] != "endpoint" {
            continue;
        }
        let (minute, metric, value): (u64, &str, f64) = (f[0].parse().unwrap(), f[2], f[4].parse().unwrap());
        let st = if matches!(
            metric,
            "Invocations" | "InvocationsPerInstance" | "Invocation4XXErrors" | "Invocation5XXErrors"
        ) {
            Statistic::Sum
        } else {
            Statistic::Average
        };
        let series = back.require(metric, st, "endpoint").unwrap_or_else(|e| panic!("{e}"));
        let got = series.points.iter().find(|p| p.0 == minute).map(|p| p.1).unwrap();
        // CloudWatch sums CPUUtilization over the vCPUs (4 on ml.m5.xlarge).
        let value = if metric == "CPUUtilization" { value * 4.0 } else { value };
        // LoadedModelCount's Average is per instance (2 in service here).
        let value = if metric == "LoadedModelCount" { value / 2.0 } else { value };
        assert!((got - value).abs() <= 1e-9 * value.abs().max(1.0), "{metric} minute {minute}: {got} vs {value}");
        n += 1;
    }
    assert!(n > 0);
    // Instances are exported too.
    assert!(back.get("Invocations", Statistic::Sum, "instance=0").is_some());
}

#[test]
fn bad_metrics_start() {
    let d = temp_dir("metrics-cli", "start");
    let scen = d.join("s.toml");
    std::fs::write(&scen, SCENARIO).unwrap();
    let m = d.join("m.json");
    let args = ["run", scen.to_str().unwrap(), "--metrics", m.to_str().unwrap(), "--metrics-format", "cloudwatch-json"];
    let mut with = args.to_vec();
    with.extend(["--metrics-start", "2026-11-30T10:00:30Z"]);
    expect_one_line_error(&with, &["--metrics-start", "whole minute"]);
    // An unknown format is clap's usage error.
    let out = mmesim(&["run", scen.to_str().unwrap(), "--metrics", m.to_str().unwrap(), "--metrics-format", "xml"]);
    assert_eq!(out.status.code(), Some(2));
}
