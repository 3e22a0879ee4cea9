//! `mmesim::cloudwatch`: a run's per-minute metrics written as
//! `get-metric-data` JSON and read back equal to the run's rows; and bad
//! exports (JSON and CSV) rejected with the file and the series named.

mod common;

use mmesim::cloudwatch::{self, ExportOptions, Statistic};
use mmesim::core::Dimension;

const SCENARIO: &str = r#"
    name = "cw"
    duration_s = 300.0
    [cluster]
    instance_type = "ml.m5.xlarge"
    instances = 2
    [models]
    count = 40
    memory_mib = { dist = "constant", value = 2500.0 }
    [workload]
    arrival = { process = "poisson", rate_per_s = 20.0 }
"#;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn round_trip_equals_the_runs_rows() {
    let out = common::run_checked(&common::scenario(SCENARIO));
    assert!(!out.metrics.is_empty());
    let opts = ExportOptions { start_unix_s: 1_796_032_800, all_dimensions: true, vcpus: 1 }; // 2026-11-30T10:00:00Z
    let json = cloudwatch::to_get_metric_data_json(&out, &opts);
    assert!(json.contains("\"Timestamps\""), "{json}");
    assert!(json.contains("2026-11-30T10:00:00+00:00"), "minute 0 at the start");
    // Deterministic.
    assert_eq!(json, cloudwatch::to_get_metric_data_json(&out, &opts));
    let back = cloudwatch::parse_get_metric_data_json(&json, "sim.json").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back.start_unix_s, opts.start_unix_s);
    let mut unloads = 0.0;
    for r in &out.metrics {
        let dim = match r.dimension {
            Dimension::Endpoint => "endpoint".to_string(),
            Dimension::Zone(z) => format!("zone={}", out.report.zones[z as usize].name),
            Dimension::Instance(i) => format!("instance={i}"),
        };
        let sum = matches!(
            r.metric,
            "Invocations" | "InvocationsPerInstance" | "Invocation4XXErrors" | "Invocation5XXErrors"
        );
        let st = if sum { Statistic::Sum } else { Statistic::Average };
        let s = back.require(r.metric, st, &dim).unwrap_or_else(|e| panic!("{e}"));
        let &(_, v) =
            s.points.iter().find(|p| p.0 == r.minute).unwrap_or_else(|| panic!("{} minute {}", s.metric, r.minute));
        let want = if r.metric == "LoadedModelCount" && r.dimension != Dimension::Instance(0) {
            // Its Average is per instance (1 per instance dimension, 2 at
            // the endpoint, 1 per zone here); its Sum is the rows' value.
            let total = back.require(r.metric, Statistic::Sum, &dim).unwrap_or_else(|e| panic!("{e}"));
            assert!(total.points.iter().any(|p| p.0 == r.minute && close(p.1, r.value)), "Sum {dim}");
            let n = out
                .metrics
                .iter()
                .find(|q| q.metric == "InstanceCount" && q.dimension == r.dimension && q.minute == r.minute)
                .map_or(1.0, |q| q.value.max(1.0));
            if matches!(r.dimension, Dimension::Instance(_)) {
                r.value
            } else {
                r.value / n
            }
        } else {
            r.value
        };
        assert!(close(v, want), "{} {st} {dim} minute {}: {v} vs {want}", r.metric, r.minute);
        if cloudwatch::MICROSECOND_METRICS.contains(&r.metric) {
            let n = back.require(r.metric, Statistic::SampleCount, &dim).unwrap_or_else(|e| panic!("{e}"));
            let &(_, c) = n.points.iter().find(|p| p.0 == r.minute).unwrap();
            assert_eq!(c, r.samples as f64, "{} SampleCount {dim} minute {}", r.metric, r.minute);
            if r.metric == "ModelUnloadingTime" && dim == "endpoint" {
                unloads += c;
            }
        }
    }
    assert!(unloads > 0.0, "the scenario evicts");
    // Times were written in microseconds.
    let lat = out.metrics.iter().find(|r| r.metric == "ModelLatency" && r.samples > 0).unwrap();
    assert!(json.contains(&format!("{}", lat.value * 1000.0)), "ModelLatency in µs");
    // Only the endpoint by default.
    let ep = cloudwatch::to_get_metric_data_json(&out, &ExportOptions::default());
    let back = cloudwatch::parse_get_metric_data_json(&ep, "ep.json").unwrap();
    assert!(back.series.iter().all(|s| s.dimension == "endpoint"));
    assert!(ep.contains("1970-01-01T00:00:00+00:00"));
}

fn gmd(label: &str, ts: &[&str], vals: &[f64]) -> String {
    serde_json::json!({
        "MetricDataResults": [
            {"Id": "inv", "Label": "Invocations Sum", "Timestamps": ["2026-11-30T10:01:00Z", "2026-11-30T10:00:00Z"],
             "Values": [3.0, 4.0], "StatusCode": "Complete"},
            {"Id": "bad1", "Label": label, "Timestamps": ts, "Values": vals, "StatusCode": "Complete"}
        ],
        "Messages": []
    })
    .to_string()
}

fn json_err(label: &str, ts: &[&str], vals: &[f64]) -> String {
    let e = cloudwatch::parse_get_metric_data_json(&gmd(label, ts, vals), "cw.json").expect_err("bad input");
    let msg = e.to_string();
    assert!(msg.starts_with("cw.json: "), "{msg}");
    assert!(msg.contains("bad1"), "names the series: {msg}");
    msg
}

const T2: [&str; 2] = ["2026-11-30T10:00:00+00:00", "2026-11-30T10:01:00+00:00"];

#[test]
fn good_json_reads_minutes_and_milliseconds() {
    let text = gmd("ModelLatency Average", &T2, &[1500.0, 2500.0]);
    let e = cloudwatch::parse_get_metric_data_json(&text, "cw.json").unwrap();
    let inv = e.require("Invocations", Statistic::Sum, "endpoint").unwrap();
    assert_eq!(inv.points, vec![(0, 4.0), (1, 3.0)], "newest first read oldest first");
    let lat = e.get("ModelLatency", Statistic::Average, "endpoint").unwrap();
    assert_eq!(lat.points, vec![(0, 1.5), (1, 2.5)], "µs → ms");
    let missing = e.require("ModelCacheHit", Statistic::Average, "endpoint").unwrap_err().to_string();
    assert!(
        missing.contains("cw.json") && missing.contains("ModelCacheHit Average") && missing.contains("missing"),
        "{missing}"
    );
    let p = gmd("ModelLatency p99 instance=2", &T2, &[1.0, 2.0]);
    let e = cloudwatch::parse_get_metric_data_json(&p, "cw.json").unwrap();
    assert!(e.get("ModelLatency", Statistic::Percentile(9900), "instance=2").is_some());
}

#[test]
fn bad_json_names_file_and_series() {
    let m = json_err("ModelLatncy Average", &T2, &[1.0, 2.0]);
    assert!(m.contains("unknown metric name `ModelLatncy`"), "{m}");
    let m = json_err("ModelLatency Mean", &T2, &[1.0, 2.0]);
    assert!(m.contains("unknown statistic `Mean`"), "{m}");
    let m = json_err("ModelLatency", &T2, &[1.0, 2.0]);
    assert!(m.contains("Label must be"), "{m}");
    let m = json_err("ModelLatency Average", &[], &[]);
    assert!(m.contains("empty series"), "{m}");
    let m = json_err(
        "ModelLatency Average",
        &["2026-11-30T10:00:00Z", "2026-11-30T10:02:00Z", "2026-11-30T10:01:00Z"],
        &[1.0, 2.0, 3.0],
    );
    assert!(m.contains("out of order"), "{m}");
    let m = json_err("ModelLatency Average", &["2026-11-30T10:00:00Z", "2026-11-30T10:00:00Z"], &[1.0, 2.0]);
    assert!(m.contains("repeated"), "{m}");
    let m = json_err("ModelLatency Average", &T2, &[1.0, -2.0]);
    assert!(m.contains("wrong units") && m.contains("negative"), "{m}");
    let m = json_err("ModelCacheHit Average", &T2, &[0.5, 85.0]);
    assert!(m.contains("wrong units") && m.contains("[0, 1]"), "{m}");
    let m = json_err("ModelLatency Average", &["2026-11-30T10:00:30Z", "2026-11-30T10:01:30Z"], &[1.0, 2.0]);
    assert!(m.contains("whole minute"), "{m}");
    let m = json_err("ModelLatency Average", &["30/11/2026 10:00"], &[1.0]);
    assert!(m.contains("RFC 3339"), "{m}");
    let m = json_err("ModelLatency Average", &T2, &[1.0]);
    assert!(m.contains("2 Timestamps but 1 Values"), "{m}");
    let m = json_err("Invocations Sum", &T2, &[1.0, 2.0]);
    assert!(m.contains("same metric"), "{m}");
    let e = cloudwatch::parse_get_metric_data_json("{\"Messages\": []}", "cw.json").unwrap_err().to_string();
    assert!(e.starts_with("cw.json: line 1") && e.contains("MetricDataResults"), "{e}");
}

const CSV_OK: &str = "timestamp,metric,dimension,statistic,value
2026-11-30T10:00:00Z,Invocations,,Sum,10
2026-11-30T10:01:00Z,Invocations,,Sum,12
2026-11-30T10:00:00Z,ModelLatency,instance=1,Average,2000
2026-11-30T10:01:00Z,ModelLatency,instance=1,Average,4000
2026-11-30T10:00:00Z,ModelUnloadingTime,endpoint,SampleCount,3
";

#[test]
fn csv_reads_and_rejects() {
    let e = cloudwatch::parse_csv(CSV_OK, "cw.csv").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(e.require("Invocations", Statistic::Sum, "endpoint").unwrap().points, vec![(0, 10.0), (1, 12.0)]);
    assert_eq!(e.require("ModelLatency", Statistic::Average, "instance=1").unwrap().points, vec![(0, 2.0), (1, 4.0)]);
    assert_eq!(e.require("ModelUnloadingTime", Statistic::SampleCount, "endpoint").unwrap().points, vec![(0, 3.0)]);
    // Series in a fixed order whatever the row order.
    let names: Vec<&str> = e.series.iter().map(|s| s.metric.as_str()).collect();
    assert_eq!(names, ["Invocations", "ModelLatency", "ModelUnloadingTime"]);

    let bad = |text: &str, wants: &[&str]| {
        let m = cloudwatch::parse_csv(text, "cw.csv").expect_err("bad input").to_string();
        assert!(m.starts_with("cw.csv: "), "{m}");
        for w in wants {
            assert!(m.contains(w), "wants {w:?}: {m}");
        }
    };
    bad("time,metric,dimension,statistic,value\n", &["line 1", "`timestamp`"]);
    bad(&CSV_OK.replace("10:01:00Z,Invocations", "10:00:00Z,Invocations"), &["line 3", "Invocations Sum", "repeated"]);
    bad(&format!("{CSV_OK}2026-11-30T09:00:00Z,Invocations,,Sum,1\n"), &["line 7", "Invocations Sum", "out of order"]);
    bad(&CSV_OK.replace("Invocations,,Sum,12", "Invocatons,,Sum,12"), &["line 3", "unknown metric name"]);
    bad(&CSV_OK.replace("Sum,12", "Total,12"), &["line 3", "`statistic`", "Total", "Invocations Total endpoint"]);
    bad(&CSV_OK.replace("Sum,12", "Sum,twelve"), &["line 3", "`value`", "twelve", "Invocations Sum endpoint"]);
    bad(&CSV_OK.replace("Sum,12", "Sum,NaN"), &["line 3", "Invocations Sum", "finite"]);
    bad(
        &CSV_OK.replace("Average,4000", "Average,-4000"),
        &["line 5", "ModelLatency Average instance=1", "wrong units"],
    );
    bad(&CSV_OK.replace("2026-11-30T10:01:00Z,Invocations", "yesterday,Invocations"), &["line 3", "`timestamp`"]);
    bad(&CSV_OK.replace("Sum,12", "Sum,12,extra"), &["line 3"]);
}
