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

/// Faults, retries and the per-minute metrics CSV are deterministic too.
#[test]
fn faults_and_metrics_csv_are_byte_identical() {
    let mut s = quickstart(900.0);
    s.client.retries = Some(1);
    let extra: mmesim::Scenario = mmesim::Scenario::from_toml_str(
        "[cluster]\nzones = 2\ninstances = 4\n[[faults]]\nkind = \"zone-outage\"\nzone = 1\nat_s = 400.0\nduration_s = 200.0\n\
         [[faults]]\nkind = \"instance-failure\"\ninstance = 0\nat_s = 700.0\n",
        "faults.toml",
    )
    .unwrap();
    s.faults = extra.faults;
    let opts = mmesim::RunOptions { record_metrics: true, ..Default::default() };
    let a = s.run_with(opts).unwrap();
    let b = s.run_with(opts).unwrap();
    assert_eq!(mmesim::to_json(&a.report), mmesim::to_json(&b.report));
    let (ca, cb) = (mmesim::metrics_csv(&a), mmesim::metrics_csv(&b));
    assert_eq!(ca, cb);
    assert_eq!(a.report.fleet.failed, 3); // two in zone 1, instance 0
                                          // 17 metrics per minute for each instance alive in it, each zone and the endpoint.
    assert!(ca.lines().count() > 15 * 16 * (4 + 2 + 1));
    assert!(ca.starts_with("minute,time_s,metric,dimension,value,sample_count\n0,0,Invocations,instance=0,"));
    // The endpoint's Invocations per minute add up to the requests routed
    // to an instance: every request that did not end turned away by the
    // router reached one at least once, and each retry adds at most one.
    let total: f64 = ca
        .lines()
        .filter(|l| l.contains(",Invocations,endpoint,"))
        .map(|l| l.split(',').nth(4).unwrap().parse::<f64>().unwrap())
        .sum();
    let routed = a.report.requests.arrived
        - a.report.requests.rejected_by_reason.get("no_healthy_instance").copied().unwrap_or(0);
    let retries = a.report.fleet.retries;
    assert!(retries > 0, "the faults made no client retry");
    assert!(total as u64 >= routed && total as u64 <= routed + retries, "{total} vs {routed} + {retries} retries");
}
