//! The human-readable summary of a report.

use mmesim_core::Report;
use std::fmt::Write;

/// Formats a report as a short table for a terminal.
pub fn summary_table(r: &Report) -> String {
    let mut s = String::new();
    let q = &r.requests;
    let pct = |n: u64| if q.arrived > 0 { 100.0 * n as f64 / q.arrived as f64 } else { 0.0 };
    let _ = writeln!(s, "scenario {:?} (seed {}), {:.1} simulated s", r.name, r.seed, r.simulated_s);
    let _ = writeln!(s);
    let _ = writeln!(s, "requests     arrived {:>12}", q.arrived);
    let _ = writeln!(s, "             completed {:>10}  ({:.2} %)", q.completed, pct(q.completed));
    let _ =
        writeln!(s, "             failed {:>13}  ({:.2} %){}", q.failed, pct(q.failed), reasons(&q.failed_by_reason));
    let _ = writeln!(
        s,
        "             rejected {:>11}  ({:.2} %){}",
        q.rejected,
        pct(q.rejected),
        reasons(&q.rejected_by_reason)
    );
    let _ = writeln!(s, "             measured {:>11}  (arrived at or after the warm-up)", q.measured);
    let l = &r.latency_ms;
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "latency ms   mean {:>9.2}  p50 {:>9.2}  p90 {:>9.2}  p99 {:>9.2}  p99.9 {:>9.2}  max {:>9.2}",
        l.mean, l.p50, l.p90, l.p99, l.p999, l.max
    );
    let w = &r.queue_wait_ms;
    let _ = writeln!(
        s,
        "queue ms     mean {:>9.2}  p50 {:>9.2}  p99 {:>9.2}  waited {:.1} %",
        w.mean,
        w.p50,
        w.p99,
        100.0 * w.waited_fraction
    );
    let lw = &r.model_loading_wait_ms;
    let _ = writeln!(
        s,
        "model wait   mean {:>9.2}  p99 {:>9.2}  ({} requests waited for a model)",
        lw.mean, lw.p99, lw.count
    );
    let _ = writeln!(s);
    let _ = writeln!(s, "cache hit    {:.4}", r.model_cache_hit);
    let c = &r.cache;
    let _ = writeln!(
        s,
        "cache        downloads {}  loads {}  unloads {}  disk evictions {}  joined in flight {}",
        c.downloads, c.loads, c.unloads, c.disk_evictions, c.joined_in_flight
    );
    let _ = writeln!(
        s,
        "fleet        {} instances launched, peak {} in service, slot utilisation {:.1} %",
        r.fleet.launched, r.fleet.peak_in_service, r.fleet.cpu_utilization
    );
    let _ = writeln!(s, "cost         {:.2} instance-hours, ${:.2}", r.instance_hours, r.cost_usd);
    s
}

fn reasons(m: &std::collections::BTreeMap<String, u64>) -> String {
    if m.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k} {v}")).collect();
    format!("  [{}]", parts.join(", "))
}
