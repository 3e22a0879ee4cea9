//! Helpers shared by the facade's integration tests.
#![allow(dead_code)]

use mmesim::{RunOptions, Scenario};
use std::path::PathBuf;

/// Parses a scenario from text, panicking with the error (test input is ours).
pub fn scenario(text: &str) -> Scenario {
    Scenario::from_toml_str(text, "test.toml").unwrap_or_else(|e| panic!("{e}"))
}

/// Runs with invariant checks on.
pub fn run_checked(s: &Scenario) -> mmesim::RunResult {
    let mut out = s
        .simulation(RunOptions { record_trace: false, check_invariants: true, record_metrics: true })
        .unwrap_or_else(|e| panic!("{e}"))
        .run();
    out.report.name = s.name.clone();
    out
}

/// Che's approximation of LRU's hit ratio over popularities `p` with room
/// for `c` equal objects: solve Σ (1 − e^(−p_i T)) = C for T by bisection,
/// then H = Σ p_i (1 − e^(−p_i T)).
pub fn che_hit_ratio(p: &[f64], c: f64) -> f64 {
    let filled = |t: f64| p.iter().map(|&q| 1.0 - (-q * t).exp()).sum::<f64>();
    let (mut lo, mut hi) = (0.0, 1.0);
    while filled(hi) < c {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if filled(mid) < c {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let t = 0.5 * (lo + hi);
    p.iter().map(|&q| q * (1.0 - (-q * t).exp())).sum()
}

/// A fresh, empty directory for one test: `group` is the test file,
/// `test` the test, so parallel tests never share one.
pub fn temp_dir(group: &str, test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mmesim-{group}-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}
