//! The published AIM408 ml.c5.xlarge case calibrated from its published
//! per-minute figures (docs/VALIDATION.md, "Calibrated twin:
//! aim408-c5xlarge"): the twin's error on every metric and the fitted
//! parameters are pinned, so a change that makes the twin fit the published
//! endpoint worse fails here.
//!
//! Two exports: the published figures as they are
//! (`examples/validation/aim408-c5xlarge.metrics.csv`, no `SampleCount`), and
//! the same with every time metric's `SampleCount` set to the published
//! invocations per minute (an upper bound on the unpublished counts; the
//! series are flat, so the counts change no observed mean, only how the
//! twin's minutes are weighted).
//!
//! The pins follow docs/VALIDATION.md: update them and the document
//! together.

use mmesim::calibrate::{calibrate, CalibrateOptions, Calibration, ParamStatus};
use mmesim::cloudwatch::{self, Export};
use mmesim::Scenario;
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/validation"))
}

const METRICS: &str = "aim408-c5xlarge.metrics.csv";

fn scenario() -> Scenario {
    Scenario::from_file(dir().join("aim408-c5xlarge.toml")).unwrap_or_else(|e| panic!("{e}"))
}

fn published() -> Export {
    cloudwatch::read_export(&dir().join(METRICS)).unwrap_or_else(|e| panic!("{e}"))
}

/// The published export plus `SampleCount` rows (= 2058, the published
/// invocations per minute) for the time metrics.
fn with_sample_counts() -> Export {
    let text = std::fs::read_to_string(dir().join(METRICS)).expect("metrics CSV");
    let mut out = text.clone();
    for line in text.lines() {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() == 5
            && f[3] == "Average"
            && ["ModelLatency", "ModelLoadingWaitTime", "ModelLoadingTime", "ModelUnloadingTime"].contains(&f[1])
        {
            out.push_str(&format!("{},{},{},SampleCount,2058\n", f[0], f[1], f[2]));
        }
    }
    cloudwatch::parse_csv(&out, "aim408-samples.csv").unwrap_or_else(|e| panic!("{e}"))
}

fn run(export: &Export) -> Calibration {
    calibrate(&scenario(), export, &CalibrateOptions::default(), &|_| {}).unwrap_or_else(|e| panic!("{e}"))
}

/// Every metric's |error| within its pin (relative; absolute for the hit
/// ratio), and no metric left unpinned.
fn check_errors(c: &Calibration, pins: &[(&str, f64)]) {
    let report = mmesim::calibrate::table(c);
    for m in &c.metrics {
        let (_, pin) = pins
            .iter()
            .find(|(name, _)| *name == m.metric)
            .unwrap_or_else(|| panic!("metric {} not pinned:\n{report}", m.metric));
        let e = m.error.unwrap_or_else(|| panic!("{}: no twin value:\n{report}", m.metric));
        assert!(e.abs() <= *pin, "{}: error {e:+.4} beyond its pin ±{pin}:\n{report}", m.metric);
    }
    assert_eq!(c.metrics.len(), pins.len(), "{report}");
}

/// A fitted (or best-effort) parameter's value within `rel` of `want`.
fn check_param(c: &Calibration, name: &str, status: ParamStatus, want: f64, rel: f64) {
    let report = mmesim::calibrate::table(c);
    let p = c.param(name).unwrap_or_else(|| panic!("no parameter {name}"));
    assert_eq!(p.status, status, "{name}:\n{report}");
    let v = p.fitted.unwrap_or_else(|| panic!("{name}: not fitted:\n{report}"));
    assert!((v - want).abs() <= rel * want, "{name} = {v}, pinned {want} ± {:.0} %:\n{report}", rel * 100.0);
}

fn check_not_identifiable(c: &Calibration, names: &[&str]) {
    for name in names {
        let p = c.param(name).unwrap_or_else(|| panic!("no parameter {name}"));
        assert_eq!(p.status, ParamStatus::NotIdentifiable, "{name}:\n{}", mmesim::calibrate::table(c));
        assert!(p.fitted.is_none());
    }
}

#[test]
fn published_figures_fit_memory_and_load_path() {
    let c = run(&published());
    assert_eq!(c.window_min, [5, 15]);
    check_errors(
        &c,
        &[
            ("Invocations", 3.2), // traffic, never fitted: the closed loop sends faster
            ("ModelLatency", 0.015),
            ("ModelCacheHit", 0.05),
            ("LoadedModelCount", 0.015),
            ("ModelLoadingWaitTime", 0.05), // whole numbers of concurrent loads
            ("ModelLoadingTime", 0.015),
            ("ModelUnloadingTime", 0.015),
            ("MemoryUtilization", 0.01),
            ("InstanceCount", 0.001),
        ],
    );
    check_param(&c, "model_overhead_mib", ParamStatus::Fitted, 116.7, 0.03);
    check_param(&c, "memory_watermark", ParamStatus::Fitted, 0.6428, 0.015);
    check_param(&c, "unload_ms", ParamStatus::Fitted, 17.5, 0.03);
    check_param(&c, "load_overhead_ms", ParamStatus::Fitted, 756.4, 0.03);
    check_param(&c, "max_concurrent_loads", ParamStatus::Fitted, 2.0, 0.0);
    check_param(&c, "service_scale", ParamStatus::Fitted, 42.03, 0.03);
    // Not published: downloads, CPU, the overhead latency.
    check_not_identifiable(&c, &["download_mb_per_s", "cpu_per_request", "request_overhead_ms"]);
    assert!(c.warnings.iter().any(|w| w.starts_with("no SampleCount for ModelLatency")), "{:?}", c.warnings);
}

#[test]
fn sample_counts_change_little_on_flat_series() {
    // The observed means are the same with or without counts (the series
    // are flat); the twin's are weighted like the export's (by samples, or
    // by minutes), so the fits differ a little, never by more than 1 %.
    let (a, b) = (run(&published()), run(&with_sample_counts()));
    assert_eq!(a.set.keys().collect::<Vec<_>>(), b.set.keys().collect::<Vec<_>>());
    for (k, va) in &a.set {
        let (x, y) = (
            va.as_float().or(va.as_integer().map(|i| i as f64)),
            b.set[k].as_float().or(b.set[k].as_integer().map(|i| i as f64)),
        );
        let (x, y) = (x.unwrap_or(f64::NAN), y.unwrap_or(f64::NAN));
        assert!((x - y).abs() <= 0.01 * x.abs(), "{k}: {x} without counts, {y} with");
    }
    assert!(!b.warnings.iter().any(|w| w.contains("SampleCount")), "{:?}", b.warnings);
}
