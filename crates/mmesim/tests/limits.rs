//! Extreme but valid settings must neither hang nor blow up memory, and
//! values past the supported limits are clear errors.

mod common;

#[test]
fn a_huge_timeout_does_not_stretch_the_run() {
    // Every request that waits arms a timeout 10^9 s away; once they have
    // all completed, those stale events must not keep the clock (or the
    // per-minute series) going.
    let s = common::scenario(
        r#"
        duration_s = 5.0
        [cluster]
        request_timeout_s = 1e9
        [models]
        count = 10
        [workload]
        arrival = { process = "poisson", rate_per_s = 100.0 }
        "#,
    );
    let out = common::run_checked(&s);
    assert!(out.report.requests.arrived > 400);
    assert!(out.report.cache.loads > 0);
    assert!(out.report.simulated_s < 120.0, "{}", out.report.simulated_s);
    assert!(out.minutes.len() <= 2, "{} minutes", out.minutes.len());
}

#[test]
fn values_past_the_limits_are_errors_naming_the_field() {
    for (text, field) in [
        ("duration_s = 1e300", "duration_s"),
        ("[cluster]\ninstances = 4000000000", "cluster.instances"),
        ("[cluster]\nrequest_timeout_s = 1e300", "cluster.request_timeout_s"),
        ("[cluster]\ndownload_overhead_ms = 1e300", "cluster.download_overhead_ms"),
        ("[models]\nload_overhead_ms = 1e300", "load_overhead_ms"),
        ("[models]\nservice_ms = { dist = \"constant\", value = 1e300 }", "service_ms"),
        ("[models]\ncount = 4000000000", "count"),
        ("[workload]\narrival = { process = \"poisson\", rate_per_s = 1e300 }", "rate_per_s"),
        ("[[instance_types]]\nname = \"ml.m5.xlarge\"\ndownload_mb_per_s = 1e-300", "download_mb_per_s"),
    ] {
        let e = mmesim::Scenario::from_toml_str(text, "limits.toml").expect_err(text);
        let msg = e.to_string();
        assert!(msg.starts_with("limits.toml: "), "{msg}");
        assert!(msg.contains(field), "{text}: {msg}");
        assert!(!msg.contains('\n'), "{msg}");
    } // Instances × the models each can hold at once is checked once the
      // models are drawn (an instance keeps state only for those: issue 15).
    let s = mmesim::Scenario::from_toml_str("[cluster]\ninstances = 100000\n[models]\ncount = 100000", "limits.toml")
        .unwrap_or_else(|e| panic!("{e}"));
    let msg = s.sim_config(mmesim::RunOptions::default()).expect_err("too big").to_string();
    assert!(msg.starts_with("limits.toml: `cluster.instances`: 100000 instances × "), "{msg}");
    assert!(msg.contains("models each can hold at once"), "{msg}");
}
