//! # Eviction shoot-out: every memory-tier policy on one cluster workload
//!
//! Runs the same endpoint and the same requests (same seed: the workload is
//! drawn from its own random streams, so it is identical across policies)
//! under every online eviction policy of the memory tier, and prints hit
//! ratio, p99 latency, unloads and cost side by side.
//!
//! ```text
//!   Poisson 100/s, Zipf(0.9) over 250 models (~69 GiB with each one's container worker)
//!        │ sticky routing
//!        ▼
//!   4 × ml.m5.xlarge: 56 GiB of model memory ── memory policy = lru | fifo | … | ttl
//!        (disk tier: LRU, EBS 100 GiB each)
//! ```
//!
//! Run: `cargo run --release --example eviction_shootout`. It asserts its
//! outcome: the workload is the same for every policy, every request is
//! accounted for, and the frequency- and size-aware policies (lfu, gdsf,
//! s3fifo, …) do not lose to plain fifo on hit ratio on this skewed
//! workload.

use mmesim::eviction::EvictionPolicy;
use mmesim::Scenario;

const SCENARIO: &str = r#"
name = "eviction-shootout"
seed = 7
duration_s = 1800.0
warmup_s = 600.0

[cluster]
instance_type = "ml.m5.xlarge"
instances = 4
zones = 2

[models]
count = 250
memory_mib = { dist = "lognormal", median = 100.0, sigma = 0.7 }
service_ms = { dist = "exponential", mean = 20.0 }

[workload]
arrival = { process = "poisson", rate_per_s = 100.0 }
popularity = { dist = "zipf", alpha = 0.9 }
"#;

fn main() -> Result<(), mmesim::Error> {
    let base = Scenario::from_toml_str(SCENARIO, "eviction_shootout")?;
    println!("{:<8} {:>10} {:>10} {:>10} {:>10} {:>9}", "memory", "hit ratio", "p99 ms", "unloads", "failed", "cost $");
    let mut rows = Vec::new();
    for policy in EvictionPolicy::all().into_iter().filter(|p| !p.is_offline()) {
        let mut s = base.clone();
        s.eviction.memory = policy.clone();
        let r = s.run()?.report;
        println!(
            "{:<8} {:>10.4} {:>10.1} {:>10} {:>10} {:>9.2}",
            policy.name(),
            r.model_cache_hit,
            r.latency_ms.p99,
            r.cache.unloads,
            r.requests.failed,
            r.cost_usd
        );
        rows.push((policy.name(), r));
    }

    let arrived = rows[0].1.requests.arrived;
    for (name, r) in &rows {
        let q = &r.requests;
        assert_eq!(q.arrived, arrived, "{name}: the workload must not depend on the policy");
        assert_eq!(q.arrived, q.completed + q.failed + q.rejected, "{name}: requests lost");
    }
    let hit = |n: &str| rows.iter().find(|(name, _)| *name == n).map(|(_, r)| r.model_cache_hit).unwrap_or(0.0);
    for better in ["lfu", "gdsf", "s3fifo", "lruk"] {
        assert!(hit(better) >= hit("fifo"), "{better} ({}) lost to fifo ({})", hit(better), hit("fifo"));
    }
    Ok(())
}
