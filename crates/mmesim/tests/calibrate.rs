//! `mmesim::calibrate`: the round trip of the issue — an endpoint with
//! known, non-default parameters is run, its metrics exported as
//! `get-metric-data` JSON and read back, a scenario with the defaults is
//! calibrated from them, and every identifiable parameter comes back within
//! 10 % of the truth, the twin's hit ratio within 0.02 and its p99 within
//! 10 % of the original's. Then identifiability (what the metrics cannot
//! tell is left alone, and said), determinism, and bad input.

use mmesim::calibrate::{calibrate, CalibrateOptions, ParamStatus};
use mmesim::cloudwatch::{self, ExportOptions};
use mmesim::{RunOptions, Scenario};

/// What the user knows: two ml.m5.xlarge, 120 models of ~40 MiB, Zipf
/// traffic at 25 requests/s, for half an hour.
const BASE: &str = r#"
name = "rt-base"
seed = 7
duration_s = 1800.0
warmup_s = 300.0

[cluster]
instance_type = "ml.m5.xlarge"
instances = 2

[models]
count = 120
memory_mib = { dist = "lognormal", median = 40.0, sigma = 0.8 }
service_ms = { dist = "lognormal", median = 15.0, sigma = 0.5 }

[workload]
arrival = { process = "poisson", rate_per_s = 25.0 }
popularity = { dist = "zipf", alpha = 0.9 }
"#;

/// The truth: every fitted knob away from its default (the endpoint
/// thrashes: a hit ratio near 0.8).
fn truth_toml() -> String {
    BASE.replace("name = \"rt-base\"", "name = \"rt-truth\"")
        .replace(
            "instances = 2\n",
            "instances = 2\ncpu_per_request = 2\nrequest_overhead_ms = 4.0\nmodel_overhead_mib = 250.0\n\
             memory_watermark = 0.8\nmax_concurrent_loads = 2\n",
        )
        .replace("sigma = 0.5 }\n", "sigma = 0.5 }\nservice_scale = 1.4\nunload_ms = 40.0\nload_overhead_ms = 1200.0\n")
        + "\n[[instance_types]]\nname = \"ml.m5.xlarge\"\ns3_stream_mb_per_s = 43.75\ndownload_mb_per_s = 75.0\n"
}

/// The truth's values of the parameters (one download alone moves at
/// min(10 streams × 43.75, 75) = 75 MB/s).
const TRUTH: [(&str, f64); 9] = [
    ("model_overhead_mib", 250.0),
    ("memory_watermark", 0.8),
    ("unload_ms", 40.0),
    ("download_mb_per_s", 75.0),
    ("load_overhead_ms", 1200.0),
    ("max_concurrent_loads", 2.0),
    ("service_scale", 1.4),
    ("cpu_per_request", 2.0),
    ("request_overhead_ms", 4.0),
];

fn export_of(s: &Scenario) -> (mmesim::RunResult, cloudwatch::Export) {
    let out = s.run_with(RunOptions { record_metrics: true, ..Default::default() }).unwrap_or_else(|e| panic!("{e}"));
    let opts = ExportOptions {
        start_unix_s: 1_796_032_800,
        ..ExportOptions::for_scenario(s).unwrap_or_else(|e| panic!("{e}"))
    };
    let json = cloudwatch::to_get_metric_data_json(&out, &opts);
    let export = cloudwatch::parse_get_metric_data_json(&json, "truth.json").unwrap_or_else(|e| panic!("{e}"));
    (out, export)
}

fn whole_run() -> CalibrateOptions {
    // Downloads happen mostly in the warm-up: the whole run has enough of
    // them (more than 30) to identify the download bandwidth.
    CalibrateOptions { window_s: Some([0.0, 1800.0]), ..Default::default() }
}

#[test]
fn round_trip_recovers_every_parameter_within_ten_percent() {
    let truth = Scenario::from_toml_str(&truth_toml(), "truth.toml").unwrap_or_else(|e| panic!("{e}"));
    let (original, export) = export_of(&truth);
    let base = Scenario::from_toml_str(BASE, "base.toml").unwrap_or_else(|e| panic!("{e}"));
    let cal = calibrate(&base, &export, &whole_run(), &|_| {}).unwrap_or_else(|e| panic!("{e}"));
    let table = mmesim::calibrate::table(&cal);
    for (name, want) in TRUTH {
        let p = cal.param(name).unwrap_or_else(|| panic!("no parameter {name}"));
        assert_eq!(p.status, ParamStatus::Fitted, "{name} not fitted:\n{table}");
        let got = p.fitted.unwrap_or(f64::NAN);
        assert!((got - want).abs() <= 0.10 * want, "{name}: fitted {got}, truth {want}\n{table}");
        // And the defaults were really away from the truth.
        assert!((p.initial - want).abs() > 0.10 * want, "{name} started at the truth");
    }
    // The twin behaves as the original did.
    let twin = cal.twin.run().unwrap_or_else(|e| panic!("{e}"));
    let (a, b) = (&original.report, &twin.report);
    assert!(
        (a.model_cache_hit - b.model_cache_hit).abs() <= 0.02,
        "hit {} vs {}",
        a.model_cache_hit,
        b.model_cache_hit
    );
    let (p_a, p_b) = (a.latency_ms.p99, b.latency_ms.p99);
    assert!((p_a - p_b).abs() <= 0.10 * p_a, "p99 {p_a} vs {p_b}\n{table}");
    // Before calibration it did not (the test would prove nothing).
    let before = base.run().unwrap_or_else(|e| panic!("{e}")).report;
    assert!((a.model_cache_hit - before.model_cache_hit).abs() > 0.1);
    // The calibrated file reads back to the same twin, to the byte.
    let body: String = cal.scenario_toml.lines().filter(|l| !l.starts_with('#')).collect::<Vec<_>>().join("\n");
    let again = Scenario::from_toml_str(&body, "calibrated.toml").unwrap_or_else(|e| panic!("{e}\n{body}"));
    assert_eq!(mmesim::to_json(&again.run().unwrap_or_else(|e| panic!("{e}")).report), mmesim::to_json(b));
    // Every metric the export has is reported with its error.
    for m in ["Invocations", "ModelCacheHit", "ModelLatency", "MemoryUtilization", "LoadedModelCount"] {
        let f = cal.metric(m).unwrap_or_else(|| panic!("no metric {m}"));
        assert!(f.error.is_some_and(|e| e.abs() < 0.05), "{m}: {f:?}");
    }
    // Only the sampling-noise notes: no traffic mismatch, no loose fit.
    assert!(cal.warnings.iter().all(|w| w.contains("between two seeds")), "{:?}", cal.warnings);
}

#[test]
fn calibration_is_deterministic() {
    let truth = Scenario::from_toml_str(&truth_toml(), "truth.toml").unwrap_or_else(|e| panic!("{e}"));
    let (_, export) = export_of(&truth);
    let base = Scenario::from_toml_str(BASE, "base.toml").unwrap_or_else(|e| panic!("{e}"));
    let opts = CalibrateOptions { max_sweeps: 1, ..Default::default() };
    let a = calibrate(&base, &export, &opts, &|_| {}).unwrap_or_else(|e| panic!("{e}"));
    let b = calibrate(&base, &export, &opts, &|_| {}).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(serde_json::to_string(&a).ok(), serde_json::to_string(&b).ok());
    assert_eq!(a.scenario_toml, b.scenario_toml);
}

#[test]
fn what_the_metrics_cannot_tell_is_left_alone_and_said() {
    // Plenty of memory: nothing is ever unloaded, so neither the watermark
    // nor the unload time shows in the metrics; the default window (after
    // the warm-up) has no downloads or loads either.
    let roomy = BASE.replace("count = 120", "count = 20");
    let truth = Scenario::from_toml_str(&roomy.replace("median = 15.0", "median = 30.0"), "t.toml")
        .unwrap_or_else(|e| panic!("{e}"));
    let (_, export) = export_of(&truth);
    let base = Scenario::from_toml_str(&roomy, "base.toml").unwrap_or_else(|e| panic!("{e}"));
    let cal = calibrate(&base, &export, &CalibrateOptions::default(), &|_| {}).unwrap_or_else(|e| panic!("{e}"));
    let table = mmesim::calibrate::table(&cal);
    for name in ["memory_watermark", "unload_ms", "load_overhead_ms", "download_mb_per_s", "max_concurrent_loads"] {
        let p = cal.param(name).unwrap_or_else(|| panic!("{name}"));
        assert_eq!(p.status, ParamStatus::NotIdentifiable, "{name}\n{table}");
        assert!(p.reason.as_deref().is_some_and(|r| !r.is_empty()));
        assert!(p.fitted.is_none());
    }
    assert!(table.contains("not identifiable: no unloads in the window"), "{table}");
    // The twin keeps their values: nothing written for them.
    assert!(!cal.set.keys().any(|k| k.contains("memory_watermark") || k.contains("unload_ms")), "{:?}", cal.set);
    // The service scale is identified (2×), within the tolerance's reach.
    let scale = cal.param("service_scale").and_then(|p| p.fitted).unwrap_or(f64::NAN);
    assert!((scale - 2.0).abs() < 0.05, "{scale}\n{table}");
    // --fix keeps a parameter.
    let opts = CalibrateOptions { fixed: vec!["service_scale".into()], ..Default::default() };
    let fixed = calibrate(&base, &export, &opts, &|_| {}).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fixed.param("service_scale").map(|p| p.status), Some(ParamStatus::Fixed));
    assert!(!fixed.set.contains_key("models.service_scale"));
}

#[test]
fn traffic_that_does_not_match_is_warned_about() {
    let truth = Scenario::from_toml_str(&BASE.replace("rate_per_s = 25.0", "rate_per_s = 40.0"), "t.toml")
        .unwrap_or_else(|e| panic!("{e}"));
    let (_, export) = export_of(&truth);
    let base = Scenario::from_toml_str(BASE, "base.toml").unwrap_or_else(|e| panic!("{e}"));
    let opts = CalibrateOptions { max_sweeps: 1, ..Default::default() };
    let cal = calibrate(&base, &export, &opts, &|_| {}).unwrap_or_else(|e| panic!("{e}"));
    assert!(cal.warnings.iter().any(|w| w.contains("Invocations") && w.contains("-37 %")), "{:?}", cal.warnings);
}

fn csv(rows: &[(&str, &str, &str, f64)]) -> String {
    let mut s = String::from("timestamp,metric,dimension,statistic,value\n");
    for (t, m, st, v) in rows {
        s.push_str(&format!("{t},{m},,{st},{v}\n"));
    }
    s
}

fn error_of(text: &str, scenario: &Scenario) -> String {
    let export = match cloudwatch::parse_csv(text, "prod.csv") {
        Ok(e) => e,
        Err(e) => return e.to_string(),
    };
    match calibrate(scenario, &export, &CalibrateOptions::default(), &|_| {}) {
        Ok(_) => panic!("calibrated from bad input:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_exports_name_the_file_and_the_series() {
    let s = Scenario::from_toml_str(BASE, "base.toml").unwrap_or_else(|e| panic!("{e}"));
    let t0 = "2026-11-30T10:00:00Z";
    let t1 = "2026-11-30T10:01:00Z";
    let latency = ("ModelLatency", "Average", 20_000.0);
    let cases: Vec<(String, Vec<&str>)> = vec![
        // A required metric missing.
        (csv(&[(t0, "ModelLatency", "Average", 20_000.0)]), vec!["prod.csv", "Invocations Sum", "missing series"]),
        (csv(&[(t0, "Invocations", "Sum", 1500.0)]), vec!["prod.csv", "ModelLatency Average", "missing series"]),
        // Wrong units: a negative time, a hit ratio in percent.
        (
            csv(&[(t0, "Invocations", "Sum", 1500.0), (t0, latency.0, latency.1, -5.0)]),
            vec!["prod.csv", "ModelLatency Average", "wrong units"],
        ),
        (
            csv(&[
                (t0, "Invocations", "Sum", 1500.0),
                (t0, latency.0, latency.1, latency.2),
                (t0, "ModelCacheHit", "Average", 80.0),
            ]),
            vec!["prod.csv", "ModelCacheHit Average", "wrong units"],
        ),
        // An unknown metric name.
        (
            csv(&[(t0, "Invocations", "Sum", 1500.0), (t0, "ModelLatencyy", "Average", 1.0)]),
            vec!["prod.csv", "ModelLatencyy", "unknown metric name"],
        ),
        // Timestamps out of order within a series.
        (
            csv(&[
                (t0, "Invocations", "Sum", 1500.0),
                (t1, "Invocations", "Sum", 1500.0),
                ("2026-11-30T10:00:30Z", "Invocations", "Sum", 1500.0),
            ]),
            vec!["prod.csv", "Invocations Sum", "out of order"],
        ),
        // No minute in common with the scenario's measured window (its
        // warm-up is 5 minutes; the export has 2).
        (
            csv(&[
                (t0, "Invocations", "Sum", 1500.0),
                (t1, "Invocations", "Sum", 1500.0),
                (t0, latency.0, latency.1, latency.2),
                (t1, latency.0, latency.1, latency.2),
            ]),
            vec!["prod.csv", "no minute in common", "minutes 0–1"],
        ),
    ];
    for (text, needles) in cases {
        let e = error_of(&text, &s);
        for n in needles {
            assert!(e.contains(n), "`{n}` not in: {e}\n{text}");
        }
    }
    // An empty series (get-metric-data JSON with no datapoints).
    let json =
        r#"{"MetricDataResults": [{"Id": "m1", "Label": "ModelLatency Average", "Timestamps": [], "Values": []}]}"#;
    let e = cloudwatch::parse_get_metric_data_json(json, "prod.json").err().map(|e| e.to_string()).unwrap_or_default();
    assert!(e.contains("prod.json") && e.contains("ModelLatency Average") && e.contains("empty series"), "{e}");
}

#[test]
fn a_model_latency_with_no_samples_in_the_window_is_an_error() {
    // Every minute present, but the latency's SampleCount is 0 throughout.
    let s = Scenario::from_toml_str(BASE, "base.toml").unwrap_or_else(|e| panic!("{e}"));
    let mut rows = Vec::new();
    let times: Vec<String> = (0..30).map(|m| format!("2026-11-30T10:{m:02}:00Z")).collect();
    for t in &times {
        rows.push((t.as_str(), "Invocations", "Sum", 1500.0));
        rows.push((t.as_str(), "ModelLatency", "Average", 0.0));
        rows.push((t.as_str(), "ModelLatency", "SampleCount", 0.0));
    }
    let e = error_of(&csv(&rows), &s);
    assert!(e.contains("prod.csv") && e.contains("ModelLatency Average") && e.contains("no samples"), "{e}");
}

#[test]
fn everything_fixed_is_one_run_and_no_change() {
    let truth = Scenario::from_toml_str(&truth_toml(), "truth.toml").unwrap_or_else(|e| panic!("{e}"));
    let (_, export) = export_of(&truth);
    let base = Scenario::from_toml_str(BASE, "base.toml").unwrap_or_else(|e| panic!("{e}"));
    let all = mmesim::calibrate::PARAMS.iter().map(|p| p.name().to_string()).collect();
    let opts = CalibrateOptions { fixed: all, ..Default::default() };
    let cal = calibrate(&base, &export, &opts, &|_| {}).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cal.runs, 1);
    assert!(cal.set.is_empty(), "{:?}", cal.set);
    assert!(cal.parameters.iter().all(|p| p.status == ParamStatus::Fixed && p.fitted.is_none()));
    // The twin is the scenario as it was.
    let a = cal.twin.run().unwrap_or_else(|e| panic!("{e}")).report;
    let b = base.run().unwrap_or_else(|e| panic!("{e}")).report;
    assert_eq!(mmesim::to_json(&a), mmesim::to_json(&b));
}
