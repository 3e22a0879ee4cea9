//! Policies made outside the scenario file (`Scenario::run_custom_into`,
//! what the Python package's policies go through): the built-in policies
//! given as objects give exactly the scenario's report, and another policy
//! another report.

use mmesim::core::{CollectMinutes, Evictor};
use mmesim::eviction::{Fifo, Lru};
use mmesim::routing::LeastOutstanding;
use mmesim::{CustomPolicies, RunOptions, Scenario};
use std::collections::BTreeMap;

/// The quickstart on 2 instances for 10 minutes: memory thrashes.
fn thrashing(extra: &[(&str, toml::Value)]) -> Scenario {
    let base = Scenario::from_file(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/scenarios/quickstart.toml"))
        .expect("quickstart");
    let set: BTreeMap<String, toml::Value> = [
        ("cluster.instances", toml::Value::Integer(2)),
        ("duration_s", toml::Value::Float(600.0)),
        ("warmup_s", toml::Value::Float(60.0)),
    ]
    .into_iter()
    .chain(extra.iter().cloned())
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    base.with_overrides(&set, "test").expect("overrides")
}

fn report(s: &Scenario, custom: CustomPolicies) -> String {
    let out = s.run_custom_into(RunOptions::default(), custom, &mut CollectMinutes::default()).expect("run");
    mmesim::to_json(&out.report)
}

#[test]
fn built_in_policies_as_objects_give_the_scenarios_report() {
    let s = thrashing(&[]);
    let want = mmesim::to_json(&s.run().expect("run").report);
    let lru = || -> mmesim::MakeEvictor { Box::new(|_, _| Box::new(Lru::new()) as Box<dyn Evictor>) };
    assert_eq!(report(&s, CustomPolicies { memory: Some(lru()), disk: Some(lru()), router: None }), want);
    assert_eq!(report(&s, CustomPolicies::default()), want);

    // Another evictor: the scenario's report with that policy, not the
    // LRU one (the run evicts).
    let fifo = report(
        &s,
        CustomPolicies {
            memory: Some(Box::new(|_, _| Box::new(Fifo::new()) as Box<dyn Evictor>)),
            ..Default::default()
        },
    );
    assert_ne!(fifo, want);
    let s_fifo = thrashing(&[("eviction.memory", toml::Value::String("fifo".into()))]);
    assert_eq!(fifo, mmesim::to_json(&s_fifo.run().expect("run").report));

    // A router in place of the scenario's sticky one.
    let lo = report(&s, CustomPolicies { router: Some(Box::new(LeastOutstanding::new())), ..Default::default() });
    assert_ne!(lo, want);
    let s_lo = thrashing(&[("routing.policy", toml::Value::String("least-outstanding".into()))]);
    assert_eq!(lo, mmesim::to_json(&s_lo.run().expect("run").report));
}
