//! A scenario small enough to work out on paper: two 1000 MiB models (A, B),
//! one instance with one slot and room in memory for one of them.
//!
//! ```text
//! download = 1000 MiB / 1048.576 MB/s       = 1.0 s
//! load     = 100 ms + 1000 MiB / 2097.152 MB/s = 0.6 s
//! unload   = 200 ms, service = 10 ms
//!
//! t=0.00  r0 A  miss: download A 0.00–1.00, load A 1.00–1.60, serve 1.60–1.61  → 1.61 s
//! t=2.00  r1 B  miss: download B 2.00–3.00; A idle → unload A 3.00–3.20;
//!               load B 3.20–3.80, serve 3.80–3.81                             → 1.81 s
//! t=3.50  r2 A  miss (A on disk, not in memory): load waits — B is loading,
//!               then serving (pinned); at 3.81 unload B 3.81–4.01,
//!               load A 4.01–4.61, serve 4.61–4.62                             → 1.12 s
//! t=4.00  r3 B  B is being unloaded: reload once the unload ends (4.01), queued
//!               behind A's load; A pinned until 4.62: unload A 4.62–4.82,
//!               load B 4.82–5.42, serve 5.42–5.43                             → 1.43 s
//! ```

mod common;

use mmesim::core::{Arrival, InstanceId, ModelId, TraceKind, TraceRecord, VecSource};
use mmesim::engine::{SimDuration, SimTime};
use mmesim::RunOptions;

const SCENARIO: &str = r#"
name = "hand"
duration_s = 10.0
[[instance_types]]
name = "tiny"
vcpus = 1
memory_gib = 1.5
price_per_hour = 3.6
storage = { kind = "ebs", size_gib = 10.0, read_mb_per_s = 2097.152 }
download_mb_per_s = 1048.576
[cluster]
instance_type = "tiny"
download_overhead_ms = 0.0
[models]
load_overhead_ms = 100.0
unload_ms = 200.0
list = [
  { name = "A", memory_mib = 1000.0, service_ms = 10.0 },
  { name = "B", memory_mib = 1000.0, service_ms = 10.0 },
]
"#;

fn ms(x: u64) -> SimTime {
    SimTime::from_millis(x)
}

/// Runs `scenario` on hand-made arrivals `(time ms, model)`, recording the
/// trace and checking invariants after every event.
fn run(scenario: &str, arrivals: &[(u64, u32)]) -> mmesim::RunResult {
    let s = common::scenario(scenario);
    let arrivals = arrivals.iter().map(|&(t, m)| Arrival { time: ms(t), model: ModelId(m), service: None }).collect();
    s.simulation_with_source(
        RunOptions { record_trace: true, check_invariants: true, record_metrics: true },
        Box::new(VecSource::new(arrivals)),
    )
    .unwrap()
    .run()
}

#[test]
fn two_models_room_for_one() {
    let out = run(SCENARIO, &[(0, 0), (2000, 1), (3500, 0), (4000, 1)]);

    use TraceKind::*;
    let done = |seq: u64, latency_ms: u64| Completed { seq, latency: SimDuration::from_millis(latency_ms), hit: false };
    let expected: Vec<(u64, u32, TraceKind)> = vec![
        (0, 0, DownloadStart),
        (1000, 0, DownloadEnd),
        (1000, 0, LoadStart),
        (1600, 0, LoadEnd),
        (1610, 0, done(0, 1610)),
        (2000, 1, DownloadStart),
        (3000, 1, DownloadEnd),
        (3000, 0, UnloadStart),
        (3200, 0, UnloadEnd),
        (3200, 1, LoadStart),
        (3800, 1, LoadEnd),
        (3810, 1, done(1, 1810)),
        (3810, 1, UnloadStart),
        (4010, 1, UnloadEnd),
        (4010, 0, LoadStart),
        (4610, 0, LoadEnd),
        (4620, 0, done(2, 1120)),
        (4620, 0, UnloadStart),
        (4820, 0, UnloadEnd),
        (4820, 1, LoadStart),
        (5420, 1, LoadEnd),
        (5430, 1, done(3, 1430)),
    ];
    let expected: Vec<TraceRecord> = expected
        .into_iter()
        .map(|(t, m, kind)| TraceRecord { time: ms(t), instance: InstanceId(0), model: ModelId(m), kind })
        .collect();
    assert_eq!(out.trace, expected);

    let r = &out.report;
    assert_eq!((r.requests.arrived, r.requests.completed, r.requests.failed, r.requests.rejected), (4, 4, 0, 0));
    assert_eq!((r.cache.downloads, r.cache.loads, r.cache.unloads, r.cache.disk_evictions), (2, 4, 3, 0));
    assert_eq!(r.model_cache_hit, 0.0);
    // Latencies 1610, 1810, 1120, 1430 ms: mean 1492.5, max 1430…1810.
    assert!((r.latency_ms.mean - 1492.5).abs() < 1e-9, "{}", r.latency_ms.mean);
    assert!((r.latency_ms.max - 1810.0).abs() < 2.0, "{}", r.latency_ms.max);
    // Nobody waited for the single slot once their model was ready.
    assert_eq!(r.queue_wait_ms.mean, 0.0);
    // Model waits: 1.6, 1.8, 1.11, 1.42 s.
    assert_eq!(r.model_loading_wait_ms.count, 4);
    assert!((r.model_loading_wait_ms.mean - 1482.5).abs() < 1e-9, "{}", r.model_loading_wait_ms.mean);
    // One instance for the 10 s duration at $3.60/h = $0.01.
    assert!((r.instance_hours - 10.0 / 3600.0).abs() < 1e-12);
    assert!((r.cost_usd - 0.01).abs() < 1e-12, "{}", r.cost_usd);
}

/// A hit: the same model twice, the second after the first is warm; and a
/// second request arriving during the load joins it rather than starting
/// another.
#[test]
fn hit_and_join_in_flight() {
    let out = run(SCENARIO, &[(0, 0), (500, 0), (3000, 0)]);
    let completions: Vec<(SimTime, TraceKind)> =
        out.trace.iter().filter(|t| matches!(t.kind, TraceKind::Completed { .. })).map(|t| (t.time, t.kind)).collect();
    // r0 and r1 both wait for the one load (ready at 1.6 s); one slot: r0
    // serves 1.60–1.61, r1 1.61–1.62. r2 hits: 3.00–3.01.
    assert_eq!(
        completions,
        vec![
            (ms(1610), TraceKind::Completed { seq: 0, latency: SimDuration::from_millis(1610), hit: false }),
            (ms(1620), TraceKind::Completed { seq: 1, latency: SimDuration::from_millis(1120), hit: false }),
            (ms(3010), TraceKind::Completed { seq: 2, latency: SimDuration::from_millis(10), hit: true }),
        ]
    );
    let r = &out.report;
    assert_eq!((r.cache.downloads, r.cache.loads, r.cache.joined_in_flight), (1, 1, 1));
    assert!((r.model_cache_hit - 1.0 / 3.0).abs() < 1e-12);
    // r1 waited 10 ms for the slot after its model was ready.
    assert_eq!(r.queue_wait_ms.waited_fraction, 1.0 / 3.0);
}

/// Failures with reasons: a model larger than the memory tier fails at
/// once; a request still waiting for its model at the timeout gets
/// ModelNotReady then.
#[test]
fn too_large_and_timeout() {
    let text = SCENARIO
        .replace("request_timeout_s", "x")
        .replace("download_overhead_ms = 0.0", "download_overhead_ms = 0.0\nrequest_timeout_s = 1.0")
        + "\n";
    let text = text.replace(
        "{ name = \"B\", memory_mib = 1000.0, service_ms = 10.0 },",
        "{ name = \"B\", memory_mib = 1000.0, service_ms = 10.0 },\n  { name = \"huge\", memory_mib = 2000.0, service_ms = 10.0 },",
    );
    let out = run(&text, &[(0, 2), (100, 0)]);
    use mmesim::core::FailReason;
    let fails: Vec<(SimTime, TraceKind)> =
        out.trace.iter().filter(|t| matches!(t.kind, TraceKind::Failed { .. })).map(|t| (t.time, t.kind)).collect();
    // huge fails at its arrival; A's cold start (1.6 s) exceeds the 1 s
    // timeout: ModelNotReady at 0.1 + 1.0 s, and the load still completes.
    assert_eq!(
        fails,
        vec![
            (ms(0), TraceKind::Failed { seq: 0, reason: FailReason::ModelTooLarge }),
            (ms(1100), TraceKind::Failed { seq: 1, reason: FailReason::ModelNotReady }),
        ]
    );
    let r = &out.report;
    assert_eq!(r.requests.failed, 2);
    assert_eq!(r.requests.failed_by_reason.get("model_not_ready"), Some(&1));
    assert_eq!(r.requests.failed_by_reason.get("model_too_large"), Some(&1));
    assert_eq!(r.cache.loads, 1);
}

/// Concurrent downloads share the instance's bandwidth and concurrent
/// loads share the disk's throughput (processor sharing):
///
/// ```text
/// t=0  A and B both miss; two download slots: each gets 524.288 MB/s → both end at 2.0 s
///      both loads read at 1048.576 MB/s each → 3.0 s, then 100 ms of
///      deserialising each on the one vCPU, shared: both end at 3.2 s
///      one slot: A serves 3.20–3.21, B 3.21–3.22
/// ```
#[test]
fn concurrent_transfers_share_bandwidth() {
    let text = SCENARIO.replace("memory_gib = 1.5", "memory_gib = 2.5").replace(
        "download_overhead_ms = 0.0",
        "download_overhead_ms = 0.0\nmax_concurrent_downloads = 2\nmax_concurrent_loads = 2",
    );
    let out = run(&text, &[(0, 0), (0, 1)]);
    use TraceKind::*;
    let done = |seq: u64, latency_ms: u64| Completed { seq, latency: SimDuration::from_millis(latency_ms), hit: false };
    let got: Vec<(u64, u32, TraceKind)> =
        out.trace.iter().map(|t| (t.time.as_nanos() / 1_000_000, t.model.0, t.kind)).collect();
    assert_eq!(
        got,
        vec![
            (0, 0, DownloadStart),
            (0, 1, DownloadStart),
            (2000, 0, DownloadEnd),
            (2000, 0, LoadStart),
            (2000, 1, DownloadEnd),
            (2000, 1, LoadStart),
            (3200, 0, LoadEnd),
            (3200, 1, LoadEnd),
            (3210, 0, done(0, 3210)),
            (3220, 1, done(1, 3220)),
        ]
    );
}

/// Requests arriving before the warm-up are counted as arrived and
/// completed but left out of latency and hit ratio: with warm-up at 3 s only
/// r2 (1.12 s) and r3 (1.43 s) of the first scenario are measured.
#[test]
fn warm_up_is_excluded_from_latency_and_hit_ratio() {
    let text = SCENARIO.replace("duration_s = 10.0", "duration_s = 10.0\nwarmup_s = 3.0");
    let out = run(&text, &[(0, 0), (2000, 1), (3500, 0), (4000, 1), (6000, 1)]);
    let r = &out.report;
    assert_eq!((r.requests.arrived, r.requests.completed, r.requests.measured), (5, 5, 3));
    // r4 at 6.0 s hits B (loaded since 5.42 s): 10 ms.
    assert!((r.latency_ms.mean - (1120.0 + 1430.0 + 10.0) / 3.0).abs() < 1e-9, "{}", r.latency_ms.mean);
    assert!((r.model_cache_hit - 1.0 / 3.0).abs() < 1e-12);
}

/// Keep-alive: with `ttl` (5 s) the model is unloaded after 5 s idle even
/// though nothing needs its memory, and the next request pays a load (its
/// artifact is still on disk):
///
/// ```text
/// t=0     r0 A: download 0–1.0, load 1.0–1.6, serve 1.6–1.61 (pinned until then)
/// t=6.6   A idle since 1.6 → unload 6.6–6.8
/// t=8.0   r1 A: miss, load 8.0–8.6, serve 8.6–8.61 → 0.61 s
/// ```
#[test]
fn ttl_unloads_idle_models_without_pressure() {
    let text = format!("{SCENARIO}\n[eviction]\nmemory = {{ policy = \"ttl\", ttl_s = 5.0 }}\n");
    let out = run(&text, &[(0, 0), (8000, 0)]);
    use TraceKind::*;
    let got: Vec<(u64, u32, TraceKind)> =
        out.trace.iter().map(|t| (t.time.as_nanos() / 1_000_000, t.model.0, t.kind)).collect();
    let done = |seq: u64, latency_ms: u64| Completed { seq, latency: SimDuration::from_millis(latency_ms), hit: false };
    assert_eq!(
        got,
        vec![
            (0, 0, DownloadStart),
            (1000, 0, DownloadEnd),
            (1000, 0, LoadStart),
            (1600, 0, LoadEnd),
            (1610, 0, done(0, 1610)),
            (6600, 0, UnloadStart),
            (6800, 0, UnloadEnd),
            (8000, 0, LoadStart),
            (8600, 0, LoadEnd),
            (8610, 0, done(1, 610)),
        ]
    );
    assert_eq!(out.report.cache.unloads, 1);
    assert_eq!(out.report.cache.expired, 1);
}
