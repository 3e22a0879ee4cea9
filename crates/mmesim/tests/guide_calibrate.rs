//! Keeps the `mmesim calibrate` outputs quoted in guide §14 current: the
//! calibration is run as the guide's commands run it (from the repository
//! root, so the export is named `examples/calibrate/production-metrics.json`)
//! and its table compared with the quoted block that starts with the same
//! first line; the twin is also compared with
//! `examples/calibrate/calibrated.toml`, which that command writes, and with
//! the guide's excerpt of it. The numbers §14 quotes in its prose (the
//! fitted values, errors, tolerances and sensitivities, the warnings, the
//! `--fix` and `--window 0,1800` runs) are checked against the library's
//! too, and so are the what-if sweep's quoted rows and the numbers the
//! prose reads off them.

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

fn tolerance_pct(c: &Calibration, metric: &str) -> f64 {
    c.metric(metric)
        .unwrap_or_else(|| panic!("{metric}: not compared"))
        .tolerance
        .unwrap_or_else(|| panic!("{metric}: compared in absolute terms"))
        * 100.0
}

#[test]
fn guide_calibrate_prose_quotes_the_twin() {
    let c = calibrate_default();
    let section = section_14();
    // The walk-through's reading of the report.
    assert_eq!(c.runs, 63);
    assert_eq!(c.sweeps, 3);
    quotes(&section, "`mmesim: calibrated in 63 runs,", "the stderr line");
    quotes(&section, "(63 in the walk-through, the two noise runs included)", "the run count");
    quotes(&section, &format!("finds {} MiB per model", fitted(&c, "model_overhead_mib")), "model overhead");
    quotes(&section, &format!("model overhead {} MiB (truth 210)", fitted(&c, "model_overhead_mib")), "the truth");
    quotes(&section, &format!("watermark {} (0.85)", fitted(&c, "memory_watermark")), "the truth");
    quotes(&section, &format!("service scale {} (1.3)", fitted(&c, "service_scale")), "service scale");
    quotes(&section, &format!("with a service scale of {}.", fitted(&c, "service_scale")), "service scale");
    quotes(&section, &format!("concurrent loads {} (4)", fitted(&c, "max_concurrent_loads")), "concurrent loads");
    quotes(&section, &format!("vCPUs a request {} (1,", fitted(&c, "cpu_per_request")), "cpu_per_request");
    quotes(&section, &format!("each with {} ms of load overhead", fitted(&c, "load_overhead_ms")), "load overhead");
    quotes(&section, &format!("the load overhead, {} ms against 450", fitted(&c, "load_overhead_ms")), "the truth");
    let cpu = sensitivity_pct(&c, "cpu_per_request");
    quotes(&section, &format!("would raise `CPUUtilization` by {}", cpu.trim_start_matches('+')), "cpu_per_request");
    quotes(&section, &format!("`CPUUtilization` by {} per vCPU", cpu.trim_start_matches('+')), "cpu_per_request");
    quotes(
        &section,
        &format!("moves `ModelLoadingTime` by {} for +10 %", sensitivity_pct(&c, "load_overhead_ms")),
        "the load overhead's sensitivity",
    );
    quotes(
        &section,
        &format!("moves by {} per concurrent load", sensitivity_pct(&c, "max_concurrent_loads")),
        "the concurrent loads' sensitivity",
    );
    // Every fitted metric within its tolerance, every fitted status plain.
    for p in c.parameters.iter().filter(|p| p.fitted.is_some()) {
        let m = c.metric(p.metric).unwrap_or_else(|| panic!("{}: no metric", p.metric));
        let e = m.error.unwrap_or_else(|| panic!("{}: no error", p.metric));
        let tol = m.tolerance.unwrap_or(0.02);
        assert!(e.abs() <= tol, "{}: {e} outside ±{tol}", p.metric);
        assert!(p.reason.is_none(), "{}: {:?}", p.name, p.reason);
        assert_eq!(tolerance_pct(&c, p.metric), 1.0, "{}: the guide says every fitted metric is at ±1.0 %", p.metric);
    }
    // The errors the prose quotes.
    quotes(&section, &format!("`CPUUtilization` {:+.1} %", error_pct(&c, "CPUUtilization")).replace('-', "−"), "CPU");
    quotes(&section, &format!("`ModelLatency` {:+.1} %", error_pct(&c, "ModelLatency")), "ModelLatency");
    quotes(
        &section,
        &format!("`ModelDownloadingTime`, {:+.1} %,", error_pct(&c, "ModelDownloadingTime")).replace('-', "−"),
        "the downloads",
    );
    quotes(
        &section,
        &format!(
            "(`OverheadLatency` ±{:.1} %, `DiskUtilization` ±{:.1} %)",
            tolerance_pct(&c, "OverheadLatency"),
            tolerance_pct(&c, "DiskUtilization")
        ),
        "the unfitted rows' tolerances",
    );
    quotes(
        &section,
        &format!("`OverheadLatency` {:.1} % high (the loading waits included", error_pct(&c, "OverheadLatency")),
        "OverheadLatency",
    );
    // The warnings: the downloads' noise, and no loosely determined parameter.
    assert_eq!(tolerance_pct(&c, "ModelDownloadingTime"), 20.0);
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    let moved = c.warnings[0]
        .strip_prefix("ModelDownloadingTime moves by ")
        .and_then(|w| w.split_once(' '))
        .map(|(n, _)| n)
        .unwrap_or_else(|| panic!("unexpected warning: {}", c.warnings[0]));
    assert!(
        c.warnings[0].ends_with("closer than that (its tolerance stops at 20 %)"),
        "the warning says the tolerance is capped: {}",
        c.warnings[0]
    );
    quotes(
        &section,
        &format!("it moves by {moved} % between two seeds, so its tolerance is `±20.0 %`, the cap"),
        "the downloads' noise",
    );
    quotes(&section, &format!("warning: {}", c.warnings[0]), "the warning");
}

#[test]
fn guide_fix_and_window_numbers_are_current() {
    let section = section_14();
    let unfixed = calibrate_default();
    // `--fix max_concurrent_loads` (§14.4, the `--fix` bullet): the same twin, fewer runs (the fixed
    // file leaves `max_concurrent_loads` out: the scenario's 4, as fitted).
    let c = calibrate_with(CalibrateOptions { fixed: vec!["max_concurrent_loads".into()], ..Default::default() });
    let body = |c: &Calibration| {
        c.scenario_toml
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with("max_concurrent_loads"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(body(&c), body(&unfixed), "--fix max_concurrent_loads: the guide says the same twin");
    quotes(
        &section,
        &format!(
            "`load_overhead_ms` fitted at {} ms and `CPUUtilization` {:.1} % low, in {} runs instead of {}",
            fitted(&c, "load_overhead_ms"),
            -error_pct(&c, "CPUUtilization"),
            c.runs,
            unfixed.runs
        ),
        "the --fix run",
    );
    // `--window 0,1800` (§14.4, the window bullet).
    let w = calibrate_with(CalibrateOptions { window_s: Some([0.0, 1800.0]), ..Default::default() });
    let d = w.param("download_mb_per_s").unwrap();
    quotes(
        &section,
        &format!(
            "best effort at {} MB/s, `{}",
            fitted(&w, "download_mb_per_s"),
            d.reason.as_deref().unwrap_or("").replace(" still off", "` still off")
        ),
        "the --window run",
    );
    quotes(
        &section,
        &format!("steady between seeds, `±{:.1} %`", tolerance_pct(&w, "ModelDownloadingTime")),
        "the --window run",
    );
    quotes(
        &section,
        &format!("comes out at {} ms, loosely determined", fitted(&w, "load_overhead_ms")),
        "the --window run",
    );
    assert!(w.warnings.iter().any(|x| x.starts_with("load_overhead_ms is loosely determined")), "{:?}", w.warnings);
    quotes(
        &section,
        &format!(
            "`CPUUtilization` {:.1} % low, within its `±{:.1} %`",
            -error_pct(&w, "CPUUtilization"),
            tolerance_pct(&w, "CPUUtilization")
        ),
        "the --window run",
    );
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

#[test]
fn guide_whatif_sweep_is_current() {
    // `mmesim sweep examples/calibrate/whatif.toml -q | cut -d, -f3,4,9,10,14,19,24` (§14.5).
    let sweep = mmesim::sweep::Sweep::from_file(root().join("examples/calibrate/whatif.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let rows = sweep.run(mmesim::sweep::Shard::ALL, None, &|| {}).unwrap_or_else(|e| panic!("{e}"));
    let csv = mmesim::sweep::to_csv(&rows);
    let cut: String = csv
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            [3, 4, 9, 10, 14, 19, 24].iter().map(|&i| f[i - 1]).collect::<Vec<_>>().join(",") + "\n"
        })
        .collect();
    check_block(&cut);
    // The prose reads today's endpoint (3 × m5.xlarge) and 2 × r5.xlarge off it.
    let section = section_14();
    let cell = |line: &str, i: usize| {
        cut.lines().find(|l| l.starts_with(line)).unwrap().split(',').nth(i).unwrap().to_string()
    };
    let num = |s: String| s.parse::<f64>().unwrap();
    let today = "ml.m5.xlarge,3,";
    let r5 = "ml.r5.xlarge,2,";
    let m5 = "ml.m5.xlarge,2,";
    quotes(
        &section,
        &format!(
            "hit ratio {:.3}, p99 {:.1} s, {} unloads",
            num(cell(today, 3)),
            num(cell(today, 4)) / 1000.0,
            mmesim::fmt::thousands(num(cell(today, 5)))
        ),
        "today's endpoint",
    );
    quotes(&section, &format!("hit ratio {:.4} ({} unloads in the run", num(cell(r5, 3)), cell(r5, 5)), "2 × r5");
    quotes(&section, &format!("p99 {:.0} ms, for ${:.3}", num(cell(r5, 4)), num(cell(r5, 6))), "2 × r5");
    quotes(&section, &format!("(hit ratio {:.3}, p99 {:.0} s)", num(cell(m5, 3)), num(cell(m5, 4)) / 1000.0), "2 × m5");
    quotes(&section, &format!("({} ms against 3,423", mmesim::fmt::thousands(num(cell(today, 4)))), "today's p99");
}

#[test]
fn guide_recommend_on_the_twin_is_current() {
    // `mmesim recommend examples/calibrate/calibrated.toml --p99-ms 250 --types … -q` (§14.5).
    let s = mmesim::Scenario::from_file(root().join("examples/calibrate/calibrated.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let targets =
        mmesim::Targets { p99_ms: 250.0, min_hit: None, max_error_rate: mmesim::Targets::DEFAULT_MAX_ERROR_RATE };
    let types = ["ml.m5.xlarge", "ml.m5.2xlarge", "ml.c5.2xlarge", "ml.r5.xlarge"];
    let opts = mmesim::SearchOptions { types: types.map(String::from).to_vec(), ..Default::default() };
    let rec = mmesim::recommend(&s, &targets, &opts, &|| {}).unwrap_or_else(|e| panic!("{e}"));
    check_block(&rec.table());
}
