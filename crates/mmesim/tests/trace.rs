//! Real traffic in `mmesim run`: the three trace formats of `[workload]
//! trace`, checked against hand-computed latencies and exact counts, and
//! their errors.

mod common;
use common::temp_dir;

use mmesim::core::TraceKind;
use mmesim::engine::SimTime;
use mmesim::workload::azure::{AzureFiles, AzureOptions, AzureTrace};
use mmesim::workload::cachetrace::{write_oracle_general, CacheRequest};
use mmesim::{RunOptions, Scenario};
use std::path::{Path, PathBuf};

fn write_scenario(dir: &Path, text: &str) -> Scenario {
    let p = dir.join("scenario.toml");
    std::fs::write(&p, text).unwrap();
    Scenario::from_file(&p).unwrap_or_else(|e| panic!("{e}"))
}

/// A custom type with round numbers: 100 MB/s downloads and disk reads.
const ENDPOINT: &str = r#"
[cluster]
instance_type = "t.round"
instances = 1
[[instance_types]]
name = "t.round"
vcpus = 4
memory_gib = 16.0
download_mb_per_s = 100.0
storage = { kind = "ebs", size_gib = 50.0, read_mb_per_s = 100.0 }
price_per_hour = 1.0
"#;

/// Completed latencies in ms by arrival order.
fn latencies_ms(out: &mmesim::RunResult) -> Vec<(u64, f64)> {
    let mut v: Vec<(u64, f64)> = out
        .trace
        .iter()
        .filter_map(|r| match r.kind {
            TraceKind::Completed { seq, latency, .. } => Some((seq, latency.as_secs_f64() * 1e3)),
            _ => None,
        })
        .collect();
    v.sort_by_key(|x| x.0);
    v
}

#[test]
fn csv_trace_with_listed_models_gives_hand_computed_latencies() {
    let dir = temp_dir("trace", "csv-hand");
    std::fs::write(dir.join("reqs.csv"), "timestamp_s,model,service_ms\n0,a,10\n5,a,250\n5.5,b,\n10,a,40\n30,a,5\n")
        .unwrap();
    // 100 MB artifacts (95.367431640625 MiB = 10^8 bytes): download 50 ms + 1 s,
    // load 50 ms + 1 s, so a cold request waits 2.1 s before its service.
    let s = write_scenario(
        &dir,
        &format!(
            r#"name = "csv-hand"
duration_s = 20.0
{ENDPOINT}
[models]
load_overhead_ms = 50.0
[[models.list]]
name = "a"
memory_mib = 95.367431640625
[[models.list]]
name = "b"
memory_mib = 95.367431640625
service_ms = 30.0
[workload]
trace = {{ format = "csv", path = "reqs.csv" }}
"#
        ),
    );
    let out = s.run_with(RunOptions { record_trace: true, ..Default::default() }).unwrap();
    // The request at 30 s is after duration_s: not replayed.
    assert_eq!(out.report.requests.arrived, 4);
    let lat = latencies_ms(&out);
    let want = [2110.0, 250.0, 2130.0, 40.0];
    assert_eq!(lat.len(), 4);
    for ((_, got), want) in lat.iter().zip(want) {
        assert!((got - want).abs() < 1e-6, "{lat:?} vs {want:?}");
    }
    assert_eq!(out.report.cache.downloads, 2);

    // time_scale 0.5: arrivals at 0, 2.5, 2.75, 5, 15 s — all within 20 s.
    let fast = write_scenario(
        &dir,
        &std::fs::read_to_string(dir.join("scenario.toml"))
            .unwrap()
            .replace("path = \"reqs.csv\"", "path = \"reqs.csv\", time_scale = 0.5"),
    );
    let out = fast.run_with(RunOptions { record_trace: true, ..Default::default() }).unwrap();
    assert_eq!(out.report.requests.arrived, 5);
    // The second request for a (at 2.5 s) now joins the load in flight: 2.1 − 2.5 < 0, so it hits.
    let lat = latencies_ms(&out);
    assert!((lat[1].1 - 250.0).abs() < 1e-6, "{lat:?}");
    // b at 2.75 s: its own cold start.
    assert!((lat[2].1 - 2130.0).abs() < 1e-6, "{lat:?}");
}

#[test]
fn csv_trace_without_a_list_makes_one_model_per_id_in_first_appearance_order() {
    let dir = temp_dir("trace", "csv-gen");
    let mut text = String::from("timestamp_s,model\n");
    for i in 0..300u32 {
        let m = ["zeta", "7", "alpha", "7", "zeta"][i as usize % 5];
        text.push_str(&format!("{},{m}\n", i as f64 * 0.1));
    }
    std::fs::write(dir.join("reqs.csv"), &text).unwrap();
    let s = write_scenario(
        &dir,
        &format!(
            "name = \"gen\"\nduration_s = 100.0\n{ENDPOINT}\n[models]\nmemory_mib = {{ dist = \"constant\", value = 64.0 }}\n\
             service_ms = 5.0\n[workload]\ntrace = {{ format = \"csv\", path = \"reqs.csv\" }}\n"
        ),
    );
    let cfg = s.sim_config(RunOptions::default()).unwrap();
    let names: Vec<String> = cfg.models.iter().map(|m| m.name.to_string()).collect();
    assert_eq!(names, ["zeta", "7", "alpha"]);
    assert!(cfg.models.iter().all(|m| m.memory.as_mib() == 64.0));
    let out = s.run().unwrap();
    assert_eq!(out.report.requests.arrived, 300);
    assert_eq!(out.report.requests.completed, 300);
    assert_eq!(out.report.cache.loads, 3);
    // Same scenario, same bytes.
    assert_eq!(mmesim::to_json(&s.run().unwrap().report), mmesim::to_json(&out.report));
}

#[test]
fn oracle_general_trace_objects_become_models_of_their_size() {
    let dir = temp_dir("trace", "oracle");
    let mb = 1_000_000u64;
    let reqs: Vec<CacheRequest> = (0..50u32)
        .map(|i| CacheRequest {
            time: SimTime::from_secs(i as u64),
            object: [1000u64, 42, 1000, 7][i as usize % 4],
            size: [300 * mb, 20 * mb, 300 * mb, 5 * mb][i as usize % 4],
            next_access: None,
        })
        .collect();
    let mut bytes = Vec::new();
    write_oracle_general(&mut bytes, reqs).unwrap();
    std::fs::write(dir.join("t.oracleGeneral"), bytes).unwrap();
    let s = write_scenario(
        &dir,
        &format!(
            "name = \"og\"\nduration_s = 100.0\n{ENDPOINT}\n[models]\nservice_ms = 5.0\n\
             [workload]\ntrace = {{ format = \"oracle-general\", path = \"t.oracleGeneral\" }}\n"
        ),
    );
    let cfg = s.sim_config(RunOptions::default()).unwrap();
    let sizes: Vec<u64> = cfg.models.iter().map(|m| m.memory.0).collect();
    assert_eq!(sizes, [300 * mb, 20 * mb, 5 * mb]);
    let out = s.run().unwrap();
    assert_eq!(out.report.requests.arrived, 50);
    assert_eq!(out.report.cache.loads, 3);

    // A trace whose clock goes backwards is an error naming the record, not a panic.
    let back: Vec<CacheRequest> = [5u64, 9, 4]
        .iter()
        .map(|&t| CacheRequest { time: SimTime::from_secs(t), object: t, size: mb, next_access: None })
        .collect();
    let mut bytes = Vec::new();
    write_oracle_general(&mut bytes, back).unwrap();
    std::fs::write(dir.join("t.oracleGeneral"), bytes).unwrap();
    let e = s.run().unwrap_err().to_string();
    assert!(e.contains("t.oracleGeneral: record 3 (byte offset 48): clock_time 4 s is before"), "{e}");
}

fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/traces/azure")
}

#[test]
fn the_azure_sample_replays_every_invocation_of_the_day() {
    let dir = temp_dir("trace", "azure");
    let sample = sample_dir().canonicalize().unwrap();
    let text = format!(
        "name = \"az\"\nseed = 9\nduration_s = 86400.0\n[cluster]\ninstance_type = \"ml.m5.xlarge\"\ninstances = 2\n\
         [workload]\ntrace = {{ format = \"azure-functions-2019\", dir = {:?}, spread = \"uniform\" }}\n",
        sample.display().to_string()
    );
    let s = write_scenario(&dir, &text);
    let f = AzureFiles::day(&sample, 1);
    let trace = AzureTrace::open(&f.invocations, &f.durations, &f.memory, &AzureOptions::default(), 9).unwrap();
    let out = s.run_with(RunOptions { record_metrics: true, ..Default::default() }).unwrap();
    assert_eq!(out.report.requests.arrived, trace.summary().invocations);
    assert_eq!(s.sim_config(RunOptions::default()).unwrap().models.len(), trace.functions().len());
    let line = mmesim::trace::describe(&s).unwrap().unwrap();
    let m = trace.summary();
    assert!(line.ends_with(&format!("{} kept; {} invocations in the window", m.sampled, m.invocations)), "{line}");
    assert!(line.contains(&format!("{} without durations", m.dropped_no_duration)), "{line}");
    // Per-minute invocations equal the file's per-minute totals (uniform spread keeps each
    // invocation inside its minute).
    for m in [0u32, 600, 1439] {
        let want: u64 = trace.minute_counts(m).iter().map(|&(_, c)| c as u64).sum();
        let got = out.minutes.iter().find(|x| x.minute == m as u64).map_or(0, |x| x.invocations + x.rejected);
        assert_eq!(got, want, "minute {m}");
    }
    // A sample of functions: fewer models, and the same seed picks the same ones.
    let sampled = write_scenario(&dir, &text.replace("spread = \"uniform\"", "sample_functions = 10"));
    let cfg = sampled.sim_config(RunOptions::default()).unwrap();
    assert_eq!(cfg.models.len(), 10);
    let again = sampled.sim_config(RunOptions::default()).unwrap();
    assert_eq!(cfg.models, again.models);
    // Another scenario seed picks other functions, unless `sample_seed` pins the choice.
    let names = |t: &str| -> Vec<String> {
        let s = write_scenario(&dir, t);
        s.sim_config(RunOptions::default()).unwrap().models.iter().map(|m| m.name.to_string()).collect()
    };
    let base = text.replace("spread = \"uniform\"", "sample_functions = 10");
    let pinned = base.replace("sample_functions = 10", "sample_functions = 10, sample_seed = 9");
    assert_ne!(names(&base), names(&base.replace("seed = 9", "seed = 10")));
    assert_eq!(names(&base), names(&pinned.replace("seed = 9\n", "seed = 10\n")));
}

fn run_error(test: &str, scenario: &str, files: &[(&str, &str)]) -> String {
    let dir = temp_dir("trace", test);
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let p = dir.join("scenario.toml");
    std::fs::write(&p, scenario).unwrap();
    match Scenario::from_file(&p) {
        Err(e) => e.to_string(),
        Ok(s) => s.run().err().map(|e| e.to_string()).unwrap_or_else(|| panic!("{test}: expected an error")),
    }
}

#[test]
fn trace_errors_name_the_file_line_and_field() {
    let csv = |extra: &str| format!("[workload]\ntrace = {{ format = \"csv\", path = \"r.csv\"{extra} }}\n");
    let e = run_error("missing", &csv(""), &[]);
    assert!(e.contains("r.csv") && e.contains("No such file"), "{e}");
    let e = run_error("unsorted", &csv(""), &[("r.csv", "timestamp_s,model\n0,a\n5,b\n3,a\n")]);
    assert!(e.contains("r.csv: line 4"), "{e}");
    let e = run_error("empty", &csv(""), &[("r.csv", "timestamp_s,model\n")]);
    assert!(e.contains("r.csv: the trace holds no request"), "{e}");
    let e = run_error("bad-header", &csv(""), &[("r.csv", "time,model\n0,a\n")]);
    assert!(e.contains("r.csv: line 1"), "{e}");
    let e = run_error("scale", &csv(", time_scale = 0.0"), &[("r.csv", "timestamp_s,model\n0,a\n")]);
    assert!(e.contains("`workload.trace`: `time_scale` must be a positive number"), "{e}");
    let e = run_error("unknown-key", &csv(", speed = 2"), &[("r.csv", "timestamp_s,model\n0,a\n")]);
    assert!(e.contains("unknown field `speed`"), "{e}");
    let listed = format!("{}[[models.list]]\nname = \"a\"\nmemory_mib = 10.0\n", csv(""));
    let e = run_error("unlisted", &listed, &[("r.csv", "timestamp_s,model\n0,a\n1,b\n")]);
    assert!(e.contains("r.csv: line 3: unknown model \"b\""), "{e}");
    let drift = format!("{}drift = {{ kind = \"rotate\", every_s = 60.0, by = 1 }}\n", csv(""));
    let e = run_error("drift", &drift, &[("r.csv", "timestamp_s,model\n0,a\n")]);
    assert!(e.contains("`workload.drift`"), "{e}");
    let az = "[workload]\ntrace = { format = \"azure-functions-2019\", dir = \".\", invocations = \"x.csv\" }\n";
    let e = run_error("azure-both", az, &[]);
    assert!(e.contains("not both"), "{e}");
    let az = "[workload]\ntrace = { format = \"azure-functions-2019\", dir = \".\", day = 15 }\n";
    let e = run_error("azure-day", az, &[]);
    assert!(e.contains("`day` must be between 1 and 14"), "{e}");
    let az = "[workload]\ntrace = { format = \"azure-functions-2019\", dir = \".\" }\n";
    let e = run_error("azure-missing", az, &[]);
    assert!(e.contains("invocations_per_function_md.anon.d01.csv"), "{e}");
}
