//! # Quickstart: a scenario through the Rust API
//!
//! Shows the same path as `mmesim run examples/scenarios/quickstart.toml`,
//! from Rust: load a scenario, change a field, run it, read the report,
//! and compare a run with more instances.
//!
//! ```text
//!                 ┌──────────── endpoint (4 × ml.m5.xlarge, 2 zones) ───────────┐
//!  Poisson 100/s  │  instance 0 [zone-a]   memory 14 GiB ◄─ load ◄─ disk ◄─ S3  │
//!  Zipf(1.0) over ├─►instance 1 [zone-b]   4 slots, FIFO queue                  │──► report
//!  500 models     │  instance 2 [zone-a]   LRU unloads idle models when full    │
//!      │ sticky   │  instance 3 [zone-b]                                         │
//!      └──router──┘──────────────────────────────────────────────────────────────┘
//! ```
//!
//! Run: `cargo run --release --example quickstart`. It asserts its own
//! outcome: every request accounted for, and doubling the fleet (twice the
//! memory) raises the hit ratio and cuts unloads.

use mmesim::Scenario;

fn main() -> Result<(), mmesim::Error> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/scenarios/quickstart.toml");
    let mut scenario = Scenario::from_file(path)?;
    scenario.duration_s = 900.0; // 15 simulated minutes are enough here

    let small = scenario.run()?.report;
    print!("{}", mmesim::summary_table(&small));

    let mut bigger = scenario.clone();
    bigger.cluster.instances = 8;
    let big = bigger.run()?.report;

    println!();
    println!("{:<12} {:>10} {:>10} {:>10} {:>10}", "instances", "hit ratio", "p99 ms", "unloads", "cost $");
    for (n, r) in [(4, &small), (8, &big)] {
        println!(
            "{:<12} {:>10.4} {:>10.1} {:>10} {:>10.2}",
            n, r.model_cache_hit, r.latency_ms.p99, r.cache.unloads, r.cost_usd
        );
    }

    for r in [&small, &big] {
        let q = &r.requests;
        assert_eq!(q.arrived, q.completed + q.failed + q.rejected, "every request ends exactly once");
    }
    assert!(big.model_cache_hit > small.model_cache_hit, "more memory, more hits");
    assert!(big.cache.unloads < small.cache.unloads, "more memory, less thrashing");
    assert!(big.cost_usd > small.cost_usd, "twice the instances cost more");
    Ok(())
}
