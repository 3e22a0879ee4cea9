//! CSV outputs carry numbers without binary noise (12 significant digits,
//! `mmesim::fmt::clean`), while JSON Lines keep every bit; a merge of
//! shards still gives the whole run's CSV, byte for byte.

mod common;
use common::temp_dir;

use mmesim::sweep::{merge, parse_jsonl, to_csv, to_jsonl, Shard, Sweep};

const BASE: &str = r#"
name = "clean-base"
seed = 5
duration_s = 90.0
warmup_s = 20.0
[cluster]
instance_type = "ml.m5.large"
instances = 1
[models]
count = 40
memory_mib = { dist = "lognormal", median = 300.0, sigma = 0.5 }
[workload]
arrival = { process = "poisson", rate_per_s = 30.0 }
"#;

const SWEEP: &str = r#"
base = "base.toml"
[axes]
"cluster.instances" = [1, 3]
"seed" = [1, 2]
"#;

/// The fields of `text` (CSV or JSON) that are numbers with a fraction or
/// an exponent.
fn float_fields(text: &str) -> impl Iterator<Item = &str> {
    text.split([',', '\n', ':', '{', '}', ' ']).filter(|f| f.contains(['.', 'e']) && f.parse::<f64>().is_ok())
}

/// The most digits after a decimal point in `text`'s numbers.
fn longest_fraction(text: &str) -> usize {
    float_fields(text)
        .map(|f| f.split_once('.').map_or(0, |(_, frac)| frac.split('e').next().unwrap().len()))
        .max()
        .unwrap_or(0)
}

/// The most significant digits in `text`'s numbers.
fn most_significant_digits(text: &str) -> usize {
    float_fields(text)
        .map(|f| f.split('e').next().unwrap().replace(['-', '.'], "").trim_start_matches('0').len())
        .max()
        .unwrap_or(0)
}

/// The sweep, written to a directory of `test`'s own: tests run in
/// parallel threads of one process, and a shared directory was removed
/// by one test while another read it.
fn sweep(test: &str) -> Sweep {
    let dir = temp_dir("clean_numbers", test);
    std::fs::write(dir.join("base.toml"), BASE).unwrap();
    std::fs::write(dir.join("sweep.toml"), SWEEP).unwrap();
    Sweep::from_file(dir.join("sweep.toml")).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_sweep_csv_has_no_fifteen_digit_fractions_and_matches_the_jsonl_to_twelve_digits() {
    let rows = sweep("sweep-csv").run(Shard::ALL, Some(2), &|| {}).unwrap_or_else(|e| panic!("{e}"));
    let csv = to_csv(&rows);
    let jsonl = to_jsonl(&rows);
    // The JSON Lines keep full precision (means and costs have 15+ digits)…
    assert!(most_significant_digits(&jsonl) >= 15, "JSON Lines lost precision:\n{jsonl}");
    assert!(longest_fraction(&jsonl) >= 15);
    // …the CSV carries at most 12 significant digits, and no 15-digit fraction.
    assert!(most_significant_digits(&csv) <= 12, "float noise in the CSV:\n{csv}");
    assert!(longest_fraction(&csv) < 15, "float noise in the CSV:\n{csv}");
    assert!(most_significant_digits(&csv) >= 10, "the CSV lost precision:\n{csv}");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    for (line, row) in lines.zip(&rows) {
        for (name, text) in header.iter().zip(line.split(',')) {
            let cell = row.get(name).unwrap_or_else(|| panic!("no column {name}"));
            match cell {
                mmesim::sweep::Cell::Float(f) => {
                    let clean = mmesim::fmt::clean(*f);
                    assert_eq!(text.parse::<f64>().unwrap(), clean, "{name}: {text} for {f}");
                    assert!((clean - f).abs() <= f.abs() * 5e-12, "{name}: {clean} is not {f}");
                    // As JSON writes it: whole numbers keep their `.0`.
                    assert_eq!(text, serde_json::Number::from_f64(clean).unwrap().to_string());
                }
                mmesim::sweep::Cell::Int(i) => assert_eq!(text, i.to_string(), "{name}"),
                other => panic!("{name}: unexpected {other:?}"),
            }
        }
    }
}

#[test]
fn merged_shards_give_the_whole_runs_clean_csv_byte_for_byte() {
    let s = sweep("merged-shards");
    let whole = to_csv(&s.run(Shard::ALL, Some(1), &|| {}).unwrap());
    let mut parts = Vec::new();
    for k in 1..=2 {
        let rows = s.run(Shard { index: k, count: 2 }, Some(1), &|| {}).unwrap();
        let origin = format!("shard{k}.jsonl");
        parts.push((origin.clone(), parse_jsonl(&to_jsonl(&rows), &origin).unwrap()));
    }
    assert_eq!(to_csv(&merge(parts).unwrap()), whole);
}

#[test]
fn the_metrics_csv_values_are_clean() {
    let s = mmesim::Scenario::from_toml_str(BASE, "base.toml").unwrap();
    let out = s.run_with(mmesim::RunOptions { record_metrics: true, ..Default::default() }).unwrap();
    let csv = mmesim::metrics_csv(&out);
    assert!(most_significant_digits(&csv) <= 12, "float noise in the metrics CSV:\n{csv}");
    for (line, row) in csv.lines().skip(1).zip(&out.metrics) {
        let value = line.split(',').nth(4).unwrap();
        assert_eq!(value, mmesim::fmt::Clean(row.value).to_string(), "{line}");
    }
    assert_eq!(csv.lines().count(), out.metrics.len() + 1);
    // The CloudWatch CSV too.
    let cw = mmesim::cloudwatch::to_csv(&out, &mmesim::cloudwatch::ExportOptions::default());
    assert!(most_significant_digits(&cw) <= 12, "float noise in the CloudWatch CSV:\n{cw}");
    assert!(most_significant_digits(&mmesim::cloudwatch::to_get_metric_data_json(&out, &Default::default())) >= 15);
}
