//! Per-minute output written while the run goes (`Scenario::run_into`):
//! the tidy CSV, the CloudWatch JSON and CSV and the timeline give the same
//! bytes as from a run kept in memory; zone names that need quoting
//! round-trip through every CSV; the CloudWatch formats' limit is an error
//! naming the file; a run whose work outlasts its horizon is truncated.

use mmesim::chart::{Timeline, TIMELINE_MAX_POINTS};
use mmesim::cloudwatch::{self, ExportFormat, ExportOptions, ExportWriter, Statistic};
use mmesim::core::{MinuteMetrics, MinuteSink};
use mmesim::{MetricsCsvWriter, RunOptions, Scenario};

const SCENARIO: &str = r#"
    name = "streamed"
    duration_s = 300.0
    [cluster]
    instance_type = "ml.m5.xlarge"
    instances = 3
    zones = ["x", "y"]
    [models]
    count = 40
    memory_mib = { dist = "constant", value = 2500.0 }
    [workload]
    arrival = { process = "poisson", rate_per_s = 20.0 }
"#;

const RECORD: RunOptions = RunOptions { record_trace: false, check_invariants: false, record_metrics: true };

fn scenario() -> Scenario {
    Scenario::from_toml_str(SCENARIO, "streamed.toml").unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `s` into `sink`.
fn run_into(s: &Scenario, sink: &mut dyn MinuteSink) -> mmesim::RunResult {
    s.run_into(RECORD, sink).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn streamed_files_are_the_bytes_of_the_run_in_memory() {
    let s = scenario();
    let out = s.run_with(RECORD).unwrap_or_else(|e| panic!("{e}"));
    assert!(!out.metrics.is_empty() && !out.minutes.is_empty());

    let mut csv = MetricsCsvWriter::new(Vec::new(), "m.csv");
    let streamed = run_into(&s, &mut csv);
    assert!(streamed.metrics.is_empty() && streamed.minutes.is_empty(), "nothing kept");
    assert_eq!(mmesim::to_json(&streamed.report), mmesim::to_json(&out.report));
    let bytes = csv.into_inner().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(String::from_utf8(bytes).unwrap(), mmesim::metrics_csv(&out));

    let opts = ExportOptions { start_unix_s: 1_796_032_800, all_dimensions: true, vcpus: 4 };
    for (format, want) in [
        (ExportFormat::Json, cloudwatch::to_get_metric_data_json(&out, &opts)),
        (ExportFormat::Csv, cloudwatch::to_csv(&out, &opts)),
    ] {
        let mut w = ExportWriter::new(Vec::new(), format, &opts, "m.out");
        run_into(&s, &mut w);
        let got = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert_eq!(got, want, "{format:?}");
    }
}

#[test]
fn the_cloudwatch_formats_limit_is_an_error_naming_the_file() {
    let s = scenario();
    let mut w =
        ExportWriter::new(Vec::new(), ExportFormat::Json, &ExportOptions::default(), "big.json").with_limit(100);
    let e = s.run_into(RECORD, &mut w).expect_err("more datapoints than the limit");
    let msg = e.to_string();
    assert!(msg.starts_with("big.json: "), "{msg}");
    assert!(msg.contains("at most 100 (MAX_EXPORT_DATAPOINTS)") && msg.contains("--metrics-format csv"), "{msg}");
    assert!(!msg.contains('\n'));
    assert_eq!(cloudwatch::MAX_EXPORT_DATAPOINTS, 1 << 23);
}

/// A zone name needing quotes in CSV: a comma, quotes and a line break.
const AWKWARD: &str = "a,\"b\"\nc";

#[test]
fn zone_names_with_commas_quotes_and_line_breaks_round_trip() {
    let s = scenario();
    let mut out = s.run_with(RECORD).unwrap_or_else(|e| panic!("{e}"));
    out.report.zones[0].name = AWKWARD.to_string();
    let zones = [AWKWARD.to_string(), "y".to_string()];

    // The tidy CSV, in memory and streamed: the same bytes, read back by a
    // CSV reader with the name whole.
    let tidy = mmesim::metrics_csv(&out);
    let mut w = MetricsCsvWriter::new(Vec::new(), "m.csv");
    w.begin(&zones).unwrap();
    w.rows(&out.metrics).unwrap();
    w.end().unwrap();
    assert_eq!(String::from_utf8(w.into_inner().unwrap()).unwrap(), tidy);
    let mut rdr = csv::Reader::from_reader(tidy.as_bytes());
    let mut awkward_rows = 0;
    for rec in rdr.records() {
        let rec = rec.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rec.len(), 6, "{rec:?}");
        if &rec[3] == format!("zone={AWKWARD}").as_str() {
            awkward_rows += 1;
        }
    }
    let rows_per_zone = out.metrics.iter().filter(|r| r.dimension == mmesim::core::Dimension::Zone(0)).count();
    assert!(rows_per_zone > 0);
    assert_eq!(awkward_rows, rows_per_zone);

    // The CloudWatch CSV and JSON, read back by the readers.
    let opts = ExportOptions { all_dimensions: true, ..Default::default() };
    let dim = format!("zone={AWKWARD}");
    let cw_csv = cloudwatch::to_csv(&out, &opts);
    let back = cloudwatch::parse_csv(&cw_csv, "cw.csv").unwrap_or_else(|e| panic!("{e}"));
    let json = cloudwatch::to_get_metric_data_json(&out, &opts);
    let back_json = cloudwatch::parse_get_metric_data_json(&json, "cw.json").unwrap_or_else(|e| panic!("{e}"));
    for back in [&back, &back_json] {
        let inv = back.require("Invocations", Statistic::Sum, &dim).unwrap_or_else(|e| panic!("{e}"));
        let want: Vec<f64> = out
            .metrics
            .iter()
            .filter(|r| r.dimension == mmesim::core::Dimension::Zone(0) && r.metric == "Invocations")
            .map(|r| r.value)
            .collect();
        assert_eq!(inv.points.iter().map(|p| p.1).collect::<Vec<_>>(), want);
        assert!(back.get("Invocations", Statistic::Sum, "zone=y").is_some());
    }
    // Streamed, the same CloudWatch CSV.
    let mut w = ExportWriter::new(Vec::new(), ExportFormat::Csv, &opts, "cw.csv");
    w.begin(&zones).unwrap();
    w.rows(&out.metrics).unwrap();
    w.end().unwrap();
    assert_eq!(String::from_utf8(w.into_inner().unwrap()).unwrap(), cw_csv);
}

fn minute(k: u64, invocations: u64, p99: f64) -> MinuteMetrics {
    MinuteMetrics {
        minute: k,
        invocations,
        model_cache_hit: 0.5,
        p99_latency_ms: p99,
        instance_count: (k % 7) as u32,
        ..Default::default()
    }
}

#[test]
fn the_timeline_keeps_at_most_its_points_whatever_the_run_length() {
    let mut t = Timeline::default();
    for k in 0..TIMELINE_MAX_POINTS as u64 {
        t.add(&minute(k, 10, 1.0));
    }
    assert_eq!(t.len(), TIMELINE_MAX_POINTS, "a day of minutes: one point each");
    // Ten days: buckets of 8 minutes (1440 × 10 / 8 = 1800 > 1440 → 16).
    for k in TIMELINE_MAX_POINTS as u64..14_400 {
        t.add(&minute(k, 10 + k % 2, if k == 5000 { 99.0 } else { 1.0 }));
    }
    assert!(t.len() <= TIMELINE_MAX_POINTS && t.len() >= TIMELINE_MAX_POINTS / 2, "{}", t.len());
    assert_eq!(t.len(), 900, "14,400 minutes in buckets of 16");

    // The chart draws from those points.
    let dir = std::env::temp_dir().join(format!("mmesim-timeline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("t.svg");
    t.svg(&path, "ten days", &[]).unwrap_or_else(|e| panic!("{e}"));
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(svg.contains("ten days") && svg.contains("minute"));
    let _ = std::fs::remove_dir_all(&dir);

    // The streamed timeline of a run draws the same chart as its minutes.
    let s = scenario();
    let out = s.run().unwrap_or_else(|e| panic!("{e}"));
    let mut t = Timeline::default();
    run_into(&s, &mut t);
    let dir = std::env::temp_dir().join(format!("mmesim-timeline-run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (a, b) = (dir.join("a.svg"), dir.join("b.svg"));
    mmesim::chart::timeline_svg(&a, "run", &out.minutes, &[]).unwrap();
    t.svg(&b, "run", &[]).unwrap();
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_run_whose_download_outlasts_its_horizon_stops_there() {
    // A download of 10^9 ms (11.6 days): the run stops a day after its
    // arrivals, with the download in flight.
    let s = Scenario::from_toml_str(
        r#"
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
        "#,
        "slow.toml",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut csv = MetricsCsvWriter::new(Vec::new(), "m.csv");
    let out = run_into(&s, &mut csv);
    let t = out.truncated.expect("truncated at the horizon");
    assert_eq!(t.at.as_secs_f64(), 120.0 + 86_400.0);
    assert_eq!(out.report.simulated_s, 86_520.0);
    assert!(t.operations > 0, "{t:?}");
    let r = &out.report.requests;
    assert_eq!(r.arrived, r.completed + r.failed + r.rejected + t.requests);
    // A day of minutes, not 11.6 days of them.
    let text = String::from_utf8(csv.into_inner().unwrap()).unwrap();
    let last_minute: u64 = text.lines().last().unwrap().split(',').next().unwrap().parse().unwrap();
    assert_eq!(last_minute, 86_520 / 60 - 1);
}
