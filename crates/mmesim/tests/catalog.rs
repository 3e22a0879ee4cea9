//! Instance types from the catalog and the scenario: GPU types cache in GPU
//! memory and serve on GPU slots; a scenario overrides catalog figures.

mod common;

#[test]
fn gpu_type_uses_gpu_memory_and_slots() {
    // ml.g5.xlarge: 16 GiB RAM, one A10G with 24 GiB and 4 slots. A 20 GiB
    // model fits the GPU (it would not fit the RAM); 8 concurrent requests
    // run 4 at a time.
    let s = common::scenario(
        r#"
        duration_s = 1000.0
        warmup_s = 300.0
        [cluster]
        instance_type = "ml.g5.xlarge"
        [models]
        list = [{ name = "llm", memory_mib = 20480.0, service_ms = 1000.0 }]
        [workload]
        arrival = { process = "poisson", rate_per_s = 3.0 }
        "#,
    );
    let r = common::run_checked(&s).report;
    // The cold start (20 GiB at 200 MB/s, then read from NVMe) outlasts
    // the 60 s timeout: early requests time out, nothing else fails.
    assert_eq!(r.requests.failed_by_reason.len(), 1);
    assert!(r.requests.failed_by_reason.get("timeout").is_some_and(|&n| n > 0 && n < 3 * 200));
    assert_eq!(r.cache.loads, 1);
    assert!(r.model_cache_hit == 1.0);
    // 3/s × 1 s on 4 slots: ρ = 0.75, so some requests wait (Erlang C
    // gives P(wait) ≈ 0.51), which they would not with 16+ slots.
    assert!(r.queue_wait_ms.waited_fraction > 0.3, "{}", r.queue_wait_ms.waited_fraction);

    // The same model on a CPU type with 16 GiB (14 usable) fails at once.
    let mut cpu = s.clone();
    cpu.cluster.instance_type = "ml.m5.xlarge".into();
    let r = cpu.run().unwrap().report;
    assert_eq!(r.requests.failed, r.requests.arrived);
    assert_eq!(r.requests.failed_by_reason.get("model_too_large"), Some(&r.requests.arrived));
    assert_eq!(r.cache.loads, 0);
}

#[test]
fn scenario_overrides_a_catalog_price_and_adds_a_type() {
    let base = r#"
        duration_s = 3600.0
        [cluster]
        instance_type = "ml.m5.xlarge"
        instances = 2
        [workload]
        arrival = { process = "poisson", rate_per_s = 1.0 }
    "#;
    let r = common::scenario(base).run().unwrap().report;
    // 2 instances × ≥ 1 h at the catalog's $0.23/h.
    assert!(r.instance_hours >= 2.0 && r.instance_hours < 2.01, "{}", r.instance_hours);
    assert!((r.cost_usd - 0.23 * r.instance_hours).abs() < 1e-9);

    let cheaper = format!("{base}\n[[instance_types]]\nname = \"ml.m5.xlarge\"\nprice_per_hour = 0.1\n");
    let r2 = common::scenario(&cheaper).run().unwrap().report;
    assert!((r2.cost_usd - 0.1 * r2.instance_hours).abs() < 1e-9);
    // Only the price changed: the simulation is the same.
    assert_eq!(r2.latency_ms, r.latency_ms);

    let custom = r#"
        duration_s = 60.0
        [[instance_types]]
        name = "my.8x64"
        vcpus = 8
        memory_gib = 64.0
        price_per_hour = 1.0
        [cluster]
        instance_type = "my.8x64"
    "#;
    let r3 = common::scenario(custom).run().unwrap().report;
    assert!(r3.requests.completed > 0);
    assert!((r3.cost_usd - r3.instance_hours).abs() < 1e-9);
}
