//! The report's `models` object and the summary's `models` line: the
//! models' footprint against the fleet's model memory at the start.

fn run(instance_type: &str, instances: u32) -> mmesim::Report {
    let text = format!(
        r#"
name = "footprint"
duration_s = 30.0
warmup_s = 0.0
[cluster]
instance_type = "{instance_type}"
instances = {instances}
[models]
count = 10
memory_mib = {{ dist = "constant", value = 100.0 }}
[workload]
arrival = {{ process = "poisson", rate_per_s = 5.0 }}
"#
    );
    let s = mmesim::Scenario::from_toml_str(&text, "footprint.toml").unwrap_or_else(|e| panic!("{e}"));
    s.run().unwrap_or_else(|e| panic!("{e}")).report
}

const MIB: u64 = 1 << 20;

#[test]
fn a_cpu_type_counts_the_container_workers_in_ram() {
    let r = run("ml.m5.xlarge", 2);
    let m = &r.models;
    assert_eq!(m.count, 10);
    assert_eq!(m.footprint_bytes, 10 * 100 * MIB);
    assert_eq!(m.overhead_bytes, 10 * 155 * MIB);
    assert_eq!(m.tier, "ram");
    assert_eq!(m.tier_bytes_per_instance, 14 * 1024 * MIB);
    assert_eq!(m.instances_at_start, 2);
    let summary = mmesim::summary_table(&r);
    assert!(
        summary.contains(
            "\n\nmodels       10 models, footprint 1000.0 MiB (+ 1.5 GiB container workers) against 28.0 GiB of \
             model memory (2 × 14.0 GiB at start)\n\nrequests "
        ),
        "{summary}"
    );
    let json = mmesim::to_json(&r);
    assert!(
        json.contains(
            "  \"models\": {\n    \"count\": 10,\n    \"footprint_bytes\": 1048576000,\n    \"overhead_bytes\": \
             1625292800,\n    \"tier\": \"ram\",\n    \"tier_bytes_per_instance\": 15032385536,\n    \
             \"instances_at_start\": 2\n  },"
        ),
        "{json}"
    );
}

#[test]
fn a_gpu_type_counts_gpu_memory_less_the_cuda_context_and_no_workers() {
    let r = run("ml.g4dn.xlarge", 3);
    let m = &r.models;
    assert_eq!((m.count, m.footprint_bytes, m.overhead_bytes), (10, 10 * 100 * MIB, 0));
    assert_eq!(m.tier, "gpu");
    // 15,109 MiB of usable GPU memory less the 776 MiB CUDA context.
    assert_eq!(m.tier_bytes_per_instance, (15109 - 776) * MIB);
    assert!(
        mmesim::summary_table(&r).contains(
            "models       10 models, footprint 1000.0 MiB against 42.0 GiB of GPU memory (3 × 14.0 GiB at start)\n"
        ),
        "{}",
        mmesim::summary_table(&r)
    );
}
