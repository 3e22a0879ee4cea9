//! Criterion benchmark: one routing decision by each policy on a fleet of
//! 1,000 accepting instances and 10,000 models (half of them with one to
//! three copies), measured in decisions per second.
//!
//! The view is fixed while the router decides (as within one simulated
//! instant), so this measures the decision alone. Run:
//! `cargo bench -p mmesim-benches --bench routing`. Figures: docs/PERFORMANCE.md.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mmesim::core::{
    Bytes, ClusterView, DiskState, FleetIndex, InstanceId, InstanceStatus, MemState, ModelCopy, ModelId, ZoneId,
};
use mmesim::engine::SimTime;
use mmesim::routing::RoutingPolicy;
use std::hint::black_box;

fn fleet(n: u32, models: u32) -> (Vec<InstanceStatus>, Vec<Vec<ModelCopy>>, Vec<Bytes>) {
    let mix = |x: u64| x.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 33;
    let statuses: Vec<InstanceStatus> = (0..n)
        .map(|i| {
            let out = (mix(i as u64) % 12) as u32;
            InstanceStatus {
                id: InstanceId(i),
                zone: ZoneId((i % 3) as u16),
                healthy: true,
                draining: false,
                outstanding: out,
                serving: out.min(4),
                queued_for_slot: out.saturating_sub(4).min(2),
                slots: 4,
                memory_capacity: Bytes::from_gib(14.0),
                memory_free: Bytes::from_mib((mix(i as u64 + 7) % 4000) as f64),
                loaded_models: 40,
                lru_last_used: Some(SimTime::from_secs(mix(i as u64 + 3) % 600)),
            }
        })
        .collect();
    let copies = (0..models)
        .map(|m| {
            if m % 2 == 1 {
                return Vec::new();
            }
            (0..1 + mix(m as u64) % 3)
                .map(|k| ModelCopy {
                    instance: InstanceId((mix(m as u64 * 31 + k) % n as u64) as u32),
                    memory: if k == 2 { MemState::Loading } else { MemState::Loaded },
                    disk: DiskState::Present,
                })
                .collect()
        })
        .collect();
    (statuses, copies, vec![Bytes::from_mib(300.0); models as usize])
}

fn routers(c: &mut Criterion) {
    let (statuses, copies, mem) = fleet(1000, 10_000);
    let index = FleetIndex::from_statuses(&statuses);
    let view = ClusterView::new(&statuses, &copies, &mem, &index, SimTime::ZERO);
    let mut g = c.benchmark_group("routing_1000_instances");
    let decisions = 100_000u64;
    g.throughput(Throughput::Elements(decisions));
    for p in RoutingPolicy::all() {
        g.bench_with_input(BenchmarkId::from_parameter(p.name()), &p, |b, p| {
            let mut router = p.build(1);
            b.iter(|| {
                let mut acc = 0u64;
                for i in 0..decisions {
                    let m = ModelId(((i * 7919) % 10_000) as u32);
                    if let mmesim::core::RouteDecision::To(x) = router.route(m, &view) {
                        acc = acc.wrapping_add(x.0 as u64);
                    }
                }
                black_box(acc)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, routers);
criterion_main!(benches);
