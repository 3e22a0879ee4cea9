//! Same scenario and seed → byte-identical JSON; another seed → another.
//! And the workload does not depend on the policies.

mod common;

fn quickstart(duration_s: f64) -> mmesim::Scenario {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/scenarios/quickstart.toml");
    let mut s = mmesim::Scenario::from_file(path).unwrap_or_else(|e| panic!("{e}"));
    s.duration_s = duration_s;
    s.warmup_s = 60.0;
    s
}

#[test]
fn same_seed_byte_identical_other_seed_different() {
    let s = quickstart(400.0);
    let a = mmesim::to_json(&s.run().unwrap().report);
    let b = mmesim::to_json(&s.run().unwrap().report);
    assert_eq!(a, b);
    let mut t = s.clone();
    t.seed += 1;
    let c = mmesim::to_json(&t.run().unwrap().report);
    assert_ne!(a, c);
}

/// The number of arrivals depends only on the seed and the arrival
/// process, not on the fleet or the routing parameters (separate streams).
#[test]
fn workload_is_independent_of_the_endpoint() {
    let s = quickstart(300.0);
    let base = s.run().unwrap().report.requests.arrived;
    let mut t = s.clone();
    t.cluster.instances = 9;
    t.routing = mmesim::routing::RoutingPolicy::Sticky { spill_factor: 0.5 };
    assert_eq!(t.run().unwrap().report.requests.arrived, base);
}
