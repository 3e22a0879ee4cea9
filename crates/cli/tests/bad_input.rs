//! Bad input through the real `mmesim` binary: every malformed scenario
//! must give exit code 1, nothing on stdout, and one line on stderr
//! (`error: FILE: …`) naming the file and the offending field — never a
//! panic or a backtrace. Plus one well-formed run checking the JSON report.

mod common;
use common::{expect_one_line_error, mmesim};
use std::path::{Path, PathBuf};

/// A fresh, empty directory for one test.
fn temp_dir(test: &str) -> PathBuf {
    common::temp_dir("bad-input", test)
}

/// Runs `mmesim run PATH` and checks the failure contract; the message
/// must name the file and mention every one of `needles` (the field, the
/// unknown key, …).
fn expect_failure(path: &Path, needles: &[&str]) {
    let p = path.to_str().expect("utf-8 temp path");
    let mut all = vec![p];
    all.extend_from_slice(needles);
    expect_one_line_error(&["run", p], &all);
}

/// Writes `toml` to a scenario file of its own and checks the failure.
fn bad(test: &str, toml: &str, needles: &[&str]) {
    let dir = temp_dir(test);
    let path = dir.join("scenario.toml");
    std::fs::write(&path, toml).expect("write scenario");
    expect_failure(&path, needles);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn missing_file() {
    let dir = temp_dir("missing_file");
    expect_failure(&dir.join("does-not-exist.toml"), &["cannot read"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn directory_instead_of_file() {
    let dir = temp_dir("directory_instead_of_file");
    expect_failure(&dir, &["cannot read"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn not_toml() {
    bad("not_toml", "this is { not toml ]]\n\u{1}\u{2}", &["line 1"]);
}

#[test]
fn not_utf8() {
    let dir = temp_dir("not_utf8");
    let path = dir.join("scenario.toml");
    std::fs::write(&path, b"name = \"\xff\xfe\"\n").expect("write scenario");
    expect_failure(&path, &["UTF-8"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unknown_top_level_key() {
    bad("unknown_top_level_key", "duraton_s = 20.0\n", &["duraton_s", "line 1"]);
}

#[test]
fn unknown_key_in_cluster() {
    bad("unknown_key_in_cluster", "[cluster]\ninstance_count = 2\n", &["cluster.instance_count", "line 2"]);
}

#[test]
fn duplicate_table() {
    // toml's message for this spans two lines; it must be joined.
    bad("duplicate_table", "[cluster]\ninstances = 1\n[cluster]\ninstances = 2\n", &["cluster", "line 3"]);
}

#[test]
fn unknown_instance_type() {
    bad(
        "unknown_instance_type",
        "[cluster]\ninstance_type = \"ml.nope.large\"\n",
        &["cluster.instance_type", "ml.nope.large"],
    );
}

#[test]
fn unknown_routing_policy() {
    bad(
        "unknown_routing_policy",
        "[routing]\npolicy = \"round-robinx\"\n",
        &["`routing`", "`policy`", "round-robinx", "known: sticky"],
    );
}

#[test]
fn unknown_eviction_policy() {
    bad("unknown_eviction_policy", "[eviction]\nmemory = \"lrux\"\n", &["eviction.memory", "lrux"]);
}

#[test]
fn unknown_autoscaling_policy() {
    bad(
        "unknown_autoscaling_policy",
        "[autoscaling]\npolicy = \"magic\"\n",
        &["`autoscaling`", "`policy`", "magic", "known: none"],
    );
}

#[test]
fn negative_instances() {
    bad("negative_instances", "[cluster]\ninstances = -1\n", &["cluster.instances", "line 2"]);
}

#[test]
fn zero_instances() {
    bad("zero_instances", "[cluster]\ninstances = 0\n", &["cluster.instances"]);
}

#[test]
fn instances_wrong_type() {
    bad("instances_wrong_type", "[cluster]\ninstances = \"four\"\n", &["cluster.instances", "four"]);
}

#[test]
fn negative_arrival_rate() {
    bad(
        "negative_arrival_rate",
        "[workload]\narrival = { process = \"poisson\", rate_per_s = -5.0 }\n",
        &["workload.arrival", "rate_per_s"],
    );
}

#[test]
fn unknown_arrival_process() {
    bad(
        "unknown_arrival_process",
        "[workload]\narrival = { process = \"bursty\", rate_per_s = 5.0 }\n",
        &["workload.arrival", "bursty"],
    );
}

#[test]
fn negative_warmup() {
    bad("negative_warmup", "warmup_s = -1.0\n", &["warmup_s"]);
}

#[test]
fn warmup_not_below_duration() {
    bad("warmup_not_below_duration", "duration_s = 10.0\nwarmup_s = 10.0\n", &["warmup_s"]);
}

#[test]
fn nan_duration() {
    bad("nan_duration", "duration_s = nan\n", &["duration_s"]);
}

#[test]
fn unknown_distribution() {
    bad(
        "unknown_distribution",
        "[models]\nmemory_mib = { dist = \"weibullx\", median = 400.0 }\n",
        &["models.memory_mib", "weibullx"],
    );
}

#[test]
fn missing_distribution_parameter() {
    bad(
        "missing_distribution_parameter",
        "[models]\nmemory_mib = { dist = \"lognormal\", median = 400.0 }\n",
        &["models.memory_mib", "sigma"],
    );
}

#[test]
fn negative_lognormal_sigma() {
    bad(
        "negative_lognormal_sigma",
        "[models]\nmemory_mib = { dist = \"lognormal\", median = 400.0, sigma = -0.8 }\n",
        &["models", "memory_mib", "sigma"],
    );
}

#[test]
fn zero_models() {
    bad("zero_models", "[models]\ncount = 0\n", &["models", "count"]);
}

#[test]
fn new_instance_type_without_vcpus() {
    bad(
        "new_instance_type_without_vcpus",
        "[[instance_types]]\nname = \"custom.x\"\nmemory_gib = 16.0\nprice_per_hour = 1.0\n\n\
         [cluster]\ninstance_type = \"custom.x\"\n",
        &["instance_types[0].vcpus", "custom.x"],
    );
}

#[test]
fn unknown_storage_kind() {
    bad(
        "unknown_storage_kind",
        "[[instance_types]]\nname = \"ml.m5.xlarge\"\n\
         storage = { kind = \"floppy\", size_gib = 1.0, read_mb_per_s = 1.0 }\n",
        &["instance_types[0].storage.kind", "floppy"],
    );
}

#[test]
fn zero_zones() {
    bad("zero_zones", "[cluster]\nzones = 0\n", &["cluster.zones"]);
}

#[test]
fn zones_wrong_type() {
    bad("zones_wrong_type", "[cluster]\nzones = -1\n", &["cluster.zones", "line 2"]);
}

#[test]
fn too_many_zones() {
    // Once an allocation abort (u32::MAX zone names), now a field error.
    bad("too_many_zones", "[cluster]\nzones = 4000000000\n", &["cluster.zones"]);
    bad("too_many_zones_u16", "[cluster]\nzones = 70000\n", &["cluster.zones"]);
}

#[test]
fn duplicate_zone_names() {
    bad("duplicate_zone_names", "[cluster]\nzones = [\"a\", \"a\"]\n", &["cluster.zones", "`a`"]);
}

#[test]
fn cpu_per_request_above_vcpus() {
    bad("cpu_per_request_above_vcpus", "[cluster]\ncpu_per_request = 64\n", &["cluster.cpu_per_request"]);
}

#[test]
fn zero_request_timeout() {
    bad("zero_request_timeout", "[cluster]\nrequest_timeout_s = 0.0\n", &["cluster.request_timeout_s"]);
}

#[test]
fn negative_seed() {
    bad("negative_seed", "seed = -1\n", &["seed", "line 1"]);
}

// ---------------------------------------------------------------------
// A well-formed run.

const SMALL: &str = r#"name = "small"
seed = 42
duration_s = 20.0
warmup_s = 2.0

[cluster]
instance_type = "ml.m5.xlarge"
instances = 2

[models]
count = 50

[workload]
arrival = { process = "poisson", rate_per_s = 50.0 }
"#;

fn run_json(path: &str, extra: &[&str]) -> String {
    let mut args = vec!["run", path, "--json"];
    args.extend_from_slice(extra);
    let out = mmesim(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "mmesim run {path} failed: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

#[test]
fn small_scenario_json_report() {
    let dir = temp_dir("small_scenario_json_report");
    let path = dir.join("small.toml");
    std::fs::write(&path, SMALL).expect("write scenario");
    let p = path.to_str().expect("utf-8 temp path");

    let first = run_json(p, &[]);
    let v: serde_json::Value = serde_json::from_str(&first).expect("stdout is one JSON document");

    let int = |section: &str, key: &str| -> u64 {
        v[section][key].as_u64().unwrap_or_else(|| panic!("`{section}.{key}` must be an integer: {first}"))
    };
    let num = |section: Option<&str>, key: &str| -> f64 {
        let x = match section {
            Some(s) => &v[s][key],
            None => &v[key],
        };
        x.as_f64().unwrap_or_else(|| panic!("`{section:?}.{key}` must be a number: {first}"))
    };

    let arrived = int("requests", "arrived");
    let completed = int("requests", "completed");
    let failed = int("requests", "failed");
    let rejected = int("requests", "rejected");
    assert!(arrived > 0, "no arrivals: {first}");
    assert_eq!(arrived, completed + failed + rejected, "requests must balance: {first}");
    // The required keys are there, with the right types, and hold the
    // library's figures for the same scenario: the CLI prints the report
    // of this run, not a default or a stale one.
    let lib = mmesim::Scenario::from_file(&path).and_then(|s| s.run()).unwrap_or_else(|e| panic!("{e}")).report;
    // (serde_json's default float parsing may be one ulp off.)
    let same = |got: f64, want: f64| (got - want).abs() <= 1e-12 * want.abs();
    let l = &lib.latency_ms;
    for (k, want) in
        [("mean", l.mean), ("p50", l.p50), ("p90", l.p90), ("p99", l.p99), ("p999", l.p999), ("max", l.max)]
    {
        assert!(same(num(Some("latency_ms"), k), want), "latency_ms.{k}: {first}");
    }
    assert!(lib.latency_ms.p50 > 0.0, "no latency measured: {first}");
    let w = &lib.queue_wait_ms;
    for (k, want) in [("mean", w.mean), ("p50", w.p50), ("p99", w.p99)] {
        assert!(same(num(Some("queue_wait_ms"), k), want), "queue_wait_ms.{k}: {first}");
    }
    assert!(same(num(None, "model_cache_hit"), lib.model_cache_hit), "{first}");
    let c = &lib.cache;
    for (k, want) in [("downloads", c.downloads), ("loads", c.loads), ("unloads", c.unloads)] {
        assert_eq!(int("cache", k), want, "cache.{k}");
    }
    assert!(c.loads > 0, "a cold start loads models: {first}");
    assert!(same(num(None, "cost_usd"), lib.cost_usd), "{first}");
    assert!(same(num(None, "instance_hours"), lib.instance_hours), "{first}");
    assert!(lib.cost_usd > 0.0);
    assert_eq!(first.trim_end(), mmesim::to_json(&lib), "the CLI's report is the library's");

    // Same scenario, same seed: byte-identical report; another seed: not.
    assert_eq!(run_json(p, &[]), first, "two runs differ");
    assert_ne!(run_json(p, &["--seed", "7"]), first, "--seed 7 gave the same report");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A trace error names the trace file and its line (not the scenario).
#[test]
fn bad_traces_name_the_trace_file_and_line() {
    let dir = temp_dir("bad_traces");
    let scenario = dir.join("scenario.toml");
    let cases: [(&str, &str, &[&str]); 3] = [
        ("r1.csv", "timestamp_s,model\n0,a\n5,b\n3,a\n", &["r1.csv: line 4", "time goes backwards"]),
        ("r2.csv", "timestamp_s,model,service_ms\n0,a,-3\n", &["r2.csv: line 2", "service_ms"]),
        ("r3.csv", "when,model\n0,a\n", &["r3.csv: line 1"]),
    ];
    for (name, text, needles) in cases {
        std::fs::write(dir.join(name), text).unwrap();
        std::fs::write(&scenario, format!("[workload]\ntrace = {{ format = \"csv\", path = \"{name}\" }}\n")).unwrap();
        expect_one_line_error(&["run", scenario.to_str().unwrap()], needles);
    }
    std::fs::write(&scenario, "[workload]\ntrace = { format = \"csv\", path = \"none.csv\" }\n").unwrap();
    let out = mmesim(&["run", scenario.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("none.csv: cannot open trace: "), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn binary_file_read_as_csv_is_one_line() {
    // An oracle-general trace (binary records, NUL bytes from the start)
    // read as CSV by `cache --format csv`, by a scenario's CSV trace, and
    // given as a scenario, a sweep, a shard and a metrics export: one line
    // naming the file and the first NUL byte, exit code 1, no NUL byte
    // (no binary content) on stderr.
    let dir = temp_dir("binary_file_read_as_csv_is_one_line");
    let og = dir.join("trace.og");
    let ogs = og.to_str().unwrap();
    let out = mmesim(&["synth-trace", "--out", ogs, "--objects", "10", "--requests", "100"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let hint = "; for libCacheSim's binary traces use the format `oracle-general`";
    let check = |args: &[&str], want: &str| {
        let out = mmesim(args);
        assert!(!out.stderr.contains(&0), "a NUL byte on stderr for {args:?}");
        let line = expect_one_line_error(args, &[]);
        assert_eq!(line, format!("error: {want}"), "{args:?}");
    };
    let nul0 = format!("{ogs}: not a text file (a NUL byte at byte offset 0)");
    check(&["cache", "--trace", ogs, "--format", "csv", "--policy", "lru", "--size", "10"], &format!("{nul0}{hint}"));
    let scenario = dir.join("scenario.toml");
    std::fs::write(&scenario, "[workload]\ntrace = { format = \"csv\", path = \"trace.og\" }\n").unwrap();
    check(&["run", scenario.to_str().unwrap()], &format!("{nul0}{hint}"));
    check(&["run", ogs], &nul0);
    check(&["sweep", ogs], &nul0);
    check(&["merge", ogs], &nul0);
    let endpoint = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/calibrate/endpoint.toml");
    check(&["calibrate", endpoint, "--metrics", ogs], &nul0);
    // Not UTF-8 (Latin-1 text): the byte, in hex, and where.
    let latin1 = dir.join("latin1.csv");
    std::fs::write(&latin1, b"timestamp_s,object,size_bytes\n0,caf\xe9,1\n").unwrap();
    let l1 = latin1.to_str().unwrap();
    check(
        &["cache", "--trace", l1, "--format", "csv", "--policy", "lru", "--size", "10"],
        &format!("{l1}: not a UTF-8 text file (byte 0xE9 at byte offset 35){hint}"),
    );
    let _ = std::fs::remove_dir_all(&dir);
}
