//! Criterion benchmark: nanoseconds per access of every eviction policy on
//! one shared trace, replayed through `SizedCache` (no trace reading: the
//! requests are in memory, ids already dense).
//!
//! The trace: 1,000,000 requests, Zipf(0.9) over 100,000 objects of 1–100
//! KiB (fixed per object), with next-access times for Belady; the cache
//! holds 5 % of the working set. Run: `cargo bench -p mmesim-benches --bench eviction`.
//! Figures: docs/PERFORMANCE.md.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mmesim::core::Bytes;
use mmesim::engine::SimTime;
use mmesim::eviction::{EvictionPolicy, SizedCache};
use std::hint::black_box;

fn trace() -> (Vec<(u32, u64, Option<u64>)>, u64) {
    let reqs = mmesim::replay::synthetic_requests(100_000, 1_000_000, 0.9, 1, 9, false).expect("valid parameters");
    let mut seen = vec![false; 100_000];
    let mut working_set = 0;
    let t = reqs
        .iter()
        .map(|r| {
            let size = 1024 * (1 + (r.object.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) % 100);
            if !seen[r.object as usize] {
                seen[r.object as usize] = true;
                working_set += size;
            }
            (r.object as u32, size, r.next_access)
        })
        .collect();
    (t, working_set)
}

fn policies(c: &mut Criterion) {
    let (t, working_set) = trace();
    let capacity = Bytes(working_set / 20);
    let mut g = c.benchmark_group("eviction");
    g.sample_size(10);
    g.throughput(Throughput::Elements(t.len() as u64));
    let mut all = EvictionPolicy::all();
    all.push(EvictionPolicy::Belady { size_aware: true });
    for p in all {
        let label = match &p {
            EvictionPolicy::Belady { size_aware: true } => "belady-size".to_string(),
            p => p.name().to_string(),
        };
        g.bench_with_input(BenchmarkId::from_parameter(label), &p, |b, p| {
            b.iter(|| {
                let mut cache = SizedCache::new(capacity, p.build(capacity, 1));
                for &(id, size, next) in &t {
                    cache.access(id, size, SimTime::ZERO, next);
                }
                black_box(cache.stats().misses)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, policies);
criterion_main!(benches);
