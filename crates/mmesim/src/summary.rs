//! The human-readable summary of a report.

use mmesim_core::{ModelsSummary, Report};
use std::fmt::Write;

/// Formats a report as a short table for a terminal.
pub fn summary_table(r: &Report) -> String {
    let mut s = String::new();
    let q = &r.requests;
    let pct = |n: u64| if q.arrived > 0 { 100.0 * n as f64 / q.arrived as f64 } else { 0.0 };
    let _ = writeln!(s, "scenario {:?} (seed {}), {:.1} simulated s", r.name, r.seed, r.simulated_s);
    let _ = writeln!(s);
    let _ = writeln!(s, "models       {}", models_line(&r.models));
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

/// `200 models, footprint 28.3 GiB (+ 30.3 GiB container workers) against
/// 56.0 GiB of model memory (4 × 14.0 GiB at start)`.
fn models_line(m: &ModelsSummary) -> String {
    let mut s =
        format!("{} model{}, footprint {}", m.count, if m.count == 1 { "" } else { "s" }, bytes(m.footprint_bytes));
    if m.overhead_bytes > 0 {
        let _ = write!(s, " (+ {} container workers)", bytes(m.overhead_bytes));
    }
    let tier = if m.tier == "gpu" { "GPU memory" } else { "model memory" };
    let total = m.tier_bytes_per_instance.saturating_mul(u64::from(m.instances_at_start));
    let _ = write!(
        s,
        " against {} of {tier} ({} × {} at start)",
        bytes(total),
        m.instances_at_start,
        bytes(m.tier_bytes_per_instance)
    );
    s
}

/// Bytes in binary units, one decimal: MiB below a GiB, TiB from 1,024 GiB.
fn bytes(b: u64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    let mib = b as f64 / MIB;
    if mib < 1024.0 {
        format!("{mib:.1} MiB")
    } else if mib < 1024.0 * 1024.0 {
        format!("{:.1} GiB", mib / 1024.0)
    } else {
        format!("{:.1} TiB", mib / (1024.0 * 1024.0))
    }
}

fn reasons(m: &std::collections::BTreeMap<String, u64>) -> String {
    if m.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k} {v}")).collect();
    format!("  [{}]", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: u64 = 1 << 30;
    const MIB: u64 = 1 << 20;

    #[test]
    fn the_models_line_states_footprint_overhead_and_model_memory() {
        let m = ModelsSummary {
            count: 200,
            footprint_bytes: 28 * GIB + 307 * MIB,
            overhead_bytes: 200 * 155 * MIB,
            tier: "ram".into(),
            tier_bytes_per_instance: 14 * GIB,
            instances_at_start: 4,
        };
        assert_eq!(
            models_line(&m),
            "200 models, footprint 28.3 GiB (+ 30.3 GiB container workers) against 56.0 GiB of model memory \
             (4 × 14.0 GiB at start)"
        );
    }

    #[test]
    fn gpu_types_count_gpu_memory_and_no_workers() {
        let m = ModelsSummary {
            count: 1,
            footprint_bytes: 600 * MIB,
            overhead_bytes: 0,
            tier: "gpu".into(),
            tier_bytes_per_instance: 15109 * MIB - 776 * MIB,
            instances_at_start: 2,
        };
        assert_eq!(
            models_line(&m),
            "1 model, footprint 600.0 MiB against 28.0 GiB of GPU memory (2 × 14.0 GiB at start)"
        );
        assert_eq!(bytes(3 * 1024 * GIB / 2), "1.5 TiB");
        assert_eq!(bytes(0), "0.0 MiB");
    }
}
