//! The tidy per-minute metrics CSV of `mmesim run --metrics`.

use mmesim_core::{Dimension, RunResult};
use std::fmt::Write;

/// The run's CloudWatch-style rows as CSV: header
/// `minute,time_s,metric,dimension,value,sample_count`; the dimension is
/// `endpoint`, `zone=NAME` or `instance=ID`. Rows come minute by minute,
/// instances first, then zones, then the endpoint. Values are written with
/// Rust's shortest round-trip formatting, so the same run gives the same
/// bytes.
pub fn metrics_csv(result: &RunResult) -> String {
    let zones: Vec<&str> = result.report.zones.iter().map(|z| z.name.as_str()).collect();
    let mut s = String::with_capacity(64 * result.metrics.len() + 64);
    s.push_str("minute,time_s,metric,dimension,value,sample_count\n");
    for r in &result.metrics {
        let dim = match r.dimension {
            Dimension::Endpoint => "endpoint".to_string(),
            Dimension::Zone(z) => format!("zone={}", zones.get(z as usize).copied().unwrap_or("?")),
            Dimension::Instance(i) => format!("instance={i}"),
        };
        let _ = writeln!(s, "{},{},{},{},{},{}", r.minute, r.minute * 60, r.metric, dim, r.value, r.samples);
    }
    s
}
