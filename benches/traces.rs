//! Criterion benchmark: the request sources that drive `mmesim run` from a
//! trace, in arrivals per second.
//!
//! * `csv_requests`: the second (streamed) pass of a 1,000,000-line request
//!   CSV held in memory (`timestamp_s,model`, 1,000 models), so no disk.
//! * `csv_scan`: the first pass over the same CSV (every line checked, the
//!   distinct models collected): the reader alone, in lines per second.
//! * `azure_functions`: one day of a synthetic Azure Functions 2019 trace
//!   in the published layout, 2,000 functions (a few heavy, most rare),
//!   written to a temporary directory once, opened once, then replayed
//!   (heap merge of per-function arrival generators within each minute).
//! * `azure_open`: reading that day's three files (the CSV readers: 2,000
//!   rows of 1,444 fields, durations, memory), in invocation rows per
//!   second.
//!
//! Run: `cargo bench -p mmesim-benches --bench traces`. Figures: docs/PERFORMANCE.md.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mmesim::core::RequestSource;
use mmesim::engine::RngStreams;
use mmesim::workload::azure::{AzureFiles, AzureOptions, AzureTrace};
use mmesim::workload::reqtrace::{scan_request_reader, CsvRequestSource, ModelIndex};
use std::fmt::Write as _;
use std::hint::black_box;

fn lcg(seed: u64) -> impl FnMut() -> u64 {
    let mut x = seed;
    move || {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        x >> 33
    }
}

fn csv_requests(c: &mut Criterion) {
    const N: u64 = 1_000_000;
    let mut r = lcg(7);
    let mut text = String::from("timestamp_s,model\n");
    for i in 0..N {
        let m = (r() % 1000).min(r() % 1000); // skewed towards low ids
        writeln!(text, "{:.6},model-{m}", i as f64 * 0.001).unwrap();
    }
    let scan = scan_request_reader(text.as_bytes()).unwrap();
    let mut g = c.benchmark_group("traces");
    g.throughput(Throughput::Elements(N));
    g.sample_size(10);
    g.bench_function("csv_scan", |b| b.iter(|| scan_request_reader(text.as_bytes()).unwrap().requests));
    g.bench_function("csv_requests", |b| {
        b.iter(|| {
            let mut src = CsvRequestSource::from_reader(text.as_bytes(), ModelIndex::from_scan(&scan), 1.0).unwrap();
            let mut n = 0u64;
            while let Some(a) = src.next_arrival() {
                n += black_box(a.model.0) as u64 & 1;
            }
            n
        })
    });
    g.finish();
}

fn azure_functions(c: &mut Criterion) {
    const FUNCTIONS: usize = 2_000;
    let dir = std::env::temp_dir().join(format!("mmesim-bench-azure-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let files = AzureFiles::day(&dir, 1);
    let mut r = lcg(11);
    let hex = |tag: &str, i: usize| format!("{:0>64}", format!("{tag}{i:x}"));
    let mut inv = String::from("HashOwner,HashApp,HashFunction,Trigger");
    for m in 1..=1440 {
        write!(inv, ",{m}").unwrap();
    }
    inv.push('\n');
    let mut dur = String::from(
        "HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,percentile_Average_1,\
         percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,percentile_Average_100\n",
    );
    let mut mem = String::from(
        "HashOwner,HashApp,SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct1,AverageAllocatedMb_pct5,\
         AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,\
         AverageAllocatedMb_pct99,AverageAllocatedMb_pct100\n",
    );
    for i in 0..FUNCTIONS {
        let (o, a, f) = (hex("a0", i / 20), hex("b0", i / 2), hex("c0", i));
        write!(inv, "{o},{a},{f},http").unwrap();
        for _ in 0..1440 {
            let count = match i % 100 {
                0 => 100 + r() % 100,
                k if k % 10 == 1 => r() % 3,
                _ => u64::from(r().is_multiple_of(100)),
            };
            write!(inv, ",{count}").unwrap();
        }
        inv.push('\n');
        writeln!(dur, "{o},{a},{f},50,1,1,100,1,2,10,20,40,90,100").unwrap();
        if i % 2 == 0 {
            writeln!(mem, "{o},{a},1000,150,1,1,1,1,1,1,1,1").unwrap();
        }
    }
    std::fs::write(&files.invocations, inv).unwrap();
    std::fs::write(&files.durations, dur).unwrap();
    std::fs::write(&files.memory, mem).unwrap();
    let open =
        || AzureTrace::open(&files.invocations, &files.durations, &files.memory, &AzureOptions::default(), 1).unwrap();
    let trace = open();
    let mut g = c.benchmark_group("traces");
    g.throughput(Throughput::Elements(FUNCTIONS as u64));
    g.sample_size(10);
    g.bench_function("azure_open", |b| b.iter(|| open().summary().invocations));
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
    let n = trace.summary().invocations;
    let mut g = c.benchmark_group("traces");
    g.throughput(Throughput::Elements(n));
    g.sample_size(10);
    g.bench_function("azure_functions", |b| {
        b.iter(|| {
            let mut src = trace.source(&RngStreams::new(1));
            let mut k = 0u64;
            while let Some(a) = src.next_arrival() {
                k += black_box(a.model.0) as u64 & 1;
            }
            k
        })
    });
    g.finish();
}

criterion_group!(benches, csv_requests, azure_functions);
criterion_main!(benches);
