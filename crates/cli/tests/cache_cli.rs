//! `mmesim cache` and `mmesim synth-trace` through the real binary: the
//! JSON contract of BRIEF §3, the miss-ratio-curve SVG, and bad input.

use std::path::{Path, PathBuf};
use std::process::Command;

fn dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mmesim-cache-cli-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn mmesim(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mmesim")).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn synth(path: &Path) {
    let p = path.to_str().unwrap();
    let (code, _, err) =
        mmesim(&["synth-trace", "--out", p, "--objects", "500", "--requests", "20000", "--alpha", "0.9"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn json_grid_and_plot() {
    let d = dir("grid");
    let trace = d.join("t.og");
    synth(&trace);
    let svg = d.join("mrc.svg");
    let (code, out, err) = mmesim(&[
        "cache",
        "--trace",
        trace.to_str().unwrap(),
        "--format",
        "oracle-general",
        "--policy",
        "lru,gdsf,belady",
        "--size",
        "1%,10%,50",
        "--json",
        "--plot",
        svg.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("stdout is JSON only");
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 9);
    for r in rows {
        for k in ["policy", "cache_bytes", "requests", "misses", "miss_ratio", "byte_miss_ratio"] {
            assert!(r.get(k).is_some(), "missing {k} in {r}");
        }
        assert_eq!(r["requests"], 20000);
        let ratio = r["misses"].as_f64().unwrap() / 20000.0;
        assert!((r["miss_ratio"].as_f64().unwrap() - ratio).abs() < 1e-12);
    }
    assert_eq!(rows[0]["policy"], "lru");
    assert_eq!(rows[8]["policy"], "belady");
    assert_eq!(rows[2]["cache_bytes"], 50);
    // Belady never misses more than LRU at the same size.
    for k in 0..3 {
        let misses = |row: usize| rows[row]["misses"].as_u64().unwrap_or_else(|| panic!("misses: {}", rows[row]));
        assert!(misses(6 + k) <= misses(k), "Belady {} > LRU {}", misses(6 + k), misses(k));
    }
    let chart = std::fs::read_to_string(&svg).unwrap();
    assert!(chart.starts_with("<svg") || chart.contains("<svg"), "not an SVG");
    for label in ["lru", "gdsf", "belady", "miss ratio"] {
        assert!(chart.contains(label), "chart lacks {label}");
    }
    // A readable table without --json.
    let (code, out, _) = mmesim(&[
        "cache",
        "--trace",
        trace.to_str().unwrap(),
        "--format",
        "oracle-general",
        "--policy",
        "all",
        "--size",
        "5%",
    ]);
    assert_eq!(code, 0);
    assert!(out.starts_with("policy"));
    assert_eq!(out.lines().count(), 1 + 13);
}

fn expect_error(args: &[&str], needles: &[&str]) {
    let (code, out, err) = mmesim(args);
    assert_eq!(code, 1, "{args:?}: exit {code}, stderr {err}");
    assert!(out.is_empty(), "{args:?}: stdout {out}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: not one line: {err}");
    assert!(err.starts_with("error: "), "{err}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: {err:?} lacks {n:?}");
    }
}

#[test]
fn bad_input_is_a_clear_error() {
    let d = dir("bad");
    let trace = d.join("t.og");
    synth(&trace);
    let t = trace.to_str().unwrap();
    let base = |policy: &str, size: &str| -> Vec<String> {
        ["cache", "--trace", t, "--format", "oracle-general", "--policy", policy, "--size", size]
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    let run =
        |v: Vec<String>, needles: &[&str]| expect_error(&v.iter().map(String::as_str).collect::<Vec<_>>(), needles);
    run(base("lur", "10%"), &["--policy", "unknown eviction policy `lur`", "lru"]);
    run(base("lru", "0"), &["--size", "at least 1 byte"]);
    run(base("lru", "-5"), &["--size"]);
    run(base("lru", "0%"), &["--size"]);
    run(base("lru", "ten"), &["--size", "not a size"]);
    let mut v = base("lru", "10%");
    v[4] = "parquet".into();
    run(v, &["--format", "parquet"]);
    let missing = d.join("missing.og");
    let mut v = base("lru", "10%");
    v[2] = missing.to_str().unwrap().into();
    run(v, &["missing.og"]);
    // Truncated: 3 whole records and 5 bytes.
    let bytes = std::fs::read(&trace).unwrap();
    let cut = d.join("cut.og");
    std::fs::write(&cut, &bytes[..24 * 3 + 5]).unwrap();
    let mut v = base("lru", "100");
    v[2] = cut.to_str().unwrap().into();
    run(v, &["cut.og", "record 4", "truncated"]);
    // Malformed CSV line.
    let csv = d.join("bad.csv");
    std::fs::write(&csv, "timestamp_s,object,size_bytes\n0.0,a,10\n0.5,b,lots\n").unwrap();
    let mut v = base("lru", "100");
    v[2] = csv.to_str().unwrap().into();
    v[4] = "csv".into();
    run(v, &["bad.csv", "line 3"]);
}
