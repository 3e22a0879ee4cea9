//! Target tracking driving the fleet: a step in traffic scales out after
//! exactly the alarm minutes plus the launch delay; the bounds hold; every
//! request is accounted for.

mod common;

const SCENARIO: &str = r#"
name = "autoscale"
duration_s = 2400.0
[cluster]
instance_type = "ml.m5.xlarge"
instances = 1
launch_delay_s = 240.0
[models]
count = 5
memory_mib = { dist = "constant", value = 100.0 }
service_ms = { dist = "constant", value = 10.0 }
[workload]
# 10/s for 10 minutes, then 60/s: 600 → 3,600 invocations a minute.
arrival = { process = "table", points = [[0, 10], [599.999, 10], [600, 60]] }
[autoscaling]
policy = "target-tracking"
metric = "InvocationsPerInstance"
target = 1400.0
min_instances = 1
max_instances = 4
"#;

#[test]
fn a_traffic_step_scales_out_after_the_alarm_and_the_launch_delay() {
    let out = common::run_checked(&common::scenario(SCENARIO));
    let m = |k: u64| out.minutes.iter().find(|x| x.minute == k).unwrap();
    // Minutes 10, 11, 12 are above target (≈3,600 per instance); at the
    // end of minute 12 (780 s) the policy asks ceil(1 × 3600 / 1400) = 3.
    assert_eq!((m(12).instance_count, m(12).pending_instances), (1, 0));
    assert_eq!((m(13).instance_count, m(13).pending_instances), (1, 2));
    // Launched at 780 s, in service at 780 + 240 = 1020 s: minute 16 ends
    // at 1020 s.
    assert_eq!((m(15).instance_count, m(15).pending_instances), (1, 2));
    assert_eq!((m(16).instance_count, m(16).pending_instances), (3, 0));
    // Then 3,600 / 3 = 1,200 per instance, under target but ceil(3 × 1200 / 1400)
    // is still 3: no further change.
    assert!(out.minutes.iter().all(|x| x.instance_count + x.pending_instances <= 4));
    assert_eq!((m(35).instance_count, m(35).pending_instances), (3, 0));
    assert_eq!(out.report.fleet.launched, 3);
    let r = &out.report.requests;
    assert_eq!(r.arrived, r.completed + r.failed + r.rejected);
}

#[test]
fn bad_autoscaling_is_a_clear_error() {
    for (change, needle) in [
        ("target = 1400.0", "target = -1.0"),
        ("max_instances = 4", "max_instances = 0"),
        ("metric = \"InvocationsPerInstance\"", "metric = \"Latency\""),
    ] {
        let text = SCENARIO.replace(change, needle);
        let e = mmesim::Scenario::from_toml_str(&text, "a.toml").expect_err(needle).to_string();
        assert!(e.contains("autoscaling") && !e.contains('\n'), "{needle}: {e}");
    }
    let text = SCENARIO.replace("min_instances = 1", "min_instances = 3");
    let e = mmesim::Scenario::from_toml_str(&text, "a.toml").unwrap_err().to_string();
    assert!(e.contains("cluster.instances") && e.contains("[3, 4]"), "{e}");
    let text = SCENARIO.replace("min_instances = 1", "min_instances = 5");
    let e = mmesim::Scenario::from_toml_str(&text, "a.toml").unwrap_err().to_string();
    assert!(e.contains("min_instances") && e.contains("max_instances"), "{e}");
}
