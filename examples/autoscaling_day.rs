//! # A day of diurnal traffic: fixed fleets versus target tracking
//!
//! Shows the trade-off autoscaling walks: one simulated day whose traffic
//! follows a daily curve (4× from trough to peak) through fixed fleets
//! sized for the trough, the mean and the peak, and through SageMaker-style
//! target tracking on `InvocationsPerInstance` — with the cold caches every
//! new instance brings. Prints cost, p99, hit ratio and unloads side by
//! side, and writes an SVG of the target-tracking run over the day
//! (requests, hit ratio, p99, loaded models, instances).
//!
//! ```text
//!  rate ▲      ╭──╮            peak 96/s at 14:00
//!       │    ╭─╯  ╰─╮
//!       │ ──╯        ╰──       trough 24/s at 02:00
//!       └──────────────────► time of day
//!  fleets: 1 (trough) · 2 (mean) · 4 (peak) · target tracking 1–6
//! ```
//!
//! Run: `cargo run --release --example autoscaling_day`. It asserts its
//! outcome: target tracking costs less than the peak-sized fleet and has a
//! lower p99 than the trough-sized fleet, and every request is accounted
//! for.

use mmesim::autoscaling::AutoscalingPolicy;
use mmesim::Scenario;

const SCENARIO: &str = r#"
name = "autoscaling-day"
seed = 11
duration_s = 86400.0
warmup_s = 1800.0

[cluster]
instance_type = "ml.m5.xlarge"
instances = 2
launch_delay_s = 300.0

[models]
count = 100
memory_mib = { dist = "lognormal", median = 200.0, sigma = 0.5 }
service_ms = { dist = "exponential", mean = 100.0 }

[workload]
arrival = { process = "diurnal", mean_rate_per_s = 60.0, peak_to_trough = 4.0 }
popularity = { dist = "zipf", alpha = 0.9 }
"#;

fn main() -> Result<(), mmesim::Error> {
    let base = Scenario::from_toml_str(SCENARIO, "autoscaling_day")?;
    let mut rows = Vec::new();
    for (label, instances) in [("fixed 1 (trough)", 1), ("fixed 2 (mean)", 2), ("fixed 4 (peak)", 4)] {
        let mut s = base.clone();
        s.cluster.instances = instances;
        rows.push((label.to_string(), s.run()?));
    }
    let mut tt = base.clone();
    tt.autoscaling = AutoscalingPolicy::TargetTracking {
        metric: mmesim::autoscaling::TrackedMetric::InvocationsPerInstance,
        target: 1400.0, // ≈ 60 % of 4 slots at 100 ms per request, per minute
        min_instances: 1,
        max_instances: 6,
        scale_out_minutes: 3,
        scale_in_minutes: 15,
        scale_in_margin: 0.1,
        scale_out_cooldown_s: 300.0,
        scale_in_cooldown_s: 600.0,
    };
    let tt_out = tt.run()?;
    rows.push(("target tracking".to_string(), tt_out.clone()));

    println!(
        "{:<18} {:>9} {:>10} {:>10} {:>9} {:>10} {:>11}",
        "fleet", "cost $", "p99 ms", "hit ratio", "unloads", "failed", "rejected"
    );
    for (label, out) in &rows {
        let r = &out.report;
        println!(
            "{:<18} {:>9.2} {:>10.1} {:>10.4} {:>9} {:>10} {:>11}",
            label,
            r.cost_usd,
            r.latency_ms.p99,
            r.model_cache_hit,
            r.cache.unloads,
            r.requests.failed,
            r.requests.rejected
        );
        let q = &r.requests;
        assert_eq!(q.arrived, q.completed + q.failed + q.rejected, "{label}: requests lost");
    }
    let peak_instances = tt_out.minutes.iter().map(|m| m.instance_count).max().unwrap_or(0);
    let trough_instances = tt_out.minutes.iter().skip(60).map(|m| m.instance_count).min().unwrap_or(0);
    println!("\ntarget tracking used {trough_instances}–{peak_instances} instances over the day");
    let svg = std::env::temp_dir().join("autoscaling_day.svg");
    mmesim::chart::timeline_svg(&svg, "target tracking over a day", &tt_out.minutes, &[])?;
    println!("chart: {}", svg.display());

    let cost = |i: usize| rows[i].1.report.cost_usd;
    let p99 = |i: usize| rows[i].1.report.latency_ms.p99;
    assert!(
        cost(3) < cost(2),
        "target tracking (${:.2}) must cost less than the peak fleet (${:.2})",
        cost(3),
        cost(2)
    );
    assert!(p99(3) < p99(0), "target tracking p99 ({:.0} ms) must beat the trough fleet ({:.0} ms)", p99(3), p99(0));
    assert!(peak_instances > trough_instances, "the fleet must follow the day");
    Ok(())
}
