//! Routing policies on an endpoint where memory is the bottleneck: 8
//! instances, each able to hold about 1/8 of the working set. Routers that
//! keep each model on few instances (sticky, consistent-hash, modelmesh)
//! make the fleet's memory act as one big cache; random and round-robin
//! make every instance cache the same hot models.

mod common;

use mmesim::routing::RoutingPolicy;

const SCENARIO: &str = r#"
name = "routing"
seed = 5
duration_s = 1200.0
warmup_s = 400.0
[[instance_types]]
name = "r"
vcpus = 8
memory_gib = 9.0
price_per_hour = 1.0
[cluster]
instance_type = "r"
instances = 8
zones = 2
[models]
count = 640                                   # 640 × 128 MiB = 80 GiB; each instance holds 72 (about 1/9)
memory_mib = { dist = "constant", value = 128.0 }
service_ms = { dist = "exponential", mean = 10.0 }
[workload]
arrival = { process = "poisson", rate_per_s = 200.0 }
popularity = { dist = "zipf", alpha = 0.8 }
"#;

pub fn hit_ratios() -> Vec<(String, f64)> {
    RoutingPolicy::all()
        .into_iter()
        .map(|p| {
            let mut s = common::scenario(SCENARIO);
            s.routing = p.clone();
            let r = s.run().unwrap().report;
            assert_eq!(r.requests.arrived, r.requests.completed + r.requests.failed + r.requests.rejected);
            (p.name().to_string(), r.model_cache_hit)
        })
        .collect()
}

#[test]
fn locality_aware_routers_beat_random_and_round_robin() {
    let h = hit_ratios();
    for (name, hit) in &h {
        eprintln!("{name:<18} {hit:.4}");
    }
    let hit = |n: &str| h.iter().find(|(name, _)| name == n).map(|x| x.1).unwrap();
    for good in ["sticky", "consistent-hash", "modelmesh"] {
        for bad in ["random", "round-robin"] {
            assert!(hit(good) > hit(bad) + 0.10, "{good} ({:.4}) not clearly above {bad} ({:.4})", hit(good), hit(bad));
        }
    }
}
