//! Property tests over random small scenarios. Each run checks the model's
//! invariants after every event (memory, disk and slots within capacity;
//! pinned models never unloaded; accounting of bytes, pins and outstanding
//! requests; time never going backwards) and panics with `BUG:` on a
//! violation. On top, every arrived request must end exactly once, and the
//! same seed must give the same report.

mod common;

use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Params {
    instances: u32,
    zones: u32,
    vcpus: u32,
    cpu_per_request: u32,
    memory_gib: f64,
    disk_gib: f64,
    read_mb: f64,
    download_mb: f64,
    model_mib: Vec<f64>,
    artifact_ratio: f64,
    rate: f64,
    alpha: f64,
    duration: f64,
    warmup: f64,
    queue_limit: u32,
    timeout: f64,
    unload_ms: f64,
    load_overhead_ms: f64,
    service_ms: f64,
    max_loads: u32,
    max_downloads: u32,
    seed: u64,
    memory_policy: String,
    disk_policy: String,
    routing: String,
    faults: String,
    retries: u32,
    /// Target tracking (invocations per instance per minute), or none.
    autoscale: Option<f64>,
}

/// One of the autoscalers, chosen by the target value, with bounds
/// [1, instances + 2] and short alarms so that it acts within a run.
fn autoscaling_toml(t: f64, instances: u32) -> String {
    let max = instances + 2;
    match (t * 7.0) as u64 % 3 {
        0 => format!(
            "[autoscaling]\npolicy = \"target-tracking\"\ntarget = {t}\nmin_instances = 1\nmax_instances = {max}\n\
             scale_out_minutes = 1\nscale_in_minutes = 1\nscale_out_cooldown_s = 0.0\nscale_in_cooldown_s = 0.0\n"
        ),
        1 => format!(
            "[autoscaling]\npolicy = \"step\"\nmin_instances = 1\nmax_instances = {max}\ncooldown_s = 0.0\n\
             steps = [{{ above = {t}, change = 2 }}, {{ below = {}, change = -1 }}]\n",
            t / 3.0
        ),
        _ => format!(
            "[autoscaling]\npolicy = \"scheduled\"\nperiod_s = 120.0\nschedule = [[0, {instances}], [30, {max}], [70, 1]]\n"
        ),
    }
}

/// Zero to two random faults within the run.
fn faults_toml(kinds: &[(bool, u32, f64, Option<f64>)], instances: u32, zones: u32, duration: f64) -> String {
    kinds
        .iter()
        .map(|&(zone, which, at, dur)| {
            let at = at * duration;
            let dur = dur.map(|d| format!("duration_s = {}\n", d * duration)).unwrap_or_default();
            if zone {
                format!("[[faults]]\nkind = \"zone-outage\"\nzone = {}\nat_s = {at}\n{dur}", which % zones)
            } else {
                format!("[[faults]]\nkind = \"instance-failure\"\ninstance = {}\nat_s = {at}\n{dur}", which % instances)
            }
        })
        .collect()
}

/// Every online eviction policy, as a scenario value (ttl with a short
/// keep-alive so that expiries happen within the runs).
fn eviction_values() -> Vec<String> {
    mmesim::eviction::EvictionPolicy::NAMES
        .iter()
        .filter(|n| **n != "belady")
        .map(|n| if *n == "ttl" { "{ policy = \"ttl\", ttl_s = 3.0 }".to_string() } else { format!("\"{n}\"") })
        .collect()
}

fn params() -> impl Strategy<Value = Params> {
    (
        (1u32..=4, 1u32..=3, 1u32..=4, 0u32..=3, 1.0f64..4.0, 0.5f64..6.0, 50.0f64..1000.0, 50.0f64..500.0),
        (proptest::collection::vec(30.0f64..1500.0, 1..16), 0.3f64..1.5, 1.0f64..60.0, 0.0f64..1.5),
        (20.0f64..90.0, 0.0f64..0.5, 1u32..60, 0.2f64..20.0, 0.0f64..500.0, 0.0f64..300.0, 1.0f64..400.0),
        (1u32..=3, 1u32..=3, 0u64..(i64::MAX as u64), 0usize..64, 0usize..64),
        (
            0usize..16,
            proptest::collection::vec((any::<bool>(), 0u32..8, 0.0f64..1.0, proptest::option::of(0.01f64..0.5)), 0..3),
            0u32..3,
            proptest::option::of(5.0f64..600.0),
        ),
    )
        .prop_map(|(a, b, c, d, e)| Params {
            instances: a.0,
            zones: a.1,
            vcpus: a.2,
            cpu_per_request: 1 + a.3 % a.2,
            memory_gib: a.4,
            disk_gib: a.5,
            read_mb: a.6,
            download_mb: a.7,
            model_mib: b.0,
            artifact_ratio: b.1,
            rate: b.2,
            alpha: b.3,
            duration: c.0,
            warmup: c.0 * c.1,
            queue_limit: c.2,
            timeout: c.3,
            unload_ms: c.4,
            load_overhead_ms: c.5,
            service_ms: c.6,
            max_loads: d.0,
            max_downloads: d.1,
            seed: d.2,
            memory_policy: eviction_values()[d.3 % eviction_values().len()].clone(),
            disk_policy: eviction_values()[d.4 % eviction_values().len()].clone(),
            routing: mmesim::routing::RoutingPolicy::NAMES[e.0 % mmesim::routing::RoutingPolicy::NAMES.len()]
                .to_string(),
            faults: faults_toml(&e.1, a.0, a.1, c.0),
            retries: e.2,
            autoscale: e.3,
        })
}

fn toml_of(p: &Params) -> String {
    let list: Vec<String> =
        p.model_mib.iter().enumerate().map(|(i, m)| format!("{{ name = \"m{i}\", memory_mib = {m} }}")).collect();
    format!(
        r#"
        name = "prop"
        seed = {seed}
        duration_s = {duration}
        warmup_s = {warmup}
        [[instance_types]]
        name = "small"
        vcpus = {vcpus}
        memory_gib = {memory_gib}
        price_per_hour = 0.5
        storage = {{ kind = "ebs", size_gib = {disk_gib}, read_mb_per_s = {read_mb} }}
        download_mb_per_s = {download_mb}
        [cluster]
        instance_type = "small"
        instances = {instances}
        zones = {zones}
        cpu_per_request = {cpu}
        queue_limit = {queue_limit}
        request_timeout_s = {timeout}
        replacement_delay_s = 5.0
        launch_delay_s = 20.0
        max_concurrent_loads = {max_loads}
        max_concurrent_downloads = {max_downloads}
        [models]
        artifact_ratio = {artifact_ratio}
        unload_ms = {unload_ms}
        load_overhead_ms = {load_overhead_ms}
        service_ms = {{ dist = "exponential", mean = {service_ms} }}
        list = [{list}]
        [workload]
        arrival = {{ process = "poisson", rate_per_s = {rate} }}
        popularity = {{ dist = "zipf", alpha = {alpha} }}
        [eviction]
        memory = {memory_policy}
        disk = {disk_policy}
        [routing]
        policy = "{routing}"
        [client]
        retries = {retries}
        backoff_ms = 200.0
        {autoscaling}
        {faults}
        "#,
        autoscaling = p.autoscale.map(|t| autoscaling_toml(t, p.instances)).unwrap_or_default(),
        routing = p.routing,
        retries = p.retries,
        faults = p.faults,
        memory_policy = p.memory_policy,
        disk_policy = p.disk_policy,
        seed = p.seed,
        duration = p.duration,
        warmup = p.warmup,
        vcpus = p.vcpus,
        memory_gib = p.memory_gib,
        disk_gib = p.disk_gib,
        read_mb = p.read_mb,
        download_mb = p.download_mb,
        instances = p.instances,
        zones = p.zones,
        cpu = p.cpu_per_request,
        queue_limit = p.queue_limit,
        timeout = p.timeout,
        max_loads = p.max_loads,
        max_downloads = p.max_downloads,
        artifact_ratio = p.artifact_ratio,
        unload_ms = p.unload_ms,
        load_overhead_ms = p.load_overhead_ms,
        service_ms = p.service_ms,
        list = list.join(", "),
        rate = p.rate,
        alpha = p.alpha,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_and_every_request_ends_once(p in params()) {
        let s = common::scenario(&toml_of(&p));
        let out = common::run_checked(&s);
        let q = &out.report.requests;
        prop_assert_eq!(q.arrived, q.completed + q.failed + q.rejected);
        prop_assert_eq!(q.failed, q.failed_by_reason.values().sum::<u64>());
        prop_assert_eq!(q.rejected, q.rejected_by_reason.values().sum::<u64>());
        // Requests after the warm-up are a subset: their failures too.
        prop_assert!(q.measured_failed <= q.failed && q.measured_rejected <= q.rejected);
        prop_assert!(q.measured_failed + q.measured_rejected <= q.measured && q.measured <= q.arrived);
        prop_assert!(out.report.model_cache_hit >= 0.0 && out.report.model_cache_hit <= 1.0);
        prop_assert!(out.report.latency_ms.p50 <= out.report.latency_ms.p99 + 1e-9);
        prop_assert!(out.report.cache.unloads <= out.report.cache.loads);
        // A model bigger than the memory tier can only fail, never load.
        let cap_mib = p.memory_gib * 1024.0;
        if p.model_mib.iter().all(|&m| m > cap_mib) {
            prop_assert_eq!(out.report.cache.loads, 0);
        }
        // An autoscaler keeps the fleet within its bounds.
        if p.autoscale.is_some() {
            for m in &out.minutes {
                prop_assert!(m.instance_count + m.pending_instances <= p.instances + 2, "minute {}", m.minute);
            }
        }
        // Per-minute invocations add up to the arrivals.
        prop_assert_eq!(out.minutes.iter().map(|m| m.invocations).sum::<u64>() <= q.arrived, true);
    }

    #[test]
    fn same_seed_same_report(p in params()) {
        let s = common::scenario(&toml_of(&p));
        let a = mmesim::to_json(&s.run().unwrap().report);
        let b = mmesim::to_json(&s.run().unwrap().report);
        prop_assert_eq!(a, b);
    }
}

/// The random scenarios above must actually reach the hard paths: a
/// property test over scenarios that never time out, throttle or run out
/// of disk would prove little. Draw 150 of them and check every path was
/// taken somewhere.
#[test]
fn random_scenarios_exercise_every_path() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]));
    let (mut timeouts, mut throttled, mut too_large, mut disk_evictions, mut unloads, mut joined, mut waited) =
        (0, 0, 0, 0, 0, 0, 0.0);
    let mut expired = 0;
    let (mut failed_instances, mut retries, mut instance_failed) = (0, 0, 0);
    for _ in 0..150 {
        let p = params().new_tree(&mut runner).unwrap().current();
        let r = common::run_checked(&common::scenario(&toml_of(&p))).report;
        timeouts += r.requests.failed_by_reason.get("timeout").copied().unwrap_or(0);
        too_large += r.requests.failed_by_reason.get("model_too_large").copied().unwrap_or(0)
            + r.requests.failed_by_reason.get("artifact_too_large").copied().unwrap_or(0);
        throttled += r.requests.rejected_by_reason.get("throttled").copied().unwrap_or(0);
        disk_evictions += r.cache.disk_evictions;
        unloads += r.cache.unloads;
        joined += r.cache.joined_in_flight;
        waited += r.queue_wait_ms.waited_fraction;
        expired += r.cache.expired;
        failed_instances += r.fleet.failed;
        retries += r.fleet.retries;
        instance_failed += r.requests.failed_by_reason.get("instance_failed").copied().unwrap_or(0);
    }
    assert!(
        failed_instances > 0 && retries > 0 && instance_failed > 0,
        "{failed_instances} {retries} {instance_failed}"
    );
    assert!(expired > 0, "no keep-alive expiry happened");
    assert!(timeouts > 0 && throttled > 0 && too_large > 0, "{timeouts} {throttled} {too_large}");
    assert!(
        disk_evictions > 0 && unloads > 0 && joined > 0 && waited > 0.0,
        "{disk_evictions} {unloads} {joined} {waited}"
    );
}
