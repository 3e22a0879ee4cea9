//! `mmesim policies` and `mmesim catalog` in the library: the policy table
//! is tied to the code (every name the scenario accepts is listed, every
//! listed name is accepted, every listed default is the one the scenario
//! applies), and the catalog rows carry the catalog's figures.

use mmesim::autoscaling::AutoscalingPolicy;
use mmesim::eviction::EvictionPolicy;
use mmesim::policies::{self, Policy};
use mmesim::routing::RoutingPolicy;
use mmesim::Scenario;

fn names(table: &str) -> Vec<&'static str> {
    policies::of(table).map(|p| p.name).collect()
}

fn param_names(p: &Policy) -> Vec<&'static str> {
    p.params.iter().map(|a| a.name).collect()
}

#[test]
fn the_table_lists_exactly_the_policies_of_the_code() {
    assert_eq!(names("routing"), RoutingPolicy::NAMES);
    assert_eq!(names("eviction"), EvictionPolicy::NAMES);
    assert_eq!(names("autoscaling"), AutoscalingPolicy::NAMES);
    assert_eq!(policies::POLICIES.len(), names("routing").len() + names("eviction").len() + names("autoscaling").len());
    for p in policies::POLICIES {
        let code = match p.table {
            "routing" => RoutingPolicy::param_names(p.name),
            "eviction" => EvictionPolicy::param_names(p.name),
            "autoscaling" => AutoscalingPolicy::param_names(p.name),
            other => panic!("unknown table {other}"),
        };
        assert_eq!(Some(param_names(p).as_slice()), code, "{}.{}", p.table, p.name);
        for a in p.params {
            assert!(!a.meaning.is_empty(), "{}.{}.{}", p.table, p.name, a.name);
        }
    }
    // The default of each table is the scenario's.
    let s = Scenario::from_toml_str("", "empty.toml").unwrap();
    let default = |t: &str| policies::of(t).filter(|p| p.default).map(|p| p.name).collect::<Vec<_>>();
    assert_eq!(default("routing"), [s.routing.name()]);
    assert_eq!(default("eviction"), [s.eviction.memory.name()]);
    assert_eq!(s.eviction.disk.name(), s.eviction.memory.name());
    assert_eq!(default("autoscaling"), [s.autoscaling.name()]);
}

/// The scenario text naming policy `p`, with its required parameters.
fn scenario_naming(p: &Policy) -> String {
    match (p.table, p.name) {
        ("routing", n) => format!("[routing]\npolicy = \"{n}\"\n"),
        ("eviction", n) => format!("[eviction]\nmemory = \"{n}\"\ndisk = \"{n}\"\n"),
        ("autoscaling", "step") => {
            "[autoscaling]\npolicy = \"step\"\nsteps = [{ above = 100.0, change = 1 }]\n".to_string()
        }
        ("autoscaling", "scheduled") => "[autoscaling]\npolicy = \"scheduled\"\nschedule = [[0.0, 1]]\n".to_string(),
        ("autoscaling", n) => format!("[autoscaling]\npolicy = \"{n}\"\n"),
        _ => unreachable!(),
    }
}

#[test]
fn every_listed_name_is_accepted_with_the_listed_defaults() {
    for p in policies::POLICIES {
        let text = scenario_naming(p);
        let parsed = Scenario::from_toml_str(&text, "p.toml");
        if p.name == "belady" {
            // Listed as trace replay only: a scenario refuses it, the cache
            // replay takes it.
            let e = parsed.expect_err("belady in a scenario").to_string();
            assert!(e.contains("needs to know the future"), "{e}");
            assert!(p.note.contains("mmesim cache"), "{}", p.note);
            assert_eq!(
                mmesim::replay::parse_policies("belady").unwrap(),
                vec![EvictionPolicy::Belady { size_aware: false }]
            );
            let v = serde_json::to_value(EvictionPolicy::from_name("belady").unwrap()).unwrap();
            assert_eq!(v["size_aware"], policies::default_value(p.params[0].default.unwrap()));
            continue;
        }
        assert!(p.note.is_empty(), "{}", p.name);
        let s = parsed.unwrap_or_else(|e| panic!("{}.{}: {e}", p.table, p.name));
        let value = match p.table {
            "routing" => serde_json::to_value(&s.routing),
            "eviction" => {
                assert_eq!(s.eviction.disk, s.eviction.memory);
                serde_json::to_value(&s.eviction.memory)
            }
            _ => serde_json::to_value(&s.autoscaling),
        }
        .unwrap();
        assert_eq!(value["policy"], p.name, "{}", p.name);
        for a in p.params {
            match a.default {
                Some(d) => assert_eq!(value[a.name], policies::default_value(d), "{}.{}.{}", p.table, p.name, a.name),
                None => {
                    // Required: the scenario without it is refused, naming it.
                    let without: String =
                        text.lines().filter(|l| !l.starts_with(a.name)).map(|l| format!("{l}\n")).collect();
                    let e = Scenario::from_toml_str(&without, "p.toml").expect_err("required").to_string();
                    assert!(e.contains(&format!("missing field `{}`", a.name)), "{}: {e}", a.name);
                }
            }
        }
        // The same name as a table takes each listed parameter at its
        // default: nothing changes.
        if p.params.iter().all(|a| a.default.is_some()) && !p.params.is_empty() {
            let key = if p.table == "eviction" { "memory" } else { "policy" };
            let params: Vec<String> = p.params.iter().map(|a| format!("{} = {}", a.name, a.default.unwrap())).collect();
            let t = match p.table {
                "eviction" => format!("[eviction]\n{key} = {{ policy = \"{}\", {} }}\n", p.name, params.join(", ")),
                table => format!("[{table}]\npolicy = \"{}\"\n{}\n", p.name, params.join("\n")),
            };
            let with = Scenario::from_toml_str(&t, "p.toml").unwrap_or_else(|e| panic!("{t}: {e}"));
            assert_eq!(
                (with.routing, with.eviction.memory, with.autoscaling),
                (s.routing.clone(), s.eviction.memory.clone(), s.autoscaling.clone())
            );
        }
    }
}

#[test]
fn the_text_table_and_json_carry_every_policy() {
    let t = policies::table();
    assert!(t.starts_with("ROUTING: [routing] policy = \"NAME\"  (docs/guide.md §3.8; compared in §9)\n"), "{t}");
    assert!(t.contains("\n  sticky (default)\n      SageMaker-like: "), "{t}");
    assert!(
        t.contains(
            "      spill_factor = 2.0 [× slots; > 0]: spill once the least-loaded copy has spill_factor × slots \
             requests in service or queued for a slot\n"
        ),
        "{t}"
    );
    assert!(t.contains("      steps (required) ["), "{t}");
    assert!(t.contains("\n  belady [trace replay (`mmesim cache`) only: a scenario rejects it]\n"), "{t}");
    for p in policies::POLICIES {
        assert!(t.contains(&format!("\n  {}", p.name)), "{}", p.name);
    }
    let j = policies::to_json();
    let a = j.as_array().unwrap();
    assert_eq!(a.len(), policies::POLICIES.len());
    let ttl = a.iter().find(|p| p["name"] == "ttl").unwrap();
    assert_eq!(ttl["table"], "eviction");
    assert_eq!(ttl["params"][0]["name"], "ttl_s");
    assert_eq!(ttl["params"][0]["default"], 600.0);
    assert_eq!(ttl["params"][0]["unit"], "s");
    let step = a.iter().find(|p| p["name"] == "step").unwrap();
    assert_eq!(step["params"][1]["name"], "steps");
    assert_eq!(step["params"][1]["required"], true);
    assert!(step["params"][1]["default"].is_null());
    assert_eq!(step["params"][0]["default"], "InvocationsPerInstance");
}

#[test]
fn catalog_rows_carry_the_catalog_figures() {
    let cat = mmesim::core::Catalog::builtin();
    let rows = mmesim::catalog::rows(&cat, &[]);
    assert_eq!(rows.len(), cat.iter().count());
    let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    // By family, then size.
    assert_eq!(&names[..4], ["ml.c5.xlarge", "ml.c5.2xlarge", "ml.c5d.xlarge", "ml.g4dn.xlarge"]);
    let m5 = rows.iter().find(|r| r.name == "ml.m5.xlarge").unwrap();
    assert_eq!((m5.vcpus, m5.memory_gib, m5.reserved_memory_gib, m5.model_memory_mib), (4, 16.0, 2.0, 14.0 * 1024.0));
    assert_eq!((m5.model_overhead_mib, m5.slots, m5.model_memory_in), (155.0, 4, "ram"));
    assert_eq!((m5.storage.kind, m5.storage.size_gib), ("ebs", 100.0));
    assert!((m5.storage.read_mb_per_s - 134.217728).abs() < 1e-9);
    assert_eq!((m5.network_gbps, m5.network_burst_gbps, m5.download_mb_per_s), (1.25, 10.0, 156.25));
    assert_eq!((m5.download_streams, m5.s3_stream_mb_per_s, m5.price_per_hour), (10, 87.5, 0.23));
    assert!(m5.gpu.is_none());
    let g = rows.iter().find(|r| r.name == "ml.g4dn.xlarge").unwrap();
    let gpu = g.gpu.as_ref().unwrap();
    assert_eq!((gpu.count, gpu.model, gpu.memory_mib, g.slots), (1, Some("T4"), 15109.0, 4));
    assert_eq!((g.model_memory_mib, g.model_memory_in), (15109.0, "gpu"));
    assert_eq!((g.storage.kind, g.storage.size_gb), ("nvme", 125.0));
    let t = mmesim::catalog::table(&rows);
    let line = |name: &str| t.lines().find(|l| l.starts_with(&format!("{name} "))).unwrap().to_string();
    let cells =
        |l: String| l.split("  ").map(str::trim).filter(|c| !c.is_empty()).map(String::from).collect::<Vec<_>>();
    // The cells of docs/guide.md §4's rows.
    assert_eq!(
        cells(line("ml.m5.large")),
        ["ml.m5.large", "2", "8", "1", "7 GiB", "—", "2", "EBS gp2 100 GiB", "134.2", "0.75 / 10", "93.75", "0.115"]
    );
    assert_eq!(
        cells(line("ml.g5.16xlarge")),
        [
            "ml.g5.16xlarge",
            "64",
            "256",
            "2 (unused)",
            "23,028 MiB (GPU)",
            "1 × A10G, 23,028 MiB",
            "4",
            "NVMe 1,900 GB (1769.5 GiB)",
            "2000",
            "25 / —",
            "3125",
            "5.12"
        ]
    );
}

#[test]
fn a_scenarios_types_are_marked() {
    let s = Scenario::from_toml_str(
        "[[instance_types]]\nname = \"t.new\"\nvcpus = 2\nmemory_gib = 4.0\nprice_per_hour = 0.5\n\
         [[instance_types]]\nname = \"ml.m5.xlarge\"\nprice_per_hour = 0.3\n",
        "s.toml",
    )
    .unwrap();
    let names: Vec<String> = s.instance_types.iter().map(|t| t.name.clone()).collect();
    let rows = mmesim::catalog::rows(&s.catalog("s.toml").unwrap(), &names);
    let marked: Vec<&str> = rows.iter().filter(|r| r.from_scenario).map(|r| r.name.as_str()).collect();
    assert_eq!(marked, ["ml.m5.xlarge", "t.new"]);
    assert_eq!(rows.iter().find(|r| r.name == "ml.m5.xlarge").unwrap().price_per_hour, 0.3);
    assert!(mmesim::catalog::table(&rows).contains("\nt.new *  "));
}
