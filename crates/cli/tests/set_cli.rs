//! `--set PATH=VALUE` through the real binary: `run`, `recommend`,
//! `validate` and `calibrate` give what a hand-edited scenario gives, the
//! run says which overrides it ran with, and bad overrides fail with one
//! line naming the `--set` argument.

mod common;
use common::{expect_one_line_error as expect_error, mmesim};
use std::path::{Path, PathBuf};
use std::process::Output;

const BASE: &str = r#"name = "set-cli"
duration_s = 120.0
warmup_s = 20.0
[cluster]
instance_type = "ml.m5.large"
instances = 2
[models]
count = 40
memory_mib = { dist = "constant", value = 300.0 }
service_ms = 20.0
[workload]
arrival = { process = "poisson", rate_per_s = 30.0 }
[eviction]
memory = "lru"
"#;

/// BASE as `--set cluster.instances=3 --set eviction.memory=gdsf
/// --set workload.arrival.rate_per_s=45` would make it.
fn edited() -> String {
    BASE.replace("instances = 2", "instances = 3")
        .replace("memory = \"lru\"", "memory = \"gdsf\"")
        .replace("rate_per_s = 30.0", "rate_per_s = 45")
}

const SETS: [&str; 6] =
    ["--set", "cluster.instances=3", "--set", "eviction.memory=gdsf", "--set", "workload.arrival.rate_per_s=45"];

fn dir(test: &str) -> PathBuf {
    common::temp_dir("set-cli", test)
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().expect("utf-8 temp path").to_string()
}

fn ok(args: &[&str]) -> Output {
    let out = mmesim(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn args<'a>(head: &[&'a str], tail: &[&'a str]) -> Vec<&'a str> {
    head.iter().chain(tail).copied().collect()
}

#[test]
fn run_with_set_is_the_hand_edited_scenario_to_the_byte() {
    let d = dir("run");
    let base = write(&d, "base.toml", BASE);
    let by_hand = write(&d, "edited.toml", &edited());
    let a = ok(&args(&["run", &base, "--json"], &SETS));
    let b = ok(&["run", &by_hand, "--json"]);
    assert_eq!(a.stdout, b.stdout);
    // stdout stays pure JSON; the overrides go to stderr.
    let report: serde_json::Value = serde_json::from_slice(&a.stdout).expect("stdout is JSON");
    assert_eq!(report["name"], "set-cli");
    let err = String::from_utf8_lossy(&a.stderr);
    assert!(
        err.lines().any(|l| l
            == "mmesim: with --set cluster.instances=3 --set eviction.memory=\"gdsf\" \
                --set workload.arrival.rate_per_s=45"),
        "{err}"
    );
    // Without --set, nothing is said.
    assert!(!String::from_utf8_lossy(&b.stderr).contains("--set"));
}

#[test]
fn the_summary_says_what_it_ran_with() {
    let d = dir("summary");
    let base = write(&d, "base.toml", BASE);
    let out = ok(&args(&["run", &base], &SETS));
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next().unwrap();
    assert!(first.starts_with("scenario \"set-cli\" (seed 42)"), "{first}");
    assert!(
        first.ends_with(
            ", with --set cluster.instances=3 --set eviction.memory=\"gdsf\" --set workload.arrival.rate_per_s=45"
        ),
        "{first}"
    );
    // The plain summary is unchanged.
    let plain = ok(&["run", &base]);
    let plain = String::from_utf8_lossy(&plain.stdout);
    assert!(!plain.lines().next().unwrap().contains("--set"), "{plain}");
}

#[test]
fn seed_by_set_and_by_flag() {
    let d = dir("seed");
    let base = write(&d, "base.toml", BASE);
    let seed = |extra: &[&str]| -> u64 {
        let out = ok(&args(&["run", &base, "--json"], extra));
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        r["seed"].as_u64().unwrap()
    };
    assert_eq!(seed(&[]), 42);
    assert_eq!(seed(&["--set", "seed=7"]), 7);
    // --seed is applied last.
    assert_eq!(seed(&["--set", "seed=7", "--seed", "9"]), 9);
    // The same seed by either route: the same report.
    let by_set = ok(&["run", &base, "--json", "--set", "seed=7"]);
    let by_flag = ok(&["run", &base, "--json", "--seed", "7"]);
    assert_eq!(by_set.stdout, by_flag.stdout);
}

#[test]
fn bad_overrides_name_the_set_argument() {
    let d = dir("errors");
    let base = write(&d, "base.toml", BASE);
    expect_error(
        &["run", &base, "--set", "cluster.instances"],
        &["error: command line: --set `cluster.instances`: expected PATH=VALUE"],
    );
    expect_error(&["run", &base, "--set", "=8"], &["--set `=8`: no field path before `=`"]);
    expect_error(&["run", &base, "--set", "cluster..instances=8"], &["--set `cluster..instances=8`: ", "dotted"]);
    expect_error(
        &["run", &base, "--set", "duration_s.x=1"],
        &["--set `duration_s.x=1`: `duration_s` is a single value; `duration_s.x` cannot go below it"],
    );
    let line = expect_error(
        &["run", &base, "--set", "cluster.instancez=8"],
        &["`cluster.instancez`: unknown field `instancez`", "(from --set `cluster.instancez=8`)"],
    );
    assert!(line.starts_with(&format!("error: {base}: ")), "{line}");
    expect_error(
        &["run", &base, "--set", "cluster.instances=0"],
        &["`cluster.instances`", "(from --set `cluster.instances=0`)"],
    );
    expect_error(
        &["run", &base, "--set", "eviction.memory=gdfs"],
        &["unknown policy `gdfs`", "(from --set `eviction.memory=gdfs`)"],
    );
    expect_error(
        &["run", &base, "--set", "models.service_ms={ dist = "],
        &["--set `models.service_ms={ dist = `", "not a TOML value"],
    );
    // The same errors on the other commands that read a scenario.
    expect_error(&["recommend", &base, "--p99-ms", "100", "--set", "nope"], &["--set `nope`: expected PATH=VALUE"]);
    expect_error(&["validate", &base, "--set", "cluster.instancez=1"], &["(from --set `cluster.instancez=1`)"]);
    expect_error(
        &["calibrate", &base, "--metrics", "none.json", "--set", "cluster.instancez=1"],
        &["(from --set `cluster.instancez=1`)"],
    );
}

#[test]
fn recommend_with_set_is_the_hand_edited_scenario() {
    let d = dir("recommend");
    let base = write(&d, "base.toml", BASE);
    let by_hand = write(&d, "edited.toml", &edited());
    // A target the cold start at t = 0 can meet, so there is an answer (exit 0).
    let opts = [
        "--p99-ms",
        "30000",
        "--types",
        "ml.m5.large,ml.m5.xlarge",
        "--max-instances",
        "4",
        "--seeds",
        "1",
        "--json",
        "-q",
    ];
    let a = ok(&args(&args(&["recommend", &base], &opts), &SETS));
    let b = ok(&args(&["recommend", &by_hand], &opts));
    assert_eq!(String::from_utf8_lossy(&a.stdout), String::from_utf8_lossy(&b.stdout));
    let rec: serde_json::Value = serde_json::from_slice(&a.stdout).expect("stdout is JSON");
    assert!(!rec["ranked"].as_array().expect("ranked").is_empty(), "{rec}");
    assert!(String::from_utf8_lossy(&a.stderr).contains("mmesim: with --set cluster.instances=3"));
}

#[test]
fn validate_with_set_changes_the_verdict() {
    let d = dir("validate");
    let text = format!(
        "{}\n[validation]\nsource = \"made up\"\nwindow_s = [60.0, 120.0]\n[[validation.figure]]\nname = \"hit\"\n\
         metric = \"ModelCacheHit\"\npublished = [0.5]\nabsolute = true\ntarget = 0.05\nbound = 1.0\n",
        BASE.replace("count = 40", "count = 1")
    );
    let p = write(&d, "v.toml", &text);
    // A hit ratio of 1 against 0.5: within a bound of 1, beyond one of 0.1.
    let out = mmesim(&["validate", &p]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let out = mmesim(&["validate", &p, "--set", "validation.figure.0.bound=0.1"]);
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("| hit | 0.500 | 1.000 | +0.500 | ±0.05 | ±0.1 |"));
}
