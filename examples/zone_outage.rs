//! # Zone outage: a three-zone endpoint loses a zone for ten minutes
//!
//! Shows fault injection, client retries and the per-minute metrics: the
//! endpoint runs 40 minutes; at minute 20 zone `zone-b` goes out for ten
//! minutes. Its instances lose their memory, disk and requests; clients
//! retry elsewhere; the survivors load the lost zone's models (the cold
//! starts show as a burst of loads); replacements come up in the healthy
//! zones after the replacement delay.
//!
//! ```text
//!   zone-a: i0 i3     zone-b: i1 i4  ✗ 20:00–30:00     zone-c: i2 i5
//!        ▲                 ▲                                ▲
//!        └──────── sticky routing, Poisson 100/s, Zipf(0.9) over 150 models, 150 ms each
//! ```
//!
//! Run: `cargo run --release --example zone_outage`. It prints the
//! before / during / after table and asserts its outcome: every request is
//! accounted for, retries turn the lost zone's in-flight requests into
//! completions, the loads per minute jump at the outage, and the cold-start
//! storm on the survivors times some requests out (under 1 %).

use mmesim::core::MinuteMetrics;
use mmesim::{RunOptions, Scenario};

const SCENARIO: &str = r#"
name = "zone-outage"
seed = 3
duration_s = 2400.0
warmup_s = 300.0

[cluster]
instance_type = "ml.m5.xlarge"
instances = 6
zones = 3
replacement_delay_s = 300.0

[models]
count = 150
memory_mib = { dist = "lognormal", median = 150.0, sigma = 0.6 }
service_ms = { dist = "exponential", mean = 150.0 }

[workload]
arrival = { process = "poisson", rate_per_s = 100.0 }
popularity = { dist = "zipf", alpha = 0.9 }

[client]
retries = 2
backoff_ms = 100.0

[[faults]]
kind = "zone-outage"
zone = "zone-b"
at_s = 1200.0
duration_s = 600.0
"#;

fn window(minutes: &[MinuteMetrics], from: u64, to: u64) -> (f64, f64, f64, f64, f64) {
    let w: Vec<&MinuteMetrics> = minutes.iter().filter(|m| m.minute >= from && m.minute < to).collect();
    let n = w.len().max(1) as f64;
    let inv: u64 = w.iter().map(|m| m.invocations).sum();
    let hit = w.iter().map(|m| m.model_cache_hit * m.invocations as f64).sum::<f64>() / inv.max(1) as f64;
    let p99 = w.iter().map(|m| m.p99_latency_ms).fold(0.0, f64::max);
    let loads = w.iter().map(|m| m.loads).sum::<u64>() as f64 / n;
    let inst = w.iter().map(|m| m.instance_count as f64).sum::<f64>() / n;
    (hit, p99, loads, inst, inv as f64 / n)
}

fn main() -> Result<(), mmesim::Error> {
    let s = Scenario::from_toml_str(SCENARIO, "zone_outage")?;
    let out = s.run_with(RunOptions { record_metrics: true, ..Default::default() })?;
    let r = &out.report;
    println!(
        "{:<24} {:>9} {:>14} {:>11} {:>10} {:>10}",
        "", "hit ratio", "worst p99 ms", "loads/min", "instances", "req/min"
    );
    // Minutes 10–18, 20–28 and 31–39: each window's instance counts are
    // snapshots at the end of its minutes, clear of the fault's edges.
    let rows = [("before (min 10–18)", 10, 19), ("during (min 20–28)", 20, 29), ("after (min 31–39)", 31, 40)];
    let mut table = Vec::new();
    for (label, a, b) in rows {
        let (hit, p99, loads, inst, rpm) = window(&out.minutes, a, b);
        println!("{label:<24} {hit:>9.4} {p99:>14.1} {loads:>11.1} {inst:>10.1} {rpm:>10.0}");
        table.push((hit, p99, loads, inst));
    }
    println!();
    println!(
        "requests: {} arrived, {} completed, {} failed, {} rejected; {} retries; {} instances failed, {} replaced",
        r.requests.arrived,
        r.requests.completed,
        r.requests.failed,
        r.requests.rejected,
        r.fleet.retries,
        r.fleet.failed,
        r.fleet.replacements
    );
    for z in &r.zones {
        println!(
            "  {:<7} {:>8} requests, hit {:.4}, {:>4} loads, {} failed instances",
            z.name, z.requests, z.model_cache_hit, z.loads, z.instances_failed
        );
    }

    assert_eq!(r.requests.arrived, r.requests.completed + r.requests.failed + r.requests.rejected);
    assert_eq!(r.fleet.failed, 2, "both zone-b instances fail");
    assert_eq!(r.fleet.replacements, 2);
    // Retries absorb the requests lost with the zone: none fails for that.
    assert!(r.fleet.retries > 0, "the clients retried");
    assert_eq!(r.requests.failed_by_reason.get("instance_failed"), None, "retries absorb the lost in-flight requests");
    // But the survivors must load the lost zone's models: each load is a
    // Multi Model Server worker's start (702 ms of CPU) after its read, so
    // in the cold-start storm some requests are still waiting for their
    // model at the 60 s limit (ModelNotReady).
    let not_ready = r.requests.failed_by_reason.get("model_not_ready").copied().unwrap_or(0);
    let timeouts = r.requests.failed_by_reason.get("timeout").copied().unwrap_or(0);
    assert_eq!(not_ready + timeouts, r.requests.failed, "{:?}", r.requests.failed_by_reason);
    assert!(not_ready > 0 && r.requests.failed < r.requests.arrived / 100, "{:?}", r.requests.failed_by_reason);
    let (before, during) = (&table[0], &table[1]);
    assert!(during.2 > 3.0 * before.2.max(0.1), "the survivors reload the lost zone's models");
    assert!(during.3 < before.3, "fewer instances during the outage");
    // The minute of the outage holds the burst of loads.
    let burst = out.minutes.iter().find(|m| m.minute == 20).map_or(0, |m| m.loads);
    assert!(burst > 20, "{burst} loads in the outage's first minute");
    Ok(())
}
