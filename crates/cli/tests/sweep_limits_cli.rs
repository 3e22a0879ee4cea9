//! Hostile sizes through the real binary: a merge shard claiming 9.2e18
//! points, a sweep whose points product wraps, thread counts past the
//! limit, a cache trace whose working set passes 2^64. Each is one line on
//! stderr naming the file or option, exit code 1, before any run.

mod common;
use common::{expect_one_line_error as expect_error, mmesim};
use std::path::{Path, PathBuf};

fn temp_dir(test: &str) -> PathBuf {
    common::temp_dir("sweep-limits-cli", test)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

/// A base with 64 listed models and a sweep of 64 two-value axes over
/// their sizes: 2^64 points, a product that wrapped to 0.
fn wrapping_sweep(dir: &Path) -> PathBuf {
    let mut base = String::from(
        "name = \"wrap\"\nduration_s = 2.0\n[cluster]\ninstance_type = \"ml.m5.large\"\n\
         [workload]\narrival = { process = \"poisson\", rate_per_s = 1.0 }\n",
    );
    let mut sweep = String::from("base = \"base.toml\"\n[axes]\n");
    for k in 0..64 {
        base.push_str(&format!("[[models.list]]\nname = \"m{k}\"\nmemory_mib = 100.0\n"));
        sweep.push_str(&format!("\"models.list.{k}.memory_mib\" = [100.0, 200.0]\n"));
    }
    std::fs::write(dir.join("base.toml"), base).unwrap();
    std::fs::write(dir.join("sweep.toml"), sweep).unwrap();
    dir.join("sweep.toml")
}

#[test]
fn a_sweep_of_2_to_the_64_points_is_refused_not_run_as_none() {
    let dir = temp_dir("wrap");
    let sweep = wrapping_sweep(&dir);
    for list in [false, true] {
        let args: Vec<&str> = if list { vec!["sweep", s(&sweep), "--list"] } else { vec!["sweep", s(&sweep), "-q"] };
        expect_error(&args, &["sweep.toml", "`axes`", "more than 18446744073709551615 points", "at most 10000000"]);
    }
}

#[test]
fn merge_refuses_a_shard_claiming_a_huge_sweep() {
    let dir = temp_dir("merge");
    let shard = dir.join("huge.jsonl");
    std::fs::write(&shard, "{\"point\":0,\"points\":9223372036854775807}\n").unwrap();
    expect_error(
        &["merge", s(&shard)],
        &["huge.jsonl: line 1: `points` is 9223372036854775807; a sweep has at most 10000000 points"],
    );
}

#[test]
fn thread_counts_past_the_limit_are_refused_first() {
    let dir = temp_dir("threads");
    // Checked before the sweep file is read: the file need not exist.
    let missing = dir.join("missing.toml");
    let msg = "--threads: 100000 threads; at most 1024 are supported";
    expect_error(&["sweep", s(&missing), "--threads", "100000"], &[msg]);
    expect_error(&["recommend", s(&missing), "--p99-ms", "100", "--threads", "100000"], &[msg]);
    let trace = dir.join("t.csv");
    std::fs::write(&trace, "timestamp_s,object,size_bytes\n0,1,10\n").unwrap();
    expect_error(
        &["cache", "--trace", s(&trace), "--format", "csv", "--policy", "lru", "--size", "10", "--threads", "100000"],
        &[msg],
    );
}

#[test]
fn a_working_set_past_2_to_the_64_is_not_a_one_byte_cache() {
    let dir = temp_dir("cache");
    let trace = dir.join("big.csv");
    std::fs::write(
        &trace,
        "timestamp_s,object,size_bytes\n0,1,9223372036854775808\n1,2,9223372036854775808\n2,1,9223372036854775808\n",
    )
    .unwrap();
    let args = ["cache", "--trace", s(&trace), "--format", "csv", "--policy", "lru", "--size", "100%"];
    expect_error(
        &args,
        &["big.csv: --size 100%: 100% of the trace's working set of 18446744073709551616 bytes", "largest cache"],
    );
    // 10 % of it is a cache of 1.8e18 bytes, not of 1 byte.
    let out = mmesim(&["cache", "--trace", s(&trace), "--format", "csv", "--policy", "lru", "--size", "10%", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["cache_bytes"], serde_json::json!(1844674407370955264u64));
    assert_eq!(v[0]["byte_miss_ratio"], serde_json::json!(1.0));
}

#[test]
fn an_unwritable_output_fails_before_the_sweep_runs() {
    let dir = temp_dir("unwritable");
    std::fs::write(
        dir.join("base.toml"),
        "name = \"b\"\nduration_s = 2.0\n[cluster]\ninstance_type = \"ml.m5.large\"\n[models]\ncount = 2\n\
         [workload]\narrival = { process = \"poisson\", rate_per_s = 1.0 }\n",
    )
    .unwrap();
    let sweep = dir.join("sweep.toml");
    std::fs::write(&sweep, "base = \"base.toml\"\n[axes]\nseed = [1, 2]\n").unwrap();
    let bad = dir.join("no-such-dir").join("out.jsonl");
    let csv = dir.join("out.csv");
    let line =
        expect_error(&["sweep", s(&sweep), "-q", "--csv", s(&csv), "--jsonl", s(&bad)], &["--jsonl: no directory"]);
    assert!(line.contains("no-such-dir"), "{line}");
    assert!(!line.contains("points"), "nothing ran: {line}");
    // The CSV opened first is not left behind.
    assert!(!csv.exists(), "a partial --csv file was left");
}
