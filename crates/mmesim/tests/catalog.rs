//! Instance types from the catalog and the scenario: GPU types cache in GPU
//! memory and serve on GPU slots; a scenario overrides catalog figures.

mod common;

use mmesim::core::{Arrival, Bytes, ModelId, StorageKind, TraceKind, VecSource};
use mmesim::engine::SimTime;
use mmesim::{RunOptions, Scenario};

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
    // The cold start (20 GiB at the 2.5 Gbps network baseline, 312.5 MB/s:
    // 69 s, then read from NVMe) outlasts the 60 s timeout: early requests
    // get ModelNotReady; of the backlog served 4 at a time once it is
    // loaded, a few then wait past the limit for a slot (timeout). Nothing
    // else fails.
    let f = &r.requests.failed_by_reason;
    assert!(f.keys().all(|k| k == "model_not_ready" || k == "timeout"), "{f:?}");
    assert!(f.get("model_not_ready").is_some_and(|&n| n > 0 && n < 3 * 200), "{f:?}");
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

/// Every type of the brief is in the catalog a scenario sees, and valid.
#[test]
fn the_catalog_has_every_brief_type() {
    let cat = common::scenario("duration_s = 60.0").catalog("test.toml").unwrap();
    for name in [
        "ml.m5.large",
        "ml.m5.xlarge",
        "ml.m5.2xlarge",
        "ml.m5.4xlarge",
        "ml.c5.xlarge",
        "ml.c5.2xlarge",
        "ml.r5.xlarge",
        "ml.r5.2xlarge",
        "ml.m5d.xlarge",
        "ml.c5d.xlarge",
        "ml.r5d.xlarge",
    ] {
        let t = cat.get(name).unwrap_or_else(|| panic!("{name} missing"));
        t.validate().unwrap();
        assert!(t.gpu.is_none(), "{name}");
        assert_eq!(t.download_bytes_per_s, t.network_bytes_per_s, "{name}");
    }
    for family in ["g4dn", "g5"] {
        for size in ["xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge"] {
            let name = format!("ml.{family}.{size}");
            let t = cat.get(&name).unwrap_or_else(|| panic!("{name} missing"));
            t.validate().unwrap();
            let gpu = t.gpu.unwrap_or_else(|| panic!("{name}: no GPU"));
            assert_eq!(gpu.count, 1, "{name}");
            assert_eq!(t.storage.kind, StorageKind::Nvme, "{name}");
        }
    }
    assert_eq!(cat.iter().count(), 21);
}

/// Spot checks of published figures (docs/guide.md §4 names the sources).
#[test]
fn published_figures() {
    let cat = common::scenario("duration_s = 60.0").catalog("test.toml").unwrap();
    // ml.g4dn.2xlarge: 8 vCPUs, 32 GiB, one T4 (15,109 MiB in nvidia-smi),
    // 1 × 225 GB NVMe, 10 Gbps baseline, up to 25.
    let g = cat.get("ml.g4dn.2xlarge").unwrap();
    assert_eq!((g.vcpus, g.memory), (8, Bytes::from_gib(32.0)));
    assert_eq!(g.model_memory(), Bytes::from_mib(15_109.0));
    assert_eq!((g.storage.kind, g.storage.size), (StorageKind::Nvme, Bytes(225_000_000_000)));
    assert_eq!((g.network_bytes_per_s, g.network_burst_bytes_per_s), (1.25e9, 3.125e9));
    assert_eq!(g.download_bytes_per_s, 1.25e9);
    // ml.g5.4xlarge: 16 vCPUs, 64 GiB, A10G (23,028 MiB), 600 GB, 10/25 Gbps.
    let g = cat.get("ml.g5.4xlarge").unwrap();
    assert_eq!((g.vcpus, g.memory, g.model_memory()), (16, Bytes::from_gib(64.0), Bytes::from_mib(23_028.0)));
    assert_eq!((g.storage.size, g.network_bytes_per_s), (Bytes(600_000_000_000), 1.25e9));
    // ml.m5.xlarge: 1.25 Gbps baseline; a 100 GiB gp2 volume (≤ 170 GiB:
    // 128 MiB/s), under m5.xlarge's 593.75 MB/s EBS burst.
    let m = cat.get("ml.m5.xlarge").unwrap();
    assert_eq!((m.network_bytes_per_s, m.network_burst_bytes_per_s), (156.25e6, 1.25e9));
    assert_eq!((m.storage.kind, m.storage.size), (StorageKind::Ebs, Bytes::from_gib(100.0)));
    assert_eq!(m.storage.read_bytes_per_s, mmesim::core::gp2_read_bytes_per_s(m.storage.size));
    assert_eq!(m.storage.read_bytes_per_s, 128.0 * 1024.0 * 1024.0);
    // 10 S3 connections of 87.5 MB/s per download.
    assert_eq!((m.download_streams, m.s3_stream_bytes_per_s), (10, 87.5e6));
}

#[test]
fn scenario_overrides_the_download_figures() {
    let s = common::scenario(
        r#"
        duration_s = 60.0
        [[instance_types]]
        name = "ml.g5.2xlarge"
        download_streams = 32
        s3_stream_mb_per_s = 90.0
        network_burst_mb_per_s = 2000.0
        "#,
    );
    let cat = s.catalog("test.toml").unwrap();
    let t = cat.get("ml.g5.2xlarge").unwrap();
    assert_eq!((t.download_streams, t.s3_stream_bytes_per_s, t.network_burst_bytes_per_s), (32, 90e6, 2e9));
    assert_eq!(t.download_cap_bytes_per_s(), 32.0 * 90e6);
    // Only what was given changed.
    assert_eq!(t.network_bytes_per_s, 625e6);

    for (field, value) in
        [("s3_stream_mb_per_s", "0.0"), ("network_burst_mb_per_s", "-1.0"), ("download_streams", "70000")]
    {
        let text = format!(
            "duration_s = 60.0\n[[instance_types]]\nname = \"ml.m5.large\"\n[[instance_types]]\nname = \"ml.g5.2xlarge\"\n{field} = {value}\n"
        );
        let e = Scenario::from_toml_str(&text, "t.toml").unwrap_err();
        assert_eq!(e.field(), Some(format!("instance_types[1].{field}").as_str()), "{e}");
    }
}

/// Seconds the download of one 15 GB artifact takes with `streams` S3
/// connections on a type with a 40 Gbps network (5,000 MB/s).
fn download_secs(streams: u32) -> f64 {
    let s = common::scenario(&format!(
        r#"
        duration_s = 120.0
        [[instance_types]]
        name = "nic40"
        vcpus = 48
        memory_gib = 192.0
        price_per_hour = 1.0
        download_mb_per_s = 5000.0
        download_streams = {streams}
        storage = {{ kind = "nvme", size_gib = 1000.0, read_mb_per_s = 2000.0 }}
        [cluster]
        instance_type = "nic40"
        download_overhead_ms = 0.0
        [models]
        list = [{{ name = "llm", memory_mib = 1000.0, artifact_mib = 14305.11474609375, service_ms = 10.0 }}]
        "#
    ));
    let arrivals = vec![Arrival { time: SimTime::ZERO, model: ModelId(0), service: None }];
    let out = s
        .simulation_with_source(
            RunOptions { record_trace: true, check_invariants: true, record_metrics: false },
            Box::new(VecSource::new(arrivals)),
        )
        .unwrap()
        .run();
    let end = out.trace.iter().find(|t| t.kind == TraceKind::DownloadEnd).expect("downloaded");
    end.time.as_secs_f64()
}

/// More S3 connections move a download faster, 87.5 MB/s each, until the
/// instance's network caps it. With g5.12xlarge's 40 Gbps, a 15 GB model
/// takes 15e9 / (n × 87.5e6) s: 42.9 s with 4 connections, 10.7 s with 16,
/// 5.4 s with 32, and 3.0 s (the 5,000 MB/s NIC) from 58 on. The issue
/// quotes 28.2 / 8.5 / 4.9 s for 4 / 16 / 32 (unverified, probably the
/// Run:ai Model Streamer benchmark): the 16 and 32 points are within 26 %
/// and 10 % of the model, but 28.2 s at 4 connections means 133 MB/s per
/// connection, beyond the S3 guideline's 85–90 MB/s, which the model keeps.
#[test]
fn streams_scale_a_download_until_the_network_caps_it() {
    for (streams, secs) in [(1, 15e9 / 87.5e6), (4, 15e9 / 350e6), (16, 15e9 / 1400e6), (32, 15e9 / 2800e6)] {
        let got = download_secs(streams);
        assert!((got - secs).abs() < 1e-6, "{streams} streams: {got} s, expected {secs} s");
    }
    for streams in [58, 64, 1000, 0] {
        let got = download_secs(streams);
        assert!((got - 3.0).abs() < 1e-6, "{streams} streams: {got} s, expected the NIC's 3 s");
    }
    // Against the quoted figures, with the S3 guideline's 85–90 MB/s.
    for (streams, quoted) in [(16, 8.5), (32, 4.9)] {
        let got = download_secs(streams);
        assert!((got - quoted).abs() / quoted < 0.3, "{streams}: {got} vs {quoted}");
    }
}

/// The table of docs/guide.md §4 lists every catalog type with its vCPUs,
/// memory, network, download rate and price as in the code.
#[test]
fn the_guide_table_matches_the_catalog() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/guide.md");
    let guide = std::fs::read_to_string(path).unwrap();
    let start = guide.find("## 4. The built-in instance catalog").unwrap();
    let end = start + guide[start..].find("## 5. ").unwrap();
    let section = &guide[start..end];
    let cat = common::scenario("duration_s = 60.0").catalog("test.toml").unwrap();
    for t in cat.iter() {
        let row = section
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", t.name)))
            .unwrap_or_else(|| panic!("{} not in the §4 table", t.name));
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let gib = t.memory.0 as f64 / (1u64 << 30) as f64;
        assert_eq!(cells[2], t.vcpus.to_string(), "{row}");
        assert_eq!(cells[3], format!("{gib}"), "{row}");
        let net = t.network_bytes_per_s * 8.0 / 1e9;
        assert!(cells[10].starts_with(&format!("{net} /")), "{row}");
        assert_eq!(cells[11], format!("{}", t.download_bytes_per_s / 1e6), "{row}");
        assert_eq!(cells[12], format!("{}", t.price_per_hour), "{row}");
        let read = t.storage.read_bytes_per_s / 1e6;
        assert_eq!(cells[9], if read == 2000.0 { "2000".to_string() } else { format!("{read:.1}") }, "{row}");
    }
}
