//! Issue 13, scenario and workload validation: every hostile input found
//! gets a clear error naming the file and the field (or the trace's file
//! and record), never a panic, a hang or a silent nonsense run; what is
//! legal but surely a mistake gets a warning.

mod common;

use common::temp_dir;
use mmesim::workload::cachetrace::{write_oracle_general, CacheRequest};
use mmesim::{ErrorKind, Scenario};
use mmesim_engine::SimTime;

/// The error of scenario `text`, read as `h.toml`, with the field it names.
fn refused(text: &str) -> (String, Option<String>) {
    let e = Scenario::from_toml_str(text, "h.toml").expect_err(text);
    let msg = e.to_string();
    assert!(msg.starts_with("h.toml: "), "{msg}");
    assert!(!msg.contains('\n'), "{msg}");
    let field = match e.kind() {
        ErrorKind::Invalid { field, .. } | ErrorKind::Parse { field, .. } => field.clone(),
        k => panic!("{k:?}"),
    };
    (msg, field)
}

/// Finding 1: an mmpp state of 1e-12 s never ended (the sojourn rounds to
/// 0 ns and the clock stood still).
#[test]
fn a_vanishing_mmpp_sojourn_is_refused() {
    let (msg, field) = refused("[workload]\narrival = { process = \"mmpp\", states = [[100.0, 1e-12]] }\n");
    assert_eq!(field.as_deref(), Some("workload.arrival"));
    assert!(msg.contains("`states[0]`: mean sojourn must be at least 0.001 s"), "{msg}");
    assert!(msg.ends_with("got 0.000000000001"), "{msg}");
}

/// Finding 2: a gamma whose scale underflows panicked with `BUG:` when the
/// run built its sampler, in `service_ms` and in `memory_mib` alike.
#[test]
fn an_unsamplable_gamma_is_refused_naming_the_key() {
    for key in ["service_ms", "memory_mib"] {
        let (msg, field) = refused(&format!("[models]\n{key} = {{ dist = \"gamma\", shape = 1e300, mean = 1e-30 }}\n"));
        assert_eq!(field.as_deref(), Some("models"));
        assert!(
            msg.starts_with(&format!(
                "h.toml: `models`: `{key}`: `mean`: dist = \"gamma\", shape = 1e300, mean = 1e-30 has the scale"
            )),
            "{msg}"
        );
        assert!(msg.contains("raise `mean` or lower `shape`"), "{msg}");
    }
    // In a listed model too.
    let (msg, _) = refused(
        "[[models.list]]\nname = \"m\"\nmemory_mib = 10.0\nservice_ms = { dist = \"gamma\", shape = 1e300, mean = 1e-30 }\n",
    );
    assert!(msg.contains("list[0] (`m`): `service_ms`: `mean`"), "{msg}");
}

/// Finding 5: `memory_gib = 9e9` on 100,000 instances wrapped the
/// endpoint's memory capacity in the per-minute sums.
#[test]
fn a_capacity_whose_endpoint_sum_overflows_is_refused() {
    let (msg, field) = refused(
        "[cluster]\ninstance_type = \"big\"\ninstances = 100000\n[models]\ncount = 1\n\
         [[instance_types]]\nname = \"big\"\nvcpus = 4\nmemory_gib = 9e9\nprice_per_hour = 1.0\n",
    );
    assert_eq!(field.as_deref(), Some("instance_types[0].memory_gib"));
    assert!(msg.contains("`memory_gib` must be at most 100000 GiB"), "{msg}");
    let (_, field) = refused(
        "[[instance_types]]\nname = \"ml.m5.xlarge\"\nstorage = { kind = \"ebs\", size_gib = 1e7, read_mb_per_s = 250.0 }\n",
    );
    assert_eq!(field.as_deref(), Some("instance_types[0].storage.size_gib"));
}

/// Finding 8: instances × models near the old cap (2^28) aborted on
/// allocation; the state is estimated per eviction policy and refused
/// past 4 GiB, before the run. Since issue 15 an instance keeps state only
/// for the models it holds, so the estimate counts the models one
/// instance can hold at once (`models_held_at_once`: its disk full of the
/// smallest model, ghosts, its queue), not the whole population.
#[test]
fn per_instance_model_state_is_bounded_before_the_run() {
    use mmesim::RunOptions;
    let refused_at_run = |text: &str| {
        let s = Scenario::from_toml_str(text, "h.toml").unwrap_or_else(|e| panic!("{e}"));
        let e = s.sim_config(RunOptions::default()).expect_err(text);
        let field = match e.kind() {
            ErrorKind::Invalid { field, .. } => field.clone(),
            k => panic!("{k:?}"),
        };
        (e.to_string(), field)
    };
    // What the old dense state refused (1,000 × 20,000 = 2 × 10^7 slots)
    // now runs: a default model is hundreds of MiB, so an instance holds a
    // few hundred at once.
    let s = Scenario::from_toml_str("[cluster]\ninstances = 1000\n[models]\ncount = 20000\n", "h.toml")
        .unwrap_or_else(|e| panic!("{e}"));
    s.sim_config(RunOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    // 1 MiB models on ml.m5.xlarge's 100 GiB volume and 14 GiB of model
    // memory: 2 × 102,400 + 14,336 + the queue's 1,000 = 220,136 each (of
    // 300,000), past the slot cap (2^24) on 2,000 instances.
    let tiny = "[models]\ncount = 300000\nmemory_mib = { dist = \"constant\", value = 1.0 }\n";
    let (msg, field) = refused_at_run(&format!("[cluster]\ninstances = 2000\n{tiny}"));
    assert_eq!(field.as_deref(), Some("cluster.instances"));
    assert!(msg.starts_with("h.toml: "), "{msg}");
    assert!(msg.contains("2000 instances × 220136 models each can hold at once is 440272000"), "{msg}");
    // 2,000 × 1,000 is within the slot cap with lru, but lruk keeps 64
    // access times per model: 2 × 10^6 × 2,512 bytes ≈ 4.7 GiB.
    let endpoint = "[cluster]\ninstances = 2000\n[models]\ncount = 1000\n";
    Scenario::from_toml_str(endpoint, "h.toml")
        .and_then(|s| s.sim_config(RunOptions::default()))
        .unwrap_or_else(|e| panic!("lru fits: {e}"));
    let (msg, field) = refused_at_run(&format!(
        "{endpoint}[eviction]\nmemory = {{ policy = \"lruk\", k = 64 }}\ndisk = {{ policy = \"lruk\", k = 64 }}\n"
    ));
    assert_eq!(field.as_deref(), Some("cluster.instances"));
    assert!(msg.contains("with eviction `lruk` / `lruk`, may need 4.7 GiB"), "{msg}");
    assert!(msg.contains("more than the 4 GiB supported"), "{msg}");
    // The autoscaler's maximum counts, not just the initial fleet.
    let (msg, _) = refused_at_run(&format!(
        "[cluster]\ninstances = 1\n{tiny}\
         [autoscaling]\npolicy = \"target-tracking\"\nmin_instances = 1\nmax_instances = 300\n"
    ));
    assert!(msg.contains("300 instances (the autoscaling maximum) × 220136 models"), "{msg}");
}

/// Finding 8: reshuffling 100,000 models every nanosecond redrew a whole
/// permutation at nearly every arrival.
#[test]
fn a_reshuffle_storm_is_refused() {
    let (msg, field) =
        refused("[models]\ncount = 100000\n[workload]\ndrift = { kind = \"reshuffle\", every_s = 1e-9 }\n");
    assert_eq!(field.as_deref(), Some("workload.drift"));
    assert!(msg.contains("`every_s` must be at least 0.1 s for 100000 models"), "{msg}");
}

/// Finding 8: a table spike of 1e9/s for 2 µs made the thinning draw 1e9
/// candidates per simulated second for the whole hour; it now costs only
/// its own ~1,000 arrivals.
#[test]
fn a_brief_table_spike_runs_in_time() {
    let s = common::scenario(
        "duration_s = 3600.0\n[models]\ncount = 2\n[workload]\n\
         arrival = { process = \"table\", points = [[0, 1], [10, 1], [10.000001, 1e9], [10.000002, 1]] }\n",
    );
    let out = s.run().expect("runs");
    let n = out.report.requests.arrived as f64;
    assert!((n - 4600.0).abs() < 5.0 * 4600f64.sqrt(), "{n}");
}

/// Finding 10: two listed models with one name, and an empty zone name,
/// were accepted.
#[test]
fn duplicate_model_names_and_empty_zone_names_are_refused() {
    let (msg, field) = refused(
        "[[models.list]]\nname = \"a\"\nmemory_mib = 100.0\n[[models.list]]\nname = \"a\"\nmemory_mib = 200.0\n",
    );
    assert_eq!(field.as_deref(), Some("models"));
    assert_eq!(
        msg,
        "h.toml: `models`: list[1] (`a`): `name` is already the name of list[0]; model names must be unique"
    );
    let (msg, field) = refused("[cluster]\nzones = [\"a\", \"\"]\ninstances = 2\n");
    assert_eq!(field.as_deref(), Some("cluster.zones[1]"));
    assert_eq!(msg, "h.toml: `cluster.zones[1]`: a zone name must not be empty, got \"\"");
}

/// Finding 10: `duration_s = 1e-12` ran an empty scenario and exited 0.
#[test]
fn a_vanishing_duration_is_refused() {
    let (msg, field) = refused("duration_s = 1e-12\n");
    assert_eq!(field.as_deref(), Some("duration_s"));
    assert_eq!(
        msg,
        "h.toml: `duration_s`: must be at least 0.001 s (a shorter run holds no request), got 0.000000000001"
    );
    Scenario::from_toml_str("duration_s = 0.001\n", "h.toml").expect("the floor itself is fine");
}

/// Finding 10: a fault at 100,000 s in a 60 s scenario kept the endpoint
/// running (and billed: 27 instance-hours) until it came.
#[test]
fn a_fault_after_the_arrivals_is_refused() {
    let (msg, field) =
        refused("duration_s = 60.0\n[[faults]]\nkind = \"instance-failure\"\ninstance = 0\nat_s = 100000.0\n");
    assert_eq!(field.as_deref(), Some("faults[0].at_s"));
    assert!(msg.contains("100000 s is not before the end of the arrivals (duration_s = 60 s)"), "{msg}");
    let (_, field) = refused("duration_s = 60.0\n[[faults]]\nkind = \"zone-outage\"\nzone = 0\nat_s = 60.0\n");
    assert_eq!(field.as_deref(), Some("faults[0].at_s"));
    // Before the end, with an outage lasting past it, is fine.
    Scenario::from_toml_str(
        "duration_s = 60.0\n[[faults]]\nkind = \"zone-outage\"\nzone = 0\nat_s = 59.0\nduration_s = 600.0\n",
        "h.toml",
    )
    .expect("a fault within the run");
}

/// Finding 10: `GPUUtilization` on a CPU type is legal (the simulation
/// reads the slots' utilisation) but surely a mistake: a warning.
#[test]
fn gpu_utilization_on_a_cpu_type_is_a_warning() {
    let text = "[autoscaling]\npolicy = \"target-tracking\"\nmetric = \"GPUUtilization\"\n";
    let s = common::scenario(text);
    let w = s.warnings();
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].field, "autoscaling.metric");
    assert!(w[0].to_string().starts_with("autoscaling.metric: `GPUUtilization` on `ml.m5.xlarge`, which has no GPU"));
    let step =
        "[autoscaling]\npolicy = \"step\"\nmetric = \"GPUUtilization\"\nsteps = [{ above = 50.0, change = 1 }]\n";
    assert_eq!(common::scenario(step).warnings().len(), 1);
    // On a GPU type, or with a CPU metric, no warning.
    let gpu = format!("[cluster]\ninstance_type = \"ml.g4dn.xlarge\"\n{text}");
    assert!(common::scenario(&gpu).warnings().is_empty());
    let cpu = text.replace("GPUUtilization", "CPUUtilization");
    assert!(common::scenario(&cpu).warnings().is_empty());
    assert!(common::scenario("").warnings().is_empty());
}

/// Finding 11: a NaN inside `[routing]` or `[autoscaling]` became a JSON
/// null on the way to the policy, and the error was a type error about
/// the table; it is now the field's own range error.
#[test]
fn a_nan_in_a_policy_table_names_the_field() {
    for (table, key, field) in [
        (
            "[routing]\npolicy = \"sticky\"\nspill_factor = nan\n",
            "`spill_factor` must be a positive number, got NaN",
            "routing.spill_factor",
        ),
        (
            "[routing]\npolicy = \"consistent-hash\"\nload_factor = nan\n",
            "`load_factor` must be a number greater than 1",
            "routing.load_factor",
        ),
        (
            "[autoscaling]\npolicy = \"target-tracking\"\ntarget = nan\n",
            "`target` must be a positive number, got NaN",
            "autoscaling.target",
        ),
        (
            "[autoscaling]\npolicy = \"step\"\nsteps = [{ above = nan, change = 1 }]\n",
            "`steps[0].above` must be a finite number, got NaN",
            "autoscaling.steps[0].above",
        ),
        (
            "[eviction]\nmemory = { policy = \"ttl\", ttl_s = nan }\n",
            "`ttl_s` must be a positive number",
            "eviction.memory.ttl_s",
        ),
    ] {
        let (msg, f) = refused(table);
        assert!(msg.contains(key) && !msg.contains("null"), "{table}: {msg}");
        assert_eq!(f.as_deref(), Some(field), "{table}: {msg}");
    }
}

fn oracle_scenario(dir: &std::path::Path) -> Scenario {
    let path = dir.join("s.toml");
    std::fs::write(
        &path,
        "duration_s = 100.0\n[models]\nservice_ms = 5.0\n\
         [workload]\ntrace = { format = \"oracle-general\", path = \"t.bin\" }\n",
    )
    .unwrap();
    Scenario::from_file(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// Finding 10: an oracle-general `next_access_vtime` beyond the last
/// record, and a CSV file read as oracle-general, were read as nonsense.
#[test]
fn oracle_general_nonsense_is_an_error_naming_the_record() {
    let dir = temp_dir("hostile", "oracle");
    let s = oracle_scenario(&dir);
    let reqs: Vec<CacheRequest> = (0..3u64)
        .map(|i| CacheRequest { time: SimTime::from_secs(i), object: i % 2, size: 1 << 20, next_access: None })
        .collect();
    let mut bytes = Vec::new();
    write_oracle_general(&mut bytes, reqs).unwrap();
    bytes[16..24].copy_from_slice(&9i64.to_le_bytes());
    std::fs::write(dir.join("t.bin"), &bytes).unwrap();
    let e = s.run().unwrap_err().to_string();
    assert!(
        e.ends_with("t.bin: record 1 (byte offset 0): next_access_vtime 9 points past the end of the trace, whose last record is number 3"),
        "{e}"
    );
    // A CSV trace, 48 bytes long, read as oracle-general.
    let csv = "timestamp_s,object,size_bytes\n0,1,100\n1,2,20000\n";
    assert_eq!(csv.len(), 48);
    std::fs::write(dir.join("t.bin"), csv).unwrap();
    let e = s.run().unwrap_err().to_string();
    assert!(e.contains("t.bin: record 1 (byte offset 0): this is text, not oracle-general's binary records"), "{e}");
    assert!(e.ends_with("is it a CSV trace (format `csv`)?"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
