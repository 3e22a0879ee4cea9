//! # Azure trace: replaying a day of Azure Functions through keep-alive policies
//!
//! Shows the `azure-functions-2019` trace format of `[workload] trace`: the
//! bundled sample (`examples/traces/azure/`, synthetic data in the published
//! column layout) becomes 56 models — one per function, its memory the
//! app's average allocated memory shared among the app's functions, its
//! service times drawn from its duration percentiles — and its per-minute
//! invocation counts are replayed exactly over one simulated day.
//!
//! One 8-vCPU host with 2 GiB for functions keeps them warm; which ones it
//! keeps is the eviction policy's call (the FaasCache question):
//!
//! ```text
//!   invocations_per_function_md ─┐
//!   function_durations_percentiles ─► 56 models, 73,685 requests ─► 1 host, 2 GiB
//!   app_memory_percentiles ──────┘                                  lru | gdsf | s3fifo | ttl 10 min
//! ```
//!
//! Run: `cargo run --release --example azure_trace`. It prints cold starts
//! (loads), hit ratio and p99 per policy and asserts that every invocation
//! of the file is replayed and that size-aware GDSF starts fewer functions
//! cold than LRU.

use mmesim::workload::azure::{AzureFiles, AzureOptions, AzureTrace};
use mmesim::Scenario;
use std::path::Path;

fn main() -> Result<(), mmesim::Error> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/traces/azure");
    let files = AzureFiles::day(&dir, 1);
    let trace = AzureTrace::open(&files.invocations, &files.durations, &files.memory, &AzureOptions::default(), 7)
        .map_err(|e| mmesim::Error::usage(e.to_string()))?;
    let total = trace.summary().invocations;
    println!(
        "{} functions kept of {} read ({} without durations, {} without memory), {} invocations",
        trace.functions().len(),
        trace.summary().functions_read,
        trace.summary().dropped_no_duration,
        trace.summary().dropped_no_memory,
        total
    );
    println!("{:<22} {:>8} {:>8} {:>10} {:>10}", "policy", "loads", "unloads", "hit ratio", "p99 ms");
    let mut loads = Vec::new();
    for (label, policy) in [
        ("lru", "\"lru\""),
        ("gdsf", "\"gdsf\""),
        ("s3fifo", "\"s3fifo\""),
        ("ttl 10 min", "{ policy = \"ttl\", ttl_s = 600.0 }"),
    ] {
        let text = format!(
            r#"
name = "azure-keepalive"
seed = 7
duration_s = 86400.0
warmup_s = 3600.0
[cluster]
instance_type = "faas.host"
[[instance_types]]
name = "faas.host"
vcpus = 8
memory_gib = 2.0
price_per_hour = 0.1
[models]
load_overhead_ms = 200.0
[workload]
trace = {{ format = "azure-functions-2019", dir = {dir:?}, day = 1 }}
[eviction]
memory = {policy}
"#,
            dir = dir.display().to_string()
        );
        let out = Scenario::from_toml_str(&text, "azure_trace.rs")?.run()?;
        let r = &out.report;
        println!(
            "{:<22} {:>8} {:>8} {:>10.4} {:>10.1}",
            label, r.cache.loads, r.cache.unloads, r.model_cache_hit, r.latency_ms.p99
        );
        // Every invocation of the file, exactly once, each accounted for.
        assert_eq!(r.requests.arrived, total);
        assert_eq!(r.requests.arrived, r.requests.completed + r.requests.failed + r.requests.rejected);
        assert!(r.model_cache_hit > 0.95, "{policy}: {}", r.model_cache_hit);
        loads.push(r.cache.loads);
    }
    // Size-aware GDSF keeps the many small functions warm: fewer cold starts.
    assert!(loads[1] < loads[0] * 9 / 10, "gdsf {} vs lru {}", loads[1], loads[0]);
    Ok(())
}
