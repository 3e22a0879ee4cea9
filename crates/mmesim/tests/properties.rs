//! Property tests over random small scenarios. Each run checks the model's
//! invariants after every event (memory, disk and slots within capacity;
//! pinned models never unloaded; accounting of bytes, pins and outstanding
//! requests; time never going backwards) and panics with `BUG:` on a
//! violation. On top, the report is checked against figures it does not
//! compute itself: the arrivals, counted at the source before the run, and
//! the run's event trace, replayed request by request (every request ends
//! exactly once; counts, hit flags, latencies and model movements agree
//! with it; see `check_run`). And the same seed must give the same report.

mod common;

use mmesim::core::{Arrival, FailReason, MinuteMetrics, RejectReason, RequestSource, TraceKind, VecSource};
use mmesim::engine::SimDuration;
use mmesim::workload::Generated;
use mmesim::RunOptions;
use proptest::prelude::*;
use std::collections::{BTreeMap, HashMap};

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

/// The arrivals the scenario's workload produces within its duration
/// (what the simulation will pull from the same generator), counted here,
/// at the source, independently of the simulation's own accounting.
fn arrivals_of(s: &mmesim::Scenario, n_models: u32) -> Vec<Arrival> {
    let streams = mmesim::engine::RngStreams::new(s.seed);
    let mut source = Generated::new(&s.workload.arrival, &s.workload.popularity, n_models, &streams);
    let end = SimDuration::from_secs_f64(s.duration_s).as_nanos();
    std::iter::from_fn(|| source.next_arrival()).take_while(|a| a.time.as_nanos() < end).collect()
}

/// Model state on one instance as the event trace tells it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Mem {
    #[default]
    Absent,
    Loading,
    Loaded,
    Unloading,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Disk {
    #[default]
    Absent,
    Downloading,
    Present,
}

#[derive(Clone, Copy, Debug, Default)]
struct Held {
    mem: Mem,
    disk: Disk,
    /// When the model last became warm here (`LoadEnd`).
    loaded_at: u64,
}

/// Checks the report of a run against what arrived at the source and what
/// the event trace says happened, request by request: every figure that a
/// wrong count, a lost or doubled request or a wrong hit flag would change.
fn check_run(p: &Params, arrivals: &[Arrival], out: &mmesim::RunResult) -> Result<(), TestCaseError> {
    let r = &out.report;
    let q = &r.requests;
    let warmup = SimDuration::from_secs_f64(p.warmup).as_nanos();
    let timeout = SimDuration::from_secs_f64(p.timeout).as_nanos();
    let measured = |seq: u64| arrivals[seq as usize].time.as_nanos() >= warmup;
    let n_measured = arrivals.iter().filter(|a| a.time.as_nanos() >= warmup).count() as u64;

    // Arrivals, counted at the source.
    prop_assert_eq!(q.arrived, arrivals.len() as u64);
    prop_assert_eq!(q.measured, n_measured);

    // Replay the trace: each request ends exactly once, at a time and on a
    // model consistent with its arrival; models move through download →
    // load → unload in order on each instance; completed requests find
    // their model warm, and their hit flag is what the loads say.
    let mut ended = vec![false; arrivals.len()];
    let mut copies: HashMap<(u32, u32), Held> = HashMap::new();
    let (mut completed, mut measured_completed, mut measured_failed, mut measured_rejected) = (0u64, 0, 0, 0);
    let mut failed_by_reason: BTreeMap<String, u64> = BTreeMap::new();
    let mut rejected_by_reason: BTreeMap<String, u64> = BTreeMap::new();
    let (mut hits_completed, mut misses_completed, mut routed_unfinished, mut router_rejected) = (0u64, 0, 0, 0);
    let mut latencies: Vec<u64> = Vec::new();
    let (mut downloads, mut download_ends, mut loads, mut load_ends, mut unload_starts, mut unloads, mut evictions) =
        (0u64, 0, 0, 0, 0, 0, 0);
    for rec in &out.trace {
        let t = rec.time.as_nanos();
        let key = (rec.instance.0, rec.model.0);
        let end_seq = match rec.kind {
            TraceKind::Completed { seq, .. } | TraceKind::Failed { seq, .. } | TraceKind::Rejected { seq, .. } => {
                Some(seq)
            }
            _ => None,
        };
        if let Some(seq) = end_seq {
            prop_assert!((seq as usize) < arrivals.len(), "request {} never arrived", seq);
            prop_assert!(!ended[seq as usize], "request {} ended twice", seq);
            ended[seq as usize] = true;
            let a = arrivals[seq as usize];
            prop_assert_eq!(rec.model, a.model, "request {} changed model", seq);
            prop_assert!(t >= a.time.as_nanos(), "request {} ended before it arrived", seq);
        }
        let c = copies.entry(key).or_default();
        let bad =
            |what: &str, c: &Held| format!("{what} of model {} on instance {} at {}: {c:?}", key.1, key.0, rec.time);
        match rec.kind {
            TraceKind::DownloadStart => {
                prop_assert_eq!(c.disk, Disk::Absent, "{}", bad("download", c));
                c.disk = Disk::Downloading;
                downloads += 1;
            }
            TraceKind::DownloadEnd => {
                prop_assert_eq!(c.disk, Disk::Downloading, "{}", bad("download end", c));
                c.disk = Disk::Present;
                download_ends += 1;
            }
            TraceKind::DiskEvict => {
                prop_assert!(c.disk == Disk::Present && c.mem == Mem::Absent, "{}", bad("deletion", c));
                c.disk = Disk::Absent;
                evictions += 1;
            }
            TraceKind::LoadStart => {
                prop_assert!(c.disk == Disk::Present && c.mem == Mem::Absent, "{}", bad("load", c));
                c.mem = Mem::Loading;
                loads += 1;
            }
            TraceKind::LoadEnd => {
                prop_assert_eq!(c.mem, Mem::Loading, "{}", bad("load end", c));
                c.mem = Mem::Loaded;
                c.loaded_at = t;
                load_ends += 1;
            }
            TraceKind::UnloadStart => {
                prop_assert_eq!(c.mem, Mem::Loaded, "{}", bad("unload", c));
                c.mem = Mem::Unloading;
                unload_starts += 1;
            }
            TraceKind::UnloadEnd => {
                prop_assert_eq!(c.mem, Mem::Unloading, "{}", bad("unload end", c));
                c.mem = Mem::Absent;
                unloads += 1;
            }
            TraceKind::Completed { seq, latency, hit } => {
                let arrival = arrivals[seq as usize].time.as_nanos();
                prop_assert_eq!(t.checked_sub(latency.as_nanos()), Some(arrival), "latency of request {}", seq);
                prop_assert!(c.mem == Mem::Loaded && c.disk == Disk::Present, "{}", bad("request served", c));
                // A miss waited for a load of its model there, which ended
                // after it arrived; a hit (with no retry: routed at its
                // arrival) found a copy loaded before it arrived.
                if !hit {
                    prop_assert!(c.loaded_at >= arrival, "request {} counted as a miss: {}", seq, bad("hit", c));
                } else if p.retries == 0 {
                    prop_assert!(c.loaded_at <= arrival, "request {} counted as a hit: {}", seq, bad("miss", c));
                }
                completed += 1;
                if measured(seq) {
                    measured_completed += 1;
                    latencies.push(latency.as_nanos());
                    hits_completed += hit as u64;
                    misses_completed += !hit as u64;
                }
            }
            TraceKind::Failed { seq, reason } => {
                if p.retries == 0 {
                    let arrival = arrivals[seq as usize].time.as_nanos();
                    match reason {
                        FailReason::Timeout | FailReason::ModelNotReady => {
                            prop_assert_eq!(t, arrival + timeout, "timeout of request {}", seq)
                        }
                        FailReason::ModelTooLarge | FailReason::ArtifactTooLarge => {
                            prop_assert_eq!(t, arrival, "request {} failed late", seq)
                        }
                        _ => {}
                    }
                }
                *failed_by_reason.entry(reason.as_str().to_string()).or_default() += 1;
                if measured(seq) {
                    measured_failed += 1;
                    routed_unfinished += 1;
                }
            }
            TraceKind::Rejected { seq, reason } => {
                if p.retries == 0 {
                    prop_assert_eq!(t, arrivals[seq as usize].time.as_nanos(), "request {} rejected late", seq);
                }
                *rejected_by_reason.entry(reason.as_str().to_string()).or_default() += 1;
                if measured(seq) {
                    measured_rejected += 1;
                    if reason == RejectReason::Throttled {
                        routed_unfinished += 1;
                    } else {
                        router_rejected += 1;
                    }
                }
            }
        }
    }
    let lost: Vec<usize> = (0..arrivals.len()).filter(|&i| !ended[i]).collect();
    prop_assert!(lost.is_empty(), "requests never ended: {:?}", lost);

    // Request accounting, exact, for the run and for its measured part.
    prop_assert_eq!(q.completed, completed);
    prop_assert_eq!(&q.failed_by_reason, &failed_by_reason);
    prop_assert_eq!(&q.rejected_by_reason, &rejected_by_reason);
    prop_assert_eq!(q.failed, failed_by_reason.values().sum::<u64>());
    prop_assert_eq!(q.rejected, rejected_by_reason.values().sum::<u64>());
    prop_assert_eq!(q.completed + q.failed + q.rejected, arrivals.len() as u64);
    prop_assert_eq!(q.measured_failed, measured_failed);
    prop_assert_eq!(q.measured_rejected, measured_rejected);
    prop_assert_eq!(measured_completed + q.measured_failed + q.measured_rejected, n_measured);
    let zone_sum = |f: fn(&mmesim::core::ZoneSummary) -> u64| r.zones.iter().map(f).sum::<u64>();
    prop_assert_eq!(zone_sum(|z| z.completed), q.completed);
    prop_assert_eq!(zone_sum(|z| z.failed), q.failed);

    // Model movements: the counters are the trace's events.
    prop_assert_eq!(r.cache.downloads, downloads);
    prop_assert_eq!(r.cache.loads, loads);
    prop_assert_eq!(r.cache.unloads, unloads);
    prop_assert_eq!(r.cache.disk_evictions, evictions);
    prop_assert_eq!(zone_sum(|z| z.loads), loads);
    prop_assert_eq!(zone_sum(|z| z.unloads), unloads);
    if r.fleet.failed == 0 {
        // Nothing lost to a fault: every transfer started also ended.
        prop_assert_eq!((download_ends, load_ends, unload_starts), (downloads, loads, unloads));
    }

    // Hit ratio: the share of routed measured requests that found their
    // model loaded. Completed requests carry their hit flag (checked above
    // against the loads); failed and throttled ones were routed but their
    // flag is not traced, and a retry routes a request again.
    let (hits, routed) = (zone_sum(|z| z.hits), zone_sum(|z| z.requests));
    let ratio = if routed > 0 { hits as f64 / routed as f64 } else { 0.0 };
    prop_assert_eq!(r.model_cache_hit, ratio);
    let retried = if p.retries == 0 { 0 } else { r.fleet.retries };
    prop_assert!(hits >= hits_completed && hits <= hits_completed + routed_unfinished + retried, "{} hits", hits);
    prop_assert!(routed >= n_measured - router_rejected && routed <= n_measured - router_rejected + retried);
    if r.fleet.failed == 0 {
        // One loading wait per miss that got its model: every completed
        // miss, and misses that timed out once in service (the timeout
        // bounds the response, and the work goes on).
        let timeouts = r.requests.failed_by_reason.get("timeout").copied().unwrap_or(0);
        let waits = r.model_loading_wait_ms.count;
        prop_assert!(
            waits >= misses_completed && waits <= misses_completed + timeouts,
            "{} loading waits, {} completed misses, {} timeouts",
            waits,
            misses_completed,
            timeouts
        );
    }

    // Latency of completed measured requests, from the trace: the exact
    // mean; the HDR histogram's percentiles and maximum within its
    // precision (3 significant digits: a value's bucket is under 1/1024
    // of it wide) of the order statistic it reports.
    latencies.sort_unstable();
    let l = &r.latency_ms;
    if latencies.is_empty() {
        prop_assert_eq!(l, &mmesim::core::LatencySummary::default());
    } else {
        let n = latencies.len();
        let mean = latencies.iter().map(|&x| x as u128).sum::<u128>() as f64 / n as f64 / 1e6;
        prop_assert!((l.mean - mean).abs() <= 1e-9 * mean, "mean {} vs {}", l.mean, mean);
        let within = |reported: f64, v: u64| {
            let (lo, hi) = (v as f64 / 1e6, (v + v / 1000) as f64 / 1e6);
            reported >= lo && reported <= hi
        };
        for (quantile, got) in [(0.5, l.p50), (0.9, l.p90), (0.99, l.p99), (0.999, l.p999)] {
            // The rank hdrhistogram's `value_at_quantile` takes.
            let rank = ((quantile * n as f64).ceil() as usize).max(1);
            let v = latencies[rank - 1];
            prop_assert!(within(got, v), "quantile {} {} ms vs {} ns (rank {} of {})", quantile, got, v, rank, n);
        }
        prop_assert!(within(l.max, latencies[n - 1]), "max {} vs {}", l.max, latencies[n - 1]);
    }

    // Per-minute figures add up to the run's, and each minute's
    // invocations are the arrivals in it.
    for m in &out.minutes {
        let (from, to) = (m.minute * 60_000_000_000, (m.minute + 1) * 60_000_000_000);
        let n = arrivals.iter().filter(|a| (from..to).contains(&a.time.as_nanos())).count() as u64;
        prop_assert_eq!(m.invocations, n, "minute {}", m.minute);
    }
    let per_minute = |f: fn(&MinuteMetrics) -> u64| out.minutes.iter().map(f).sum::<u64>();
    prop_assert_eq!(per_minute(|m| m.invocations), q.arrived);
    prop_assert_eq!(per_minute(|m| m.completed), q.completed);
    prop_assert_eq!(per_minute(|m| m.failed), q.failed);
    prop_assert_eq!(per_minute(|m| m.rejected), q.rejected);
    prop_assert_eq!(per_minute(|m| m.loads), r.cache.loads);
    prop_assert_eq!(per_minute(|m| m.unloads), r.cache.unloads);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_and_every_request_ends_once(p in params()) {
        let s = common::scenario(&toml_of(&p));
        let arrivals = arrivals_of(&s, p.model_mib.len() as u32);
        let opts = RunOptions { record_trace: true, check_invariants: true, record_metrics: true };
        let source = Box::new(VecSource::new(arrivals.clone()));
        let out = s.simulation_with_source(opts, source).unwrap_or_else(|e| panic!("{e}")).run();
        check_run(&p, &arrivals, &out)?;
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
    }

    #[test]
    fn same_seed_same_report(p in params()) {
        let s = common::scenario(&toml_of(&p));
        let a = mmesim::to_json(&s.run().unwrap().report);
        let b = mmesim::to_json(&s.run().unwrap().report);
        prop_assert_eq!(&a, &b);
        // Recording a trace keeps each request's cold fields, which an
        // open run without retries otherwise never stores
        // (`sim::state::Requests`): the report must not change.
        let traced = s.run_with(RunOptions { record_trace: true, ..RunOptions::default() }).unwrap();
        prop_assert_eq!(a, mmesim::to_json(&traced.report));
    }
}

/// The property test counts the arrivals itself and hands them to the
/// simulation; that must be the very workload the scenario runs with (so
/// what it checks is what users run).
#[test]
fn counted_arrivals_are_the_scenarios_workload() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &[3; 32]));
    for _ in 0..16 {
        let p = params().new_tree(&mut runner).unwrap().current();
        let s = common::scenario(&toml_of(&p));
        let arrivals = arrivals_of(&s, p.model_mib.len() as u32);
        let source = Box::new(VecSource::new(arrivals));
        let mut counted = s.simulation_with_source(RunOptions::default(), source).unwrap().run().report;
        counted.name = s.name.clone();
        assert_eq!(mmesim::to_json(&counted), mmesim::to_json(&s.run().unwrap().report), "{p:?}");
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
        timeouts += r.requests.failed_by_reason.get("timeout").copied().unwrap_or(0)
            + r.requests.failed_by_reason.get("model_not_ready").copied().unwrap_or(0);
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
