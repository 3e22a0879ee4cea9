//! `mmesim catalog`, `mmesim policies` and the guide sections every
//! `--help` names, through the real binary.

mod common;
use common::{expect_one_line_error as expect_error, mmesim};
use std::process::Output;

fn ok(args: &[&str]) -> Output {
    let out = mmesim(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn stdout(args: &[&str]) -> String {
    String::from_utf8_lossy(&ok(args).stdout).into_owned()
}

/// The cells of a table line (columns are two or more spaces apart).
fn cells(line: &str) -> Vec<String> {
    line.split("  ").map(str::trim).filter(|c| !c.is_empty()).map(String::from).collect()
}

#[test]
fn catalog_lists_every_type_with_its_figures() {
    let t = stdout(&["catalog"]);
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(
        cells(lines[0]),
        [
            "type",
            "vCPUs",
            "memory GiB",
            "reserved GiB",
            "model memory",
            "GPU (usable memory)",
            "slots",
            "storage",
            "read MB/s",
            "network Gbps (base / burst)",
            "download MB/s",
            "$/hour"
        ]
    );
    let cat = mmesim::core::Catalog::builtin();
    let mut listed: Vec<String> = lines[1..].iter().map(|l| cells(l)[0].clone()).collect();
    listed.sort();
    let known: Vec<String> = cat.names().map(String::from).collect();
    assert_eq!(listed, known, "every catalog type, once");
    let row = |name: &str| cells(lines.iter().find(|l| l.starts_with(&format!("{name} "))).unwrap());
    assert_eq!(
        row("ml.m5.xlarge"),
        ["ml.m5.xlarge", "4", "16", "2", "14 GiB", "—", "4", "EBS gp2 100 GiB", "134.2", "1.25 / 10", "156.25", "0.23"]
    );
    assert_eq!(
        row("ml.g4dn.2xlarge"),
        [
            "ml.g4dn.2xlarge",
            "8",
            "32",
            "2 (unused)",
            "15,109 MiB (GPU)",
            "1 × T4, 15,109 MiB",
            "4",
            "NVMe 225 GB (209.5 GiB)",
            "2000",
            "10 / 25",
            "1250",
            "0.94"
        ]
    );
    assert_eq!(row("ml.r5d.xlarge")[7], "NVMe 150 GB (139.7 GiB)");
    assert_eq!(row("ml.g4dn.8xlarge")[9], "50 / —");
}

#[test]
fn catalog_json_matches_the_catalog() {
    let out = ok(&["catalog", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let rows = v.as_array().expect("an array");
    let cat = mmesim::core::Catalog::builtin();
    assert_eq!(rows.len(), cat.iter().count());
    for r in rows {
        let t = cat.get(r["name"].as_str().unwrap()).expect("a catalog type");
        assert_eq!(r["vcpus"], t.vcpus);
        assert_eq!(r["memory_gib"], t.memory.as_gib());
        assert_eq!(r["model_memory_mib"], t.model_memory().as_mib());
        assert_eq!(r["slots"], t.slots());
        assert_eq!(r["price_per_hour"], t.price_per_hour);
        assert_eq!(r["download_mb_per_s"], t.download_bytes_per_s / 1e6);
        assert_eq!(r["storage"]["read_mb_per_s"], t.storage.read_bytes_per_s / 1e6);
        assert_eq!(r["gpu"].is_null(), t.gpu.is_none());
        assert_eq!(r["from_scenario"], false);
    }
    let g5 = rows.iter().find(|r| r["name"] == "ml.g5.xlarge").unwrap();
    assert_eq!(g5["gpu"], serde_json::json!({ "count": 1, "model": "A10G", "memory_mib": 23028.0 }));
    assert_eq!(g5["model_memory_in"], "gpu");
    assert_eq!(g5["network_gbps"], 2.5);
    assert_eq!(g5["network_burst_gbps"], 10.0);
    let mut keys: Vec<&str> = g5.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut documented = [
        "name",
        "vcpus",
        "cpu_speed",
        "memory_gib",
        "reserved_memory_gib",
        "model_overhead_mib",
        "memory_watermark",
        "model_memory_mib",
        "model_memory_in",
        "gpu",
        "slots",
        "storage",
        "network_gbps",
        "network_burst_gbps",
        "download_mb_per_s",
        "download_streams",
        "s3_stream_mb_per_s",
        "price_per_hour",
        "from_scenario",
    ];
    documented.sort_unstable();
    assert_eq!(keys, documented);
}

#[test]
fn catalog_of_a_scenario_marks_its_types() {
    let d = common::temp_dir("discover-cli", "catalog-scenario");
    let p = d.join("s.toml");
    std::fs::write(
        &p,
        "[[instance_types]]\nname = \"t.new\"\nvcpus = 2\nmemory_gib = 4.0\nprice_per_hour = 0.5\n\
         [[instance_types]]\nname = \"ml.m5.xlarge\"\nprice_per_hour = 0.3\n",
    )
    .unwrap();
    let p = p.to_str().unwrap();
    let t = stdout(&["catalog", p]);
    let row = |name: &str| cells(t.lines().find(|l| l.starts_with(&format!("{name} "))).unwrap());
    assert_eq!(row("ml.m5.xlarge")[0], "ml.m5.xlarge *");
    assert_eq!(row("ml.m5.xlarge")[11], "0.3");
    assert_eq!(row("t.new")[..3], ["t.new *", "2", "4"]);
    assert_eq!(row("ml.m5.large")[0], "ml.m5.large");
    let v: serde_json::Value = serde_json::from_slice(&ok(&["catalog", p, "--json"]).stdout).unwrap();
    let marked: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["from_scenario"] == true)
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(marked, ["ml.m5.xlarge", "t.new"]);
    // A bad scenario: one line naming the file.
    std::fs::write(d.join("bad.toml"), "[[instance_types]]\nname = \"t.bad\"\n").unwrap();
    let bad = d.join("bad.toml");
    expect_error(&["catalog", bad.to_str().unwrap()], &["bad.toml", "instance_types[0]"]);
}

#[test]
fn policies_lists_every_policy_with_its_parameters() {
    let t = stdout(&["policies"]);
    let sections: Vec<&str> = t.lines().filter(|l| !l.starts_with(' ') && !l.is_empty()).collect();
    assert_eq!(
        sections,
        [
            "ROUTING: [routing] policy = \"NAME\"  (docs/guide.md §3.8; compared in §9)",
            "EVICTION: [eviction] memory = \"NAME\", disk = \"NAME\"  (docs/guide.md §3.9 and §7)",
            "AUTOSCALING: [autoscaling] policy = \"NAME\"  (docs/guide.md §3.10)",
        ]
    );
    // Each section's policies, in the code's order.
    let names_in = |i: usize| -> Vec<String> {
        let start = t.find(sections[i]).unwrap();
        let end = sections.get(i + 1).map_or(t.len(), |s| t.find(s).unwrap());
        t[start..end]
            .lines()
            .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
            .map(|l| l.trim().split(' ').next().unwrap().to_string())
            .collect()
    };
    assert_eq!(names_in(0), mmesim::routing::RoutingPolicy::NAMES);
    assert_eq!(names_in(1), mmesim::eviction::EvictionPolicy::NAMES);
    assert_eq!(names_in(2), mmesim::autoscaling::AutoscalingPolicy::NAMES);
    assert!(t.contains("\n  lruk\n      LRU-K: evict the object whose K-th most recent access is oldest\n      k = 2 [accesses; 1 … 64]: K; k = 1 is LRU\n"), "{t}");
    assert!(t.contains("\n      ttl_s = 600.0 [s; 0 < ttl_s ≤ 1e9]: idle time before removal\n"), "{t}");
    assert!(t.contains("\n      target = 70.0 [the metric's unit; > 0]: the target value\n"), "{t}");
    assert!(t.contains("\n      schedule (required) ["), "{t}");
}

#[test]
fn policies_json_has_every_policy_and_default() {
    let v: serde_json::Value = serde_json::from_slice(&ok(&["policies", "--json"]).stdout).expect("stdout is JSON");
    let a = v.as_array().unwrap();
    let names = |table: &str| -> Vec<String> {
        a.iter().filter(|p| p["table"] == table).map(|p| p["name"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(names("routing"), mmesim::routing::RoutingPolicy::NAMES);
    assert_eq!(names("eviction"), mmesim::eviction::EvictionPolicy::NAMES);
    assert_eq!(names("autoscaling"), mmesim::autoscaling::AutoscalingPolicy::NAMES);
    let sticky = a.iter().find(|p| p["name"] == "sticky").unwrap();
    assert_eq!(sticky["default"], true);
    assert_eq!(
        sticky["params"],
        serde_json::json!([{
            "name": "spill_factor",
            "default": 2.0,
            "required": false,
            "unit": "× slots",
            "constraint": "> 0",
            "meaning": "spill once the least-loaded copy has spill_factor × slots requests in service or queued for a slot",
        }])
    );
    let defaults: Vec<String> = a
        .iter()
        .filter(|p| p["default"] == true)
        .map(|p| format!("{}.{}", p["table"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    assert_eq!(defaults, ["routing.sticky", "eviction.lru", "autoscaling.none"]);
}

/// The `§N` and `§N.M` references of a text.
fn sections(text: &str) -> Vec<String> {
    text.split('§')
        .skip(1)
        .map(|rest| rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect::<String>())
        .map(|s| s.trim_end_matches('.').to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

#[test]
fn every_help_names_guide_sections_that_exist() {
    let guide = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/guide.md")).unwrap();
    let heading = |sec: &str| {
        guide.lines().any(|l| {
            let l = l.trim_start_matches('#').trim_start();
            l.starts_with(&format!("{sec}. ")) || l.starts_with(&format!("{sec} "))
        })
    };
    let help = |args: &[&str]| stdout(args);
    let top = help(&["--help"]);
    assert!(top.contains("README.md") && top.contains("docs/guide.md"), "{top}");
    let run = help(&["run", "--help"]);
    assert!(run.contains("Guide: docs/guide.md §2 (options, --set, exit codes)"), "{run}");
    assert!(run.contains("--set <PATH=VALUE>"), "{run}");
    let rec = help(&["recommend", "--help"]);
    assert!(rec.contains("Guide: docs/guide.md §11.2"), "{rec}");
    assert!(rec.contains("--set <PATH=VALUE>"), "{rec}");
    for cmd in
        ["run", "validate", "cache", "sweep", "recommend", "merge", "calibrate", "synth-trace", "catalog", "policies"]
    {
        let h = help(&[cmd, "--help"]);
        assert!(h.contains("docs/guide.md §"), "{cmd} --help names no guide section: {h}");
        let refs = sections(&h);
        assert!(!refs.is_empty(), "{cmd}");
        for s in refs {
            assert!(heading(&s), "{cmd} --help names §{s}, which docs/guide.md does not have");
        }
    }
}
