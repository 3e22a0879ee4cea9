//! # Recommend: which instance type, and how many, for these models and this traffic?
//!
//! Shows the recommender: 400 models (~250 MiB each, ~100 GiB in all) and
//! 120 requests/s with a Zipf(0.9) popularity; the question is the cheapest
//! fleet whose p99 stays under 1 s with a hit ratio of at least 0.95, over
//! three seeds. For each candidate type a bisection on the instance count
//! finds the fewest instances that pass; the answers are ranked by cost.
//!
//! ```text
//!   scenario ──► for each type: bisect count in 1..=16 ──► fewest passing ──► rank by $/hour
//!                 (each count: 3 seeds, all must pass)                         + cost/p99 frontier
//! ```
//!
//! Run: `cargo run --release --example recommend [-- frontier.svg]`. It
//! prints the ranking and asserts that the cheapest answer passes while one
//! instance fewer of the same type does not, that nothing ranked is
//! cheaper, and that surviving the loss of a zone costs at least as much.

use mmesim::recommend::{evaluate, recommend, SearchOptions, Targets};
use mmesim::Scenario;

const SCENARIO: &str = r#"
name = "recommend-example"
seed = 1
duration_s = 1200.0
warmup_s = 300.0

[cluster]
zones = 2

[models]
count = 400
memory_mib = { dist = "lognormal", median = 220.0, sigma = 0.5 }
service_ms = { dist = "gamma", shape = 2.0, mean = 60.0 }

[workload]
arrival = { process = "poisson", rate_per_s = 120.0 }
popularity = { dist = "zipf", alpha = 0.9 }
"#;

fn main() -> Result<(), mmesim::Error> {
    let s = Scenario::from_toml_str(SCENARIO, "recommend.rs")?;
    let targets = Targets { p99_ms: 1000.0, min_hit: Some(0.95), max_error_rate: 0.001 };
    let types = ["ml.m5.large", "ml.m5.xlarge", "ml.c5.xlarge", "ml.r5.xlarge", "ml.m5d.xlarge"];
    let opts = SearchOptions {
        types: types.iter().map(|t| t.to_string()).collect(),
        max_instances: 16,
        seeds: 3,
        ..SearchOptions::default()
    };
    let rec = recommend(&s, &targets, &opts, &|| {})?;
    print!("{}", rec.table());
    if let Some(path) = std::env::args().nth(1) {
        rec.frontier_svg(std::path::Path::new(&path), "recommend example: cost against p99")?;
    }

    let best = rec.cheapest().expect("some configuration meets the targets");
    assert!(best.passes && best.p99_ms <= 1000.0 && best.model_cache_hit >= 0.95);
    assert!(rec.ranked.iter().all(|e| e.cost_per_hour >= best.cost_per_hour));
    // One fewer of the same type misses a target.
    if best.instances > 1 {
        let fewer = evaluate(&s, &best.instance_type, best.instances - 1, &targets, &opts, &|| {})?;
        assert!(!fewer.passes, "{} × {} passes too", fewer.instances, fewer.instance_type);
        println!("one fewer ({} × {}): {}", fewer.instances, fewer.instance_type, fewer.missed.unwrap_or_default());
    }
    // Surviving a zone loss never comes cheaper.
    let zone_opts = SearchOptions { survive_zone_loss: true, ..opts.clone() };
    let safe = recommend(&s, &targets, &zone_opts, &|| {})?;
    match safe.cheapest() {
        Some(z) => {
            println!("surviving a zone loss: {} × {} at ${:.3}/hour", z.instances, z.instance_type, z.cost_per_hour);
            assert!(z.cost_per_hour >= best.cost_per_hour);
        }
        None => println!("surviving a zone loss: nothing up to 16 instances"),
    }
    Ok(())
}
