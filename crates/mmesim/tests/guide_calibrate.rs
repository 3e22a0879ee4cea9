//! Keeps the `mmesim calibrate` outputs quoted in guide §14 current: the
//! calibration is run as the guide's commands run it (from the repository
//! root, so the export is named `examples/calibrate/production-metrics.json`)
//! and its table compared with the quoted block that starts with the same
//! first line; the twin is also compared with
//! `examples/calibrate/calibrated.toml`, which that command writes, and with
//! the guide's excerpt of it. The numbers §14 quotes in its prose (the
//! sensitivities, the `--fix` and `--window 0,1800` runs) are checked
//! against the library's too.

use mmesim::calibrate::{self, CalibrateOptions, Calibration};
use mmesim::cloudwatch::{self, Export};
use std::path::PathBuf;

const GUIDE: &str = "docs/guide.md";
const EXPORT: &str = "examples/calibrate/production-metrics.json";

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn read(file: &str) -> String {
    let path = root().join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The export as `mmesim calibrate --metrics examples/calibrate/…` reads
/// it: its origin is the path as given on the command line.
fn export() -> Export {
    cloudwatch::parse_get_metric_data_json(&read(EXPORT), EXPORT).unwrap_or_else(|e| panic!("{e}"))
}

/// `mmesim calibrate examples/calibrate/endpoint.toml --metrics … [options]`.
fn calibrate_with(opts: CalibrateOptions) -> Calibration {
    let s =
        mmesim::Scenario::from_file(root().join("examples/calibrate/endpoint.toml")).unwrap_or_else(|e| panic!("{e}"));
    calibrate::calibrate(&s, &export(), &opts, &|_| {}).unwrap_or_else(|e| panic!("{e}"))
}

fn calibrate_default() -> Calibration {
    calibrate_with(CalibrateOptions::default())
}

/// Compares `actual` with the ```text block of the guide that starts with
/// its first line.
fn check_block(actual: &str) {
    let text = read(GUIDE);
    let first_line = actual.lines().next().unwrap_or("");
    let open = format!("```text\n{first_line}\n");
    let Some(at) = text.find(&open) else {
        panic!(
            "{GUIDE}: no ```text block starting with {first_line:?}: the quoted calibrate output is stale \
             (or the run count changed).\n--- actual\n{actual}---"
        );
    };
    let start = at + "```text\n".len();
    let len = text[start..].find("```").unwrap_or_else(|| panic!("{GUIDE}: unterminated block"));
    let quoted = &text[start..start + len];
    let actual = format!("{}\n", actual.trim_end());
    assert!(
        quoted == actual,
        "{GUIDE}: the quoted calibrate output is stale.\n--- quoted\n{quoted}--- actual\n{actual}---"
    );
}

/// §14 as one string, so that a number quoted elsewhere in the guide does
/// not satisfy a check.
fn section_14() -> String {
    let text = read(GUIDE);
    let start = text.find("\n## 14. ").unwrap_or_else(|| panic!("{GUIDE}: no §14"));
    let end = text[start + 1..].find("\n## ").map_or(text.len(), |e| start + 1 + e);
    text[start..end].to_string()
}

/// Asserts that §14 quotes `needle` (with the lines reflowed as one).
fn quotes(section: &str, needle: &str, what: &str) {
    let flat = section.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(needle), "{GUIDE} §14: expected {needle:?} ({what}), from the library's output");
}

fn fitted(c: &Calibration, name: &str) -> f64 {
    c.param(name).and_then(|p| p.fitted).unwrap_or_else(|| panic!("{name} not fitted"))
}

fn sensitivity_pct(c: &Calibration, name: &str) -> String {
    let s = c.param(name).and_then(|p| p.sensitivity).unwrap_or_else(|| panic!("{name}: no sensitivity"));
    format!("{:+.1} %", s * 100.0)
}

fn error_pct(c: &Calibration, metric: &str) -> f64 {
    c.metric(metric).and_then(|m| m.error).unwrap_or_else(|| panic!("{metric}: no error")) * 100.0
}

#[test]
fn guide_calibrate_output_and_calibrated_file_are_current() {
    let c = calibrate_default();
    check_block(&calibrate::table(&c));
    assert!(
        c.scenario_toml == read("examples/calibrate/calibrated.toml"),
        "examples/calibrate/calibrated.toml is stale.\n--- actual\n{}---",
        c.scenario_toml
    );
    // The guide's excerpt of the file: its first lines, up to `…`.
    let section = section_14();
    let open = "```toml\n# Calibrated by `mmesim calibrate`";
    let at = section.find(open).unwrap_or_else(|| panic!("{GUIDE} §14: no excerpt of calibrated.toml"));
    let body = &section[at + "```toml\n".len()..];
    let excerpt = &body[..body.find("\n…\n").unwrap_or_else(|| panic!("{GUIDE}: the excerpt ends without `…`"))];
    assert!(
        c.scenario_toml.starts_with(excerpt),
        "{GUIDE} §14.5: the excerpt of calibrated.toml is stale.\n--- quoted\n{excerpt}\n--- actual\n{}---",
        c.scenario_toml
    );
}

#[test]
fn guide_calibrate_prose_quotes_the_twin() {
    let c = calibrate_default();
    let section = section_14();
    // The walk-through's reading of the report.
    assert_eq!(c.runs, 78);
    quotes(&section, "`mmesim: calibrated in 78 runs,", "the stderr line");
    quotes(&section, "(78 in the walk-through)", "the run count");
    quotes(&section, &format!("finds {} MiB per model", fitted(&c, "model_overhead_mib")), "model overhead");
    quotes(&section, &format!("model overhead {} MiB (truth 210)", fitted(&c, "model_overhead_mib")), "the truth");
    quotes(&section, &format!("service scale {} (1.3)", fitted(&c, "service_scale")), "service scale");
    quotes(&section, &format!("concurrent loads {} (4)", fitted(&c, "max_concurrent_loads")), "concurrent loads");
    quotes(&section, &format!("each with {} ms of load overhead", fitted(&c, "load_overhead_ms")), "load overhead");
    quotes(&section, &format!("the load overhead, {} ms against 450", fitted(&c, "load_overhead_ms")), "the truth");
    quotes(
        &section,
        &format!("would raise it by {}", sensitivity_pct(&c, "cpu_per_request").trim_start_matches('+')),
        "cpu_per_request",
    );
    quotes(
        &section,
        &format!("(43.5 ms) moves `ModelLoadingTime` by only {}", sensitivity_pct(&c, "load_overhead_ms")),
        "the loose load overhead",
    );
    quotes(
        &section,
        &format!("moves by {} per concurrent load", sensitivity_pct(&c, "max_concurrent_loads")),
        "the concurrent loads' sensitivity",
    );
    quotes(&section, &format!("`CPUUtilization` {:.1} % low", -error_pct(&c, "CPUUtilization")), "CPU error");
    assert!(
        c.warnings.iter().any(|w| w.starts_with("load_overhead_ms is loosely determined")),
        "the walk-through's load overhead is loosely determined: {:?}",
        c.warnings
    );
}

#[test]
fn guide_fix_and_window_numbers_are_current() {
    let section = section_14();
    // `--fix max_concurrent_loads` (§14.4, the `--fix` bullet).
    let c = calibrate_with(CalibrateOptions { fixed: vec!["max_concurrent_loads".into()], ..Default::default() });
    let lo = c.param("load_overhead_ms").unwrap();
    quotes(
        &section,
        &format!(
            "`load_overhead_ms` best effort at {} ms, `{}",
            fitted(&c, "load_overhead_ms"),
            lo.reason.as_deref().unwrap_or("").replace(" still off", "` still off")
        ),
        "the --fix run",
    );
    quotes(&section, &format!("`CPUUtilization` {:.1} % high", error_pct(&c, "CPUUtilization")), "the --fix run");
    // `--window 0,1800` (§14.4, the window bullet).
    let w = calibrate_with(CalibrateOptions { window_s: Some([0.0, 1800.0]), ..Default::default() });
    quotes(&section, &format!("finds {} MB/s", fitted(&w, "download_mb_per_s")), "the --window run");
    quotes(
        &section,
        &format!("`ModelDownloadingTime` within {:.1} %", error_pct(&w, "ModelDownloadingTime").abs()),
        "the --window run",
    );
    quotes(&section, &format!("comes out at {} ms", fitted(&w, "load_overhead_ms")), "the --window run");
    quotes(&section, &format!("`CPUUtilization` {:.1} % high).", error_pct(&w, "CPUUtilization")), "the --window run");
}

#[test]
fn the_csv_export_calibrates_to_the_same_twin() {
    let path = "examples/calibrate/production-metrics.csv";
    let csv = cloudwatch::parse_csv(&read(path), path).unwrap_or_else(|e| panic!("{e}"));
    let s =
        mmesim::Scenario::from_file(root().join("examples/calibrate/endpoint.toml")).unwrap_or_else(|e| panic!("{e}"));
    let from_csv =
        calibrate::calibrate(&s, &csv, &CalibrateOptions::default(), &|_| {}).unwrap_or_else(|e| panic!("{e}"));
    let from_json = calibrate_default();
    assert_eq!(
        calibrate::table(&from_csv).replace(path, EXPORT),
        calibrate::table(&from_json),
        "guide §14.2: the CSV and the JSON export calibrate to the same twin"
    );
}
