//! Hand-worked runs of one small instance, checked event by event against
//! times computed on paper: the slot queue, the memory tier (room, unload
//! time, reload), pins, and the disk tier.

use super::*;
use crate::catalog::{InstanceType, Storage, StorageKind};
use crate::evict::{AccessCtx, ObjectMeta};
use crate::model::{ClientConfig, ClusterConfig, ModelCacheSetting, ModelSpec, ScaleInPick};
use crate::route::{ClusterView, RouteDecision};
use crate::scale::FleetStatus;
use crate::source::{Arrival, VecSource};
use crate::Dist;
use mmesim_engine::IdList;

/// Least recently used first (front = most recent).
struct Lru(IdList);
impl Evictor for Lru {
    fn name(&self) -> &str {
        "test-lru"
    }
    fn on_insert(&mut self, id: u32, _: ObjectMeta, _: AccessCtx) {
        self.0.push_front(id);
    }
    fn on_access(&mut self, id: u32, _: AccessCtx) {
        self.0.move_to_front(id);
    }
    fn on_remove(&mut self, id: u32) {
        self.0.remove(id);
    }
    fn victim(&mut self, pinned: &dyn Fn(u32) -> bool) -> Option<u32> {
        let mut x = self.0.back();
        while let Some(v) = x {
            if !pinned(v) {
                return Some(v);
            }
            x = self.0.prev(v);
        }
        None
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

struct First;
impl Router for First {
    fn name(&self) -> &str {
        "first"
    }
    fn route(&mut self, _: ModelId, _: &ClusterView<'_>) -> RouteDecision {
        RouteDecision::To(InstanceId(0))
    }
}

struct Fixed;
impl Autoscaler for Fixed {
    fn name(&self) -> &str {
        "fixed"
    }
    fn evaluate(&mut self, _: &MinuteMetrics, _: &FleetStatus) -> Option<u32> {
        None
    }
}

const MB: u64 = 1_000_000;

/// One instance: `slots` vCPUs, room for `mem_models` models of 1 MB in
/// memory and `disk_models` on disk; 1 MB/s download and disk read, so a
/// cold start costs 1 s of download and 1 s of load.
fn config(slots: u32, mem_models: u64, disk_models: u64, unload_ms: f64, models: usize) -> SimConfig {
    let ty = InstanceType {
        name: "test".into(),
        vcpus: slots,
        cpu_speed: 1.0,
        memory: Bytes(mem_models * MB),
        reserved_memory: Bytes(0),
        model_overhead: Bytes(0),
        memory_watermark: 1.0,
        gpu: None,
        storage: Storage { kind: StorageKind::Ebs, size: Bytes(disk_models * MB), read_bytes_per_s: 1e6 },
        download_bytes_per_s: 1e6,
        s3_stream_bytes_per_s: 1e6,
        download_streams: 1,
        network_bytes_per_s: 1e6,
        network_burst_bytes_per_s: 1e6,
        price_per_hour: 1.0,
    };
    SimConfig {
        cluster: ClusterConfig {
            instance_type: ty,
            instances: 1,
            zones: vec!["a".into()],
            max_concurrent_downloads: 0,
            max_concurrent_loads: 0,
            queue_limit: 100,
            cpu_per_request: 1,
            request_timeout: SimDuration::from_secs(1000),
            download_overhead: SimDuration::ZERO,
            launch_delay: SimDuration::from_secs(300),
            replace_failed: false,
            replacement_delay: SimDuration::from_secs(300),
            scale_in_pick: ScaleInPick::Newest,
            request_overhead: SimDuration::ZERO,
            model_cache: ModelCacheSetting::Enabled,
        },
        models: (0..models)
            .map(|i| ModelSpec {
                name: format!("m{i}"),
                memory: Bytes(MB),
                artifact: Bytes(MB),
                service_ms: Dist::Constant { value: 10.0 },
                load_overhead: SimDuration::ZERO,
                unload_time: SimDuration::from_millis_f64(unload_ms),
                payload: Bytes(0),
            })
            .collect(),
        faults: vec![],
        client: ClientConfig::default(),
        duration: SimDuration::from_secs(10_000),
        warmup: SimDuration::ZERO,
        seed: 1,
        record_trace: true,
        check_invariants: true,
        record_metrics: false,
    }
}

/// (time ms, model, service ms or None for the model's 10 ms).
fn run(cfg: SimConfig, arrivals: &[(f64, u32, Option<f64>)]) -> RunResult {
    let arrivals = arrivals
        .iter()
        .map(|&(t, m, s)| Arrival {
            time: SimTime::ZERO + SimDuration::from_millis_f64(t),
            model: ModelId(m),
            service: s.map(SimDuration::from_millis_f64),
        })
        .collect();
    let policies = Policies {
        router: Box::new(First),
        autoscaler: Box::new(Fixed),
        evictors: Box::new(|_, _, _| Box::new(Lru(IdList::new())) as Box<dyn Evictor>),
    };
    match Simulation::new(cfg, Box::new(VecSource::new(arrivals)), policies) {
        Ok(sim) => sim.run(),
        Err(e) => panic!("test configuration rejected: {e}"),
    }
}

/// Latency (ms) of each completed request, by arrival number.
fn latencies(r: &RunResult) -> Vec<(u64, f64)> {
    let mut v: Vec<_> = r
        .trace
        .iter()
        .filter_map(|t| match t.kind {
            TraceKind::Completed { seq, latency, .. } => Some((seq, latency.as_millis_f64())),
            _ => None,
        })
        .collect();
    v.sort_by_key(|x| x.0);
    v
}

/// (time ms, kind, model) of the tier events, in order.
fn tier_events(r: &RunResult) -> Vec<(f64, &'static str, u32)> {
    r.trace
        .iter()
        .filter_map(|t| {
            let k = match t.kind {
                TraceKind::DownloadStart => "download",
                TraceKind::LoadStart => "load",
                TraceKind::LoadEnd => "loaded",
                TraceKind::UnloadStart => "unload",
                TraceKind::UnloadEnd => "unloaded",
                TraceKind::DiskEvict => "delete",
                _ => return None,
            };
            Some(((t.time - SimTime::ZERO).as_millis_f64(), k, t.model.0))
        })
        .collect()
}

#[test]
fn slot_queue_serves_in_arrival_order() {
    // One slot. Request 0 pays the cold start (1 s download + 1 s load)
    // and is served 2000–2010 ms. Requests 1–3 arrive at 3000, 3001 and
    // 3002 ms with 10 ms of service: 1 starts at once, 2 waits for 1 (to
    // 3010), 3 waits for 2 (to 3020).
    let r = run(config(1, 4, 4, 0.0, 1), &[(0.0, 0, None), (3000.0, 0, None), (3001.0, 0, None), (3002.0, 0, None)]);
    assert_eq!(latencies(&r), [(0, 2010.0), (1, 10.0), (2, 19.0), (3, 28.0)]);
    let q = &r.report.queue_wait_ms;
    assert!((q.mean - (0.0 + 0.0 + 9.0 + 18.0) / 4.0).abs() < 1e-9, "{q:?}");
    assert_eq!(r.report.cache.loads, 1);
    assert!((r.report.model_cache_hit - 0.75).abs() < 1e-12);
}

#[test]
fn two_slots_overlap_and_the_third_waits_for_the_first_to_end() {
    // Two slots, model warm from request 0 (done at 2010 ms). At 3000 ms
    // three requests of 50, 10 and 10 ms: 1 and 2 start at once; 3 takes
    // the slot 2 frees at 3010 and ends at 3020.
    let r = run(
        config(2, 4, 4, 0.0, 1),
        &[(0.0, 0, None), (3000.0, 0, Some(50.0)), (3000.0, 0, Some(10.0)), (3000.0, 0, Some(10.0))],
    );
    assert_eq!(latencies(&r), [(0, 2010.0), (1, 50.0), (2, 10.0), (3, 20.0)]);
}

#[test]
fn a_full_memory_unloads_the_least_recent_model_and_waits_for_the_unload() {
    // Room for two models; unloads take 500 ms. Models 0, 1, 2 arrive at
    // 0, 10 s and 20 s, then 0 again at 30 s.
    // - 0: 0–1000 download, 1000–2000 load, served to 2010.
    // - 1: the same from 10 s: latency 2010.
    // - 2 at 20 s: download 20000–21000; the load needs room: model 0
    //   (least recent) unloads 21000–21500; load 21500–22500; served to
    //   22510: latency 2510.
    // - 0 at 30 s: its artifact is still on disk (room for 4): no
    //   download; model 1 unloads 30000–30500; load 30500–31500; served to
    //   31510: latency 1510.
    let r = run(
        config(1, 2, 4, 500.0, 3),
        &[(0.0, 0, None), (10_000.0, 1, None), (20_000.0, 2, None), (30_000.0, 0, None)],
    );
    assert_eq!(latencies(&r), [(0, 2010.0), (1, 2010.0), (2, 2510.0), (3, 1510.0)]);
    assert_eq!(
        tier_events(&r),
        [
            (0.0, "download", 0),
            (1000.0, "load", 0),
            (2000.0, "loaded", 0),
            (10_000.0, "download", 1),
            (11_000.0, "load", 1),
            (12_000.0, "loaded", 1),
            (20_000.0, "download", 2),
            (21_000.0, "unload", 0),
            (21_500.0, "unloaded", 0),
            (21_500.0, "load", 2),
            (22_500.0, "loaded", 2),
            (30_000.0, "unload", 1),
            (30_500.0, "unloaded", 1),
            (30_500.0, "load", 0),
            (31_500.0, "loaded", 0),
        ]
    );
    let c = &r.report.cache;
    assert_eq!((c.downloads, c.loads, c.unloads, c.disk_evictions), (3, 4, 2, 0));
}

#[test]
fn a_model_in_service_is_pinned_until_its_request_ends() {
    // Room for one model. Request 0 (model 0) is served 2000–102000 ms.
    // Model 1 arrives at 5 s: downloaded by 6000, but model 0 is pinned
    // until 102000; then 0 unloads (100 ms), 1 loads 102100–103100 and is
    // served to 103110: latency 98110.
    let r = run(config(1, 1, 4, 100.0, 2), &[(0.0, 0, Some(100_000.0)), (5000.0, 1, None)]);
    assert_eq!(latencies(&r), [(0, 102_000.0), (1, 98_110.0)]);
    let ev = tier_events(&r);
    assert!(ev.contains(&(102_000.0, "unload", 0)) && ev.contains(&(102_100.0, "load", 1)), "{ev:?}");
}

#[test]
fn a_full_disk_deletes_the_least_recent_unpinned_artifact() {
    // Room for two models in memory and two artifacts on disk. Models 0
    // and 1 load; model 2 needs disk room: both artifacts are pinned by
    // their loaded models, so model 0 (least recent) unloads (no unload
    // time) and its artifact is deleted at once; then 2 downloads.
    let r = run(config(1, 2, 2, 0.0, 3), &[(0.0, 0, None), (10_000.0, 1, None), (20_000.0, 2, None)]);
    let ev = tier_events(&r);
    let at_20s: Vec<_> = ev.iter().filter(|e| e.0 >= 20_000.0).copied().collect();
    assert_eq!(
        at_20s,
        [
            (20_000.0, "unload", 0),
            (20_000.0, "unloaded", 0),
            (20_000.0, "delete", 0),
            (20_000.0, "download", 2),
            (21_000.0, "load", 2),
            (22_000.0, "loaded", 2),
        ]
    );
    assert_eq!(latencies(&r)[2], (2, 2010.0));
    assert_eq!(r.report.cache.disk_evictions, 1);
}

#[test]
fn requests_for_a_loading_model_join_its_load() {
    // Three requests for a cold model at 0, 500 and 1500 ms: one download
    // and one load; all wait for 2000 ms and share the slot.
    let r = run(config(1, 2, 2, 0.0, 1), &[(0.0, 0, None), (500.0, 0, None), (1500.0, 0, None)]);
    assert_eq!(latencies(&r), [(0, 2010.0), (1, 1520.0), (2, 530.0)]);
    let c = &r.report.cache;
    assert_eq!((c.downloads, c.loads, c.joined_in_flight), (1, 1, 2));
}
