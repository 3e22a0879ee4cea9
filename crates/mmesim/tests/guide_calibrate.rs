//! Keeps the `mmesim calibrate` outputs quoted in guide §14.5 current: the
//! calibration is run as the guide's commands run it (from the repository
//! root, so the export is named `examples/calibrate/production-metrics.json`)
//! and its table compared with the quoted block that starts with the same
//! first line; the `--fix max_concurrent_loads` twin is also compared with
//! `examples/calibrate/calibrated.toml`, which that command writes.

use mmesim::calibrate::{self, CalibrateOptions};
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

/// `mmesim calibrate examples/calibrate/endpoint.toml --metrics … [--fix …]`.
fn calibrate(fixed: &[&str]) -> calibrate::Calibration {
    let s =
        mmesim::Scenario::from_file(root().join("examples/calibrate/endpoint.toml")).unwrap_or_else(|e| panic!("{e}"));
    let opts = CalibrateOptions { fixed: fixed.iter().map(|f| f.to_string()).collect(), ..Default::default() };
    calibrate::calibrate(&s, &export(), &opts, &|_| {}).unwrap_or_else(|e| panic!("{e}"))
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

#[test]
fn guide_calibrate_output_is_current() {
    let c = calibrate(&[]);
    check_block(&calibrate::table(&c));
}

#[test]
fn guide_calibrate_fixed_output_and_calibrated_file_are_current() {
    let c = calibrate(&["max_concurrent_loads"]);
    check_block(&calibrate::table(&c));
    assert!(
        c.scenario_toml == read("examples/calibrate/calibrated.toml"),
        "examples/calibrate/calibrated.toml is stale.\n--- actual\n{}---",
        c.scenario_toml
    );
}

#[test]
fn the_csv_export_calibrates_to_the_same_twin() {
    let path = "examples/calibrate/production-metrics.csv";
    let csv = cloudwatch::parse_csv(&read(path), path).unwrap_or_else(|e| panic!("{e}"));
    let s =
        mmesim::Scenario::from_file(root().join("examples/calibrate/endpoint.toml")).unwrap_or_else(|e| panic!("{e}"));
    let opts = CalibrateOptions { fixed: vec!["max_concurrent_loads".into()], ..Default::default() };
    let from_csv = calibrate::calibrate(&s, &csv, &opts, &|_| {}).unwrap_or_else(|e| panic!("{e}"));
    let from_json = calibrate(&["max_concurrent_loads"]);
    assert_eq!(
        calibrate::table(&from_csv).replace(path, EXPORT),
        calibrate::table(&from_json),
        "guide §14.2: the CSV and the JSON export calibrate to the same twin"
    );
}
