//! Instance failures, zone outages, client retries and replacements.

mod common;

use mmesim::core::{Arrival, ModelId, TraceKind, VecSource};
use mmesim::engine::SimTime;
use mmesim::RunOptions;

/// Two 1-vCPU instances in two zones; one 100 MiB model (download 0.1 s,
/// load 0.05 s), service 1 s.
fn scenario(extra: &str) -> String {
    format!(
        r#"
        name = "faults"
        duration_s = 30.0
        [[instance_types]]
        name = "t"
        vcpus = 1
        memory_gib = 1.0
        price_per_hour = 3.6
        storage = {{ kind = "nvme", size_gib = 10.0, read_mb_per_s = 2097.152 }}
        download_mb_per_s = 1048.576
        [cluster]
        instance_type = "t"
        instances = 2
        zones = ["a", "b"]
        download_overhead_ms = 0.0
        replacement_delay_s = 10.0
        [models]
        load_overhead_ms = 0.0
        unload_ms = 0.0
        list = [{{ name = "A", memory_mib = 100.0, service_ms = 1000.0 }}]
        {extra}
        "#
    )
}

fn run(text: &str, arrivals: &[u64]) -> mmesim::RunResult {
    let s = common::scenario(text);
    let arrivals = arrivals
        .iter()
        .map(|&ms| Arrival { time: SimTime::from_millis(ms), model: ModelId(0), service: None })
        .collect();
    s.simulation_with_source(
        RunOptions { record_trace: true, check_invariants: true, record_metrics: true },
        Box::new(VecSource::new(arrivals)),
    )
    .unwrap()
    .run()
}

fn completions(out: &mmesim::RunResult) -> Vec<(u32, u64)> {
    out.trace
        .iter()
        .filter_map(|t| match t.kind {
            TraceKind::Completed { latency, .. } => Some((t.instance.0, latency.as_nanos() / 1_000_000)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_zone_outage_fails_its_requests_or_retries_them_elsewhere() {
    // Without faults: served on its home h: ready at 0.15 s, done at 1.15 s.
    let base = run(&scenario(""), &[0]);
    let (home, latency) = completions(&base)[0];
    assert_eq!(latency, 1150);
    let zone = ["a", "b"][home as usize % 2]; // instances go round-robin over zones
    let other = 1 - home;
    let outage = format!("[[faults]]\nkind = \"zone-outage\"\nzone = \"{zone}\"\nat_s = 0.5\nduration_s = 100.0\n");

    // No retries: the request in service fails with the instance.
    let out = run(&scenario(&outage), &[0]);
    let r = &out.report;
    assert_eq!((r.requests.completed, r.requests.failed), (0, 1));
    assert_eq!(r.requests.failed_by_reason.get("instance_failed"), Some(&1));
    assert_eq!(r.fleet.failed, 1);

    // One retry after 100 ms: it goes to the survivor, which starts cold:
    // retry at 0.6 s, download 0.1 s + load 0.05 s, serve 1 s → 1.75 s.
    let with_retry = format!("{outage}\n[client]\nretries = 1\nbackoff_ms = 100.0\n");
    let out = run(&scenario(&with_retry), &[0]);
    assert_eq!(completions(&out), vec![(other, 1750)]);
    let r = &out.report;
    assert_eq!((r.requests.arrived, r.requests.completed, r.requests.failed), (1, 1, 0));
    assert_eq!(r.fleet.retries, 1);
    // The zone is out for 100 s: its replacement goes to the other zone at
    // 10.5 s (the replacement delay), not back into the dead zone.
    assert_eq!((r.fleet.failed, r.fleet.replacements, r.fleet.launched), (1, 1, 3));
    let z = |name: &str| r.zones.iter().find(|z| z.name == name).unwrap();
    assert_eq!(z(zone).instances_failed, 1);
    assert_eq!(z(["a", "b"][other as usize % 2]).completed, 1);
    assert_eq!(r.faults.len(), 1);
    assert_eq!((r.faults[0].start, r.faults[0].end), (SimTime::from_millis(500), Some(SimTime::from_millis(100_500))));
}

#[test]
fn instance_failure_with_nothing_left_rejects_then_recovers() {
    // One instance; it fails at 0.5 s for 5 s (then comes back, empty).
    let text = scenario("[[faults]]\nkind = \"instance-failure\"\ninstance = 0\nat_s = 0.5\nduration_s = 5.0\n")
        .replace("instances = 2", "instances = 1");
    // r0 at 0 fails with the instance; r1 at 2 s finds no instance; r2 at
    // 6 s is served by the replacement (ready at 5.5 s), cold: 1.15 s.
    let out = run(&text, &[0, 2000, 6000]);
    let r = &out.report;
    assert_eq!(r.requests.failed_by_reason.get("instance_failed"), Some(&1));
    assert_eq!(r.requests.rejected_by_reason.get("no_healthy_instance"), Some(&1));
    assert_eq!(completions(&out), vec![(1, 1150)]);
    assert_eq!(r.fleet.replacements, 1);
    // Billing: instance 0 for 0.5 s, instance 1 from 5.5 s to the end (30 s).
    assert!((r.instance_hours * 3600.0 - (0.5 + 24.5)).abs() < 1e-6, "{}", r.instance_hours * 3600.0);
}

#[test]
fn bad_faults_are_clear_errors() {
    for (fault, field) in [
        ("kind = \"zone-outage\"\nzone = 5\nat_s = 1.0", "faults[0].zone"),
        ("kind = \"zone-outage\"\nzone = \"c\"\nat_s = 1.0", "faults[0].zone"),
        ("kind = \"instance-failure\"\ninstance = 2\nat_s = 1.0", "faults[0].instance"),
        ("kind = \"instance-failure\"\ninstance = -1\nat_s = 1.0", "faults[0].instance"),
        ("kind = \"zone-outage\"\nzone = 0\nat_s = 1.0\nduration_s = -5.0", "faults[0].duration_s"),
        ("kind = \"zone-outage\"\nzone = 0\nat_s = -1.0", "faults[0].at_s"),
        ("kind = \"meteor\"\nat_s = 1.0", "faults"),
        ("kind = \"zone-outage\"\nat_s = 1.0", "zone"),
    ] {
        let text = scenario(&format!("[[faults]]\n{fault}\n"));
        let e = mmesim::Scenario::from_toml_str(&text, "f.toml").expect_err(fault).to_string();
        assert!(e.starts_with("f.toml: ") && e.contains(field) && !e.contains('\n'), "{fault}: {e}");
    }
}

/// The AWS SDK presets: with both zones out for good from the start, every
/// request is rejected (no healthy instance) after the preset's retries,
/// each wait drawn from [0, 2^(n−1) s] ("full jitter"): the legacy mode's
/// 4 retries wait at most 1 + 2 + 4 + 8 = 15 s in all, the standard mode's 2
/// at most 1 + 2 = 3 s. The draws differ between seeds but the bounds hold.
#[test]
fn sdk_presets_retry_with_jittered_exponential_backoff() {
    let out_all = "[[faults]]\nkind = \"zone-outage\"\nzone = \"a\"\nat_s = 0.0\n\
                   [[faults]]\nkind = \"zone-outage\"\nzone = \"b\"\nat_s = 0.0\n";
    for (preset, retries, most_s) in [("boto3-legacy", 4u64, 15.0), ("boto3-standard", 2, 3.0)] {
        let text = scenario(&format!("[client]\npreset = \"{preset}\"\n{out_all}"));
        let out = run(&text, &[1000, 2000, 3000]);
        let r = &out.report;
        assert_eq!((r.requests.rejected, r.fleet.retries), (3, 3 * retries), "{preset}");
        let last = out
            .trace
            .iter()
            .filter(|t| matches!(t.kind, TraceKind::Rejected { .. }))
            .map(|t| t.time.as_secs_f64())
            .fold(0.0, f64::max);
        assert!(last > 3.0 && last <= 3.0 + most_s, "{preset}: last rejection at {last} s");
    }
    // Without jitter the same retries wait exactly 1, 2, 4 and 8 s: the
    // last rejection comes at 3 + 15 s; with it (above) strictly earlier.
    let text = scenario(&format!("[client]\nretries = 4\nbackoff_ms = 1000.0\n{out_all}"));
    let out = run(&text, &[1000, 2000, 3000]);
    let last = out.trace.iter().map(|t| t.time.as_secs_f64()).fold(0.0, f64::max);
    assert_eq!(last, 18.0);
    let text = scenario(&format!("[client]\npreset = \"boto3-legacy\"\n{out_all}"));
    let jittered = run(&text, &[1000, 2000, 3000]).trace.iter().map(|t| t.time.as_secs_f64()).fold(0.0, f64::max);
    assert!(jittered < 18.0, "{jittered}");
    // A preset sets the retry keys: giving one too is an error naming it.
    let text = scenario("[client]\npreset = \"boto3-standard\"\nretries = 3\n");
    let e = mmesim::Scenario::from_toml_str(&text, "c.toml").unwrap_err().to_string();
    assert!(e.contains("client.retries") && e.contains("preset"), "{e}");
}
