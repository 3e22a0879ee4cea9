//! Helpers shared by the facade's integration tests.
#![allow(dead_code)]

use mmesim::{RunOptions, Scenario};

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
