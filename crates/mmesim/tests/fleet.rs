//! The fleet mechanics an autoscaler drives: launches that take the launch
//! delay and start cold, drains that take no new request and finish the
//! in-flight ones, and billing per second of lifetime.

mod common;

use mmesim::core::{Autoscaler, Evictor, FleetStatus, MinuteMetrics, Policies, Simulation, TraceKind};
use mmesim::engine::{RngStreams, SimTime};
use mmesim::eviction::Lru;
use mmesim::routing::Sticky;
use mmesim::workload::Generated;
use mmesim::RunOptions;

/// Scales to 3 at the end of minute 1 and back to 1 at the end of minute 10.
struct Script;
impl Autoscaler for Script {
    fn name(&self) -> &str {
        "script"
    }
    fn evaluate(&mut self, _m: &MinuteMetrics, f: &FleetStatus) -> Option<u32> {
        match f.now.as_nanos() / 1_000_000_000 {
            60 => Some(3),
            600 => Some(1),
            _ => None,
        }
    }
}

#[test]
fn launch_delay_cold_start_drain_and_billing() {
    let s = common::scenario(
        r#"
        name = "fleet"
        duration_s = 1200.0
        [[instance_types]]
        name = "t"
        vcpus = 2
        memory_gib = 4.0
        price_per_hour = 3.6
        [cluster]
        instance_type = "t"
        instances = 1
        zones = 2
        launch_delay_s = 120.0
        [models]
        count = 200
        memory_mib = { dist = "constant", value = 100.0 }
        service_ms = { dist = "constant", value = 5.0 }
        [workload]
        arrival = { process = "poisson", rate_per_s = 20.0 }
        popularity = { dist = "uniform" }
        "#,
    );
    let cfg = s.sim_config(RunOptions { record_trace: true, check_invariants: true, record_metrics: true }).unwrap();
    let streams = RngStreams::new(s.seed);
    let source = Generated::new(&s.workload.arrival, &s.workload.popularity, 200, &streams);
    let policies = Policies {
        router: Box::new(Sticky::new(2.0)),
        autoscaler: Box::new(Script),
        evictors: Box::new(|_, _, _| Box::new(Lru::new()) as Box<dyn Evictor>),
    };
    let out = Simulation::new(cfg, Box::new(source), policies).unwrap().run();
    let r = &out.report;
    assert_eq!(r.requests.arrived, r.requests.completed + r.requests.failed + r.requests.rejected);
    assert_eq!(r.fleet.launched, 3);
    assert_eq!(r.fleet.peak_in_service, 3);

    // Minute k ends at 60(k+1) s. Launched at 60 s, in service at 180 s.
    let m = |k: usize| (&out.minutes[k].instance_count, &out.minutes[k].pending_instances);
    assert_eq!(m(0), (&1, &0)); // ends at 60: the decision is taken after it
    assert_eq!(m(1), (&1, &2)); // 60–120
    assert_eq!(m(2), (&3, &0)); // ends at 180: the two are ready
    assert_eq!(m(9), (&3, &0)); // ends at 600: the drain decision follows it
    assert_eq!(m(10), (&1, &0)); // 600–660: drained at once (or within ms)

    // New instances serve nothing before 180 s and start cold (they load
    // models of their own); drained ones take no request after 600 s, and
    // leave when their last in-flight request ends.
    let on = |i: u32| out.trace.iter().filter(move |t| t.instance.0 == i);
    let mut expect = r.simulated_s; // instance 0: the whole run
    for i in [1, 2] {
        assert!(on(i).all(|t| t.time >= SimTime::from_secs(180)), "instance {i} worked before it was ready");
        assert!(on(i).any(|t| t.kind == TraceKind::LoadStart), "instance {i} never loaded a model");
        let mut last_end = 600.0f64;
        for t in on(i) {
            match t.kind {
                TraceKind::Completed { latency, .. } => {
                    let arrived = t.time.as_secs_f64() - latency.as_secs_f64();
                    assert!(arrived <= 600.0, "instance {i} took a request at {arrived} s, after its drain");
                    last_end = last_end.max(t.time.as_secs_f64());
                }
                TraceKind::Failed { .. } => last_end = last_end.max(t.time.as_secs_f64()),
                _ => {}
            }
        }
        // Billed from the launch request (60 s) to removal.
        expect += last_end - 60.0;
    }
    // Price $3.60/h = $0.001/s.
    assert!((r.instance_hours * 3600.0 - expect).abs() < 1e-6, "{} vs {expect}", r.instance_hours * 3600.0);
    assert!((r.cost_usd - expect / 1000.0).abs() < 1e-9);
}

/// Scales in by one at the end of minute 4.
struct OneLess(u32);
impl Autoscaler for OneLess {
    fn name(&self) -> &str {
        "one-less"
    }
    fn evaluate(&mut self, _m: &MinuteMetrics, f: &FleetStatus) -> Option<u32> {
        (f.now == SimTime::from_secs(300)).then_some(self.0 - 1)
    }
}

/// Which instance a scale-in drains. With one model, one instance (its
/// home) holds it and the others hold nothing. The fleet size is chosen so
/// that the home is the newest instance: then `newest` drains the home and
/// the model moves, while `fewest-loaded` drains an empty instance and the
/// home keeps serving.
#[test]
fn scale_in_pick() {
    // (home, instances serving after the scale-in)
    let run = |pick: &str, n: u32| {
        let s = common::scenario(&format!(
            r#"
            duration_s = 900.0
            [cluster]
            instances = {n}
            scale_in_pick = "{pick}"
            [models]
            count = 1
            [workload]
            arrival = {{ process = "poisson", rate_per_s = 0.5 }}
            "#
        ));
        let cfg =
            s.sim_config(RunOptions { record_trace: true, check_invariants: true, record_metrics: false }).unwrap();
        let streams = RngStreams::new(s.seed);
        let source = Generated::new(&s.workload.arrival, &s.workload.popularity, 1, &streams);
        let policies = Policies {
            router: Box::new(Sticky::new(2.0)),
            autoscaler: Box::new(OneLess(n)),
            evictors: Box::new(|_, _, _| Box::new(Lru::new()) as Box<dyn Evictor>),
        };
        let out = Simulation::new(cfg, Box::new(source), policies).unwrap().run();
        let home = out.trace.iter().find(|t| t.kind == TraceKind::LoadStart).unwrap().instance.0;
        // The premise: before the scale-in only the home loads the model
        // (no spill copy).
        assert!(out
            .trace
            .iter()
            .filter(|t| t.kind == TraceKind::LoadStart && t.time < SimTime::from_secs(300))
            .all(|t| t.instance.0 == home));
        let busy_after: std::collections::BTreeSet<u32> = out
            .trace
            .iter()
            .filter(|t| t.time > SimTime::from_secs(301) && matches!(t.kind, TraceKind::Completed { .. }))
            .map(|t| t.instance.0)
            .collect();
        (home, busy_after)
    };
    let n = (2..12).find(|&n| run("newest", n).0 == n - 1).expect("some fleet size makes the home the newest");
    let (home, after) = run("newest", n);
    assert!(!after.contains(&home), "newest must drain the home {home}: {after:?}");
    let (home, after) = run("fewest-loaded", n);
    assert_eq!(after, std::collections::BTreeSet::from([home]), "fewest-loaded must keep the home");
    let e = mmesim::Scenario::from_toml_str("[cluster]\nscale_in_pick = \"oldest\"", "p.toml").unwrap_err().to_string();
    assert!(e.contains("scale_in_pick") && e.contains("oldest"), "{e}");
}
