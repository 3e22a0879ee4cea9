//! Criterion benchmarks of the simulation engine.
//!
//! * `event_loop/hold/N`: the classic *hold* model — N events pending; pop
//!   the earliest, push a successor at `now + Exp(1 ms)`. Throughput is in
//!   events (one pop + one push each).
//! * `simulation/large_100s`: the reference scenario
//!   (`examples/scenarios/large.toml`, 64 instances, 3,000 models) cut to
//!   100 simulated seconds: ~200,000 requests, end to end through routing,
//!   caching and metrics. Throughput is in requests.
//!
//! Run: `cargo bench -p mmesim-benches --bench engine`. Figures: docs/PERFORMANCE.md.

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use mmesim::engine::{EventQueue, RngStreams, SimDuration, SimTime, Stream};
use rand::Rng;
use std::hint::black_box;

#[derive(Clone, Copy)]
enum Ev {
    Tick(u32),
}

fn hold(c: &mut Criterion) {
    let mut g = c.benchmark_group("event_loop");
    let steps: u64 = 1_000_000;
    g.throughput(Throughput::Elements(steps));
    for n in [1_000u32, 100_000] {
        g.bench_with_input(BenchmarkId::new("hold", n), &n, |b, &n| {
            b.iter_batched(
                || {
                    let mut rng = RngStreams::new(1).stream(Stream::Custom(0));
                    let mut q = EventQueue::with_capacity(n as usize + 1);
                    for i in 0..n {
                        q.push(SimTime::from_nanos(rng.random_range(0..1_000_000_000)), Ev::Tick(i));
                    }
                    (q, rng)
                },
                |(mut q, mut rng)| {
                    let mut acc = 0u64;
                    for _ in 0..steps {
                        let (t, Ev::Tick(i)) = q.pop().expect("never empty");
                        acc = acc.wrapping_add(i as u64);
                        let dt = (-rng.random::<f64>().ln() * 1e6) as u64;
                        q.push(t + SimDuration::from_nanos(dt), Ev::Tick(i));
                    }
                    black_box(acc)
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

fn simulation(c: &mut Criterion) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/scenarios/large.toml");
    let mut s = mmesim::Scenario::from_file(path).unwrap_or_else(|e| panic!("{e}"));
    s.duration_s = 100.0;
    s.warmup_s = 10.0;
    let requests = s.run().unwrap_or_else(|e| panic!("{e}")).report.requests.arrived;
    let mut g = c.benchmark_group("simulation");
    g.sample_size(10);
    g.throughput(Throughput::Elements(requests));
    g.bench_function("large_100s", |b| b.iter(|| black_box(s.run().map(|o| o.report.requests.completed))));
    g.finish();
}

criterion_group!(benches, hold, simulation);
criterion_main!(benches);
