//! `mmesim sweep`, `merge` and `recommend` through the real binary: shards
//! merged equal the whole sweep byte for byte (CSV and JSON Lines), thread
//! counts do not matter, and bad sweep files or options fail with one line
//! naming the file and the field.

mod common;
use common::{expect_one_line_error as expect_error, mmesim};
use std::path::{Path, PathBuf};
use std::process::Output;

fn temp_dir(test: &str) -> PathBuf {
    common::temp_dir("sweep-cli", test)
}

fn ok(args: &[&str]) -> Output {
    let out = mmesim(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

const BASE: &str = r#"
name = "cli-sweep"
duration_s = 120.0
warmup_s = 20.0
[cluster]
instance_type = "ml.m5.large"
zones = 2
[models]
count = 50
memory_mib = { dist = "lognormal", median = 300.0, sigma = 0.5 }
[workload]
arrival = { process = "poisson", rate_per_s = 30.0 }
# The throughputs the recommend test's targets were chosen with (the
# catalog's before it took the published network and gp2 figures).
[[instance_types]]
name = "ml.m5.large"
download_mb_per_s = 200.0
network_mb_per_s = 200.0
download_streams = 0
storage = { kind = "ebs", size_gib = 100.0, read_mb_per_s = 250.0 }
[[instance_types]]
name = "ml.m5.xlarge"
download_mb_per_s = 200.0
network_mb_per_s = 200.0
download_streams = 0
storage = { kind = "ebs", size_gib = 100.0, read_mb_per_s = 250.0 }
"#;

fn setup(test: &str, axes: &str) -> (PathBuf, PathBuf) {
    let dir = temp_dir(test);
    std::fs::write(dir.join("base.toml"), BASE).unwrap();
    let sweep = dir.join("sweep.toml");
    std::fs::write(&sweep, format!("base = \"base.toml\"\n[axes]\n{axes}")).unwrap();
    (dir, sweep)
}

#[test]
fn shards_merged_equal_the_whole_sweep_byte_for_byte() {
    let (dir, sweep) = setup(
        "shards",
        "\"cluster.instances\" = [1, 2, 3]\n\"eviction.memory\" = [\"lru\", { policy = \"lruk\", k = 2 }]\nseed = [1, 2]\n",
    );
    let f = |n: &str| dir.join(n);
    ok(&["sweep", s(&sweep), "--csv", s(&f("whole.csv")), "--jsonl", s(&f("whole.jsonl")), "--threads", "1", "-q"]);
    ok(&["sweep", s(&sweep), "--jsonl", s(&f("all.jsonl")), "--threads", "2", "-q"]);
    for k in 1..=3 {
        let shard = format!("{k}/3");
        let out = f(&format!("shard{k}.jsonl"));
        ok(&["sweep", s(&sweep), "--shard", &shard, "--jsonl", s(&out), "-q"]);
    }
    ok(&[
        "merge",
        s(&f("shard3.jsonl")),
        s(&f("shard1.jsonl")),
        s(&f("shard2.jsonl")),
        "--csv",
        s(&f("merged.csv")),
        "--jsonl",
        s(&f("merged.jsonl")),
    ]);
    let read = |n: &str| std::fs::read(f(n)).unwrap();
    assert_eq!(read("all.jsonl"), read("whole.jsonl"), "1 thread vs 2 threads");
    assert_eq!(read("merged.jsonl"), read("whole.jsonl"));
    assert_eq!(read("merged.csv"), read("whole.csv"));
    let csv = String::from_utf8(read("whole.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 12);
    assert!(csv.starts_with("point,points,cluster.instances,eviction.memory,seed,arrived,"), "{csv}");
    // A table parameter is written inline (and quoted in CSV).
    assert!(csv.contains(",\"{ policy = \"\"lruk\"\", k = 2 }\","), "{csv}");
    // --list shows a shard's points without running them.
    let out = ok(&["sweep", s(&sweep), "--list", "--shard", "2/5"]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "point,points,cluster.instances,eviction.memory,seed\n1,12,1,lru,2\n6,12,2,\"{ policy = \"\"lruk\"\", k = 2 }\",1\n11,12,3,\"{ policy = \"\"lruk\"\", k = 2 }\",2\n"
    );
    // Without --csv or --jsonl, CSV goes to stdout.
    let out = ok(&["sweep", s(&sweep), "-q"]);
    assert_eq!(out.stdout, read("whole.csv"));

    // Merging an incomplete set fails and names what is missing.
    let out = mmesim(&["merge", s(&f("shard1.jsonl")), s(&f("shard2.jsonl"))]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("4 of the sweep's 12 points are missing (first: point 2)"), "{err}");
}

#[test]
fn bad_sweeps_fail_with_one_line_naming_the_file_and_field() {
    let (_d, sweep) = setup("unknown", "\"cluster.instancez\" = [1]\n");
    expect_error(&["sweep", s(&sweep)], &["sweep.toml", "axes.\"cluster.instancez\"", "unknown field `instancez`"]);
    let (_d, sweep) = setup("empty", "\"seed\" = []\n");
    expect_error(&["sweep", s(&sweep)], &["sweep.toml", "axes.\"seed\"", "empty axis"]);
    let (_d, sweep) = setup("shard", "\"seed\" = [1, 2]\n");
    expect_error(&["sweep", s(&sweep), "--shard", "3/2"], &["--shard `3/2`", "shards are numbered 1 to 2"]);
    expect_error(&["sweep", s(&sweep), "--threads", "0"], &["--threads"]);
    let (d, _) = setup("merge-bad", "\"seed\" = [1]\n");
    std::fs::write(d.join("x.jsonl"), "{\"point\": 0}\nnot json\n").unwrap();
    expect_error(&["merge", s(&d.join("x.jsonl"))], &["x.jsonl", "line 1", "not a sweep row"]);
}

#[test]
fn recommend_prints_the_cheapest_and_draws_the_frontier() {
    let (dir, _) = setup("recommend", "\"seed\" = [1]\n");
    let svg = dir.join("frontier.svg");
    let base = dir.join("base.toml");
    let args =
        ["recommend", s(&base), "--p99-ms", "1000", "--types", "ml.m5.large,ml.m5.xlarge", "--max-instances", "6"];
    let out = ok(&[&args[..], &["--seeds", "2", "-q", "--plot", s(&svg)]].concat());
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("targets      p99 ≤ 1000 ms"), "{table}");
    assert!(table.contains("cheapest     "), "{table}");
    let svg = std::fs::read_to_string(&svg).unwrap();
    assert!(svg.contains("<svg") && svg.contains("cost / p99 frontier"), "{}", &svg[..200.min(svg.len())]);
    // --json: the same answer as data (on one thread: the answer does not depend on it).
    let out = ok(&[&args[..], &["--seeds", "2", "-q", "--json", "--threads", "1"]].concat());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let best = &v["ranked"][0];
    let line =
        format!("cheapest     {} × {}", best["instances"].as_u64().unwrap(), best["instance_type"].as_str().unwrap());
    assert!(table.contains(&line), "{line} not in {table}");

    expect_error(&["recommend", s(&dir.join("base.toml")), "--p99-ms", "-5"], &["--p99-ms"]);
    expect_error(&["recommend", s(&dir.join("base.toml")), "--p99-ms", "100", "--types", "ml.x"], &["ml.x"]);
    let one_zone = dir.join("one.toml");
    std::fs::write(&one_zone, BASE.replace("zones = 2", "zones = 1")).unwrap();
    expect_error(
        &["recommend", s(&one_zone), "--p99-ms", "100", "--survive-zone-loss"],
        &["cli-sweep", "needs at least two zones"],
    );
}
