//! `Scenario::from_file_with_overrides` (`--set PATH=VALUE`): the fields
//! change as a hand-edited file would, every check of the scenario still
//! applies, and an error names the `--set` it comes from.

mod common;
use common::temp_dir;

use mmesim::eviction::EvictionPolicy;
use mmesim::{Override, Scenario};
use std::path::{Path, PathBuf};

const BASE: &str = r#"name = "base"
duration_s = 120.0
warmup_s = 10.0
[cluster]
instances = 2
[models]
count = 30
memory_mib = { dist = "constant", value = 100.0 }
[workload]
arrival = { process = "poisson", rate_per_s = 40.0 }
[eviction]
memory = "lru"
"#;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn sets(args: &[&str]) -> Vec<Override> {
    args.iter().map(|a| Override::parse(a).unwrap_or_else(|e| panic!("{e}"))).collect()
}

fn err(path: &Path, args: &[&str]) -> String {
    Scenario::from_file_with_overrides(path, &sets(args)).expect_err("must fail").to_string()
}

#[test]
fn overrides_give_the_hand_edited_scenario_to_the_byte() {
    let dir = temp_dir("overrides", "same");
    let base = write(&dir, "base.toml", BASE);
    let edited = BASE
        .replace("instances = 2", "instances = 3")
        .replace("memory = \"lru\"", "memory = \"gdsf\"")
        .replace("rate_per_s = 40.0", "rate_per_s = 25.5")
        .replace("duration_s = 120.0", "duration_s = 120.0\nseed = 7");
    let by_hand = Scenario::from_file(write(&dir, "edited.toml", &edited)).unwrap();
    let set = Scenario::from_file_with_overrides(
        &base,
        &sets(&["cluster.instances=3", "eviction.memory=gdsf", "workload.arrival.rate_per_s=25.5", "seed=7"]),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(set.cluster.instances, 3);
    assert_eq!(set.eviction.memory, EvictionPolicy::Gdsf);
    assert_eq!(set.seed, 7);
    assert_eq!(set.origin(), base.display().to_string());
    let (a, b) = (set.run().unwrap(), by_hand.run().unwrap());
    assert_eq!(mmesim::to_json(&a.report), mmesim::to_json(&b.report));
    // No override: exactly `from_file`.
    let plain = Scenario::from_file_with_overrides(&base, &[]).unwrap();
    assert_eq!(plain, Scenario::from_file(&base).unwrap());
}

#[test]
fn a_later_override_wins_and_tables_are_values() {
    let dir = temp_dir("overrides", "later");
    let base = write(&dir, "base.toml", BASE);
    let s = Scenario::from_file_with_overrides(
        &base,
        &sets(&[
            "cluster.instances=5",
            "cluster.instances=4",
            "eviction.memory={ policy = \"lruk\", k = 3 }",
            "models.service_ms={ dist = \"lognormal\", median = 30.0, sigma = 1.0 }",
        ]),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.cluster.instances, 4);
    assert_eq!(s.eviction.memory, EvictionPolicy::LruK { k: 3 });
    // A parameter below a policy given by name.
    let s = Scenario::from_file_with_overrides(&base, &sets(&["eviction.memory=ttl", "eviction.memory.ttl_s=60"]))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.eviction.memory, EvictionPolicy::Ttl { ttl_s: 60.0 });
}

#[test]
fn errors_name_the_set_argument() {
    let dir = temp_dir("overrides", "errors");
    let base = write(&dir, "base.toml", BASE);
    let f = base.display().to_string();
    // An unknown field: the scenario's own message, and where it came from.
    let e = err(&base, &["cluster.instancez=8"]);
    assert!(e.starts_with(&format!("{f}: `cluster.instancez`: unknown field `instancez`, expected one of")), "{e}");
    assert!(e.ends_with("(from --set `cluster.instancez=8`)"), "{e}");
    // A value of the wrong type.
    let e = err(&base, &["cluster.instances=many"]);
    assert!(e.contains("`cluster.instances`: expected a whole number ≥ 0, found \"many\""), "{e}");
    assert!(e.ends_with("(from --set `cluster.instances=many`)"), "{e}");
    // A range check after parsing.
    let e = err(&base, &["name=x", "cluster.instances=0"]);
    assert!(e.starts_with(&format!("{f}: `cluster.instances`:")), "{e}");
    assert!(e.ends_with("(from --set `cluster.instances=0`)"), "{e}");
    // An unknown policy.
    let e = err(&base, &["eviction.memory=gdfs"]);
    assert!(e.contains("unknown policy `gdfs`") && e.ends_with("(from --set `eviction.memory=gdfs`)"), "{e}");
    // A path through a value that is not a table.
    let e = err(&base, &["cluster.instances.x=1"]);
    assert_eq!(
        e,
        "command line: --set `cluster.instances.x=1`: `cluster.instances` is a single value; \
         `cluster.instances.x` cannot go below it"
    );
    // Below a string (which a policy name would be): the field's type error.
    let e = err(&base, &["name.first=x"]);
    assert_eq!(e, format!("{f}: `name`: expected a string in quotes, found a table (from --set `name.first=x`)"));
}

#[test]
fn the_files_own_error_keeps_its_line() {
    let dir = temp_dir("overrides", "own");
    let bad = write(&dir, "bad.toml", &BASE.replace("[models]", "[models]\nbogus = 1"));
    let e = err(&bad, &["cluster.instances=3"]);
    assert!(e.contains("line 7, column 1: `models.bogus`: unknown field `bogus`"), "{e}");
    assert!(!e.contains("--set"), "{e}");
    // A TOML syntax error of the file, before any override.
    let broken = write(&dir, "broken.toml", "name = \n");
    let e = err(&broken, &["seed=1"]);
    assert!(e.contains("line 1"), "{e}");
}

#[test]
fn an_error_of_the_combination_lists_the_overrides() {
    let dir = temp_dir("overrides", "combination");
    let base = write(&dir, "base.toml", BASE);
    // Each is valid alone; together cpu_per_request exceeds the slots.
    let e = err(&base, &["cluster.instance_type=ml.m5.large", "cluster.cpu_per_request=4"]);
    assert!(e.contains("`cluster.cpu_per_request`"), "{e}");
    assert!(e.ends_with("(from --set `cluster.cpu_per_request=4`)"), "{e}");
    let e =
        err(&base, &["autoscaling={ policy = \"target-tracking\", min_instances = 3, max_instances = 4 }", "name=x"]);
    assert!(e.contains("autoscaling") || e.contains("instances"), "{e}");
    assert!(e.contains("--set"), "{e}");
}

#[test]
fn trace_paths_stay_relative_to_the_scenario_file() {
    let dir = temp_dir("overrides", "trace");
    std::fs::write(dir.join("reqs.csv"), "timestamp_s,model\n0,a\n1,a\n2,b\n").unwrap();
    let p = write(
        &dir,
        "s.toml",
        "name = \"t\"\nduration_s = 10.0\n[[models.list]]\nname = \"a\"\nmemory_mib = 10.0\n\
         [[models.list]]\nname = \"b\"\nmemory_mib = 10.0\n[workload]\ntrace = { format = \"csv\", path = \"reqs.csv\" }\n",
    );
    let s = Scenario::from_file_with_overrides(&p, &sets(&["cluster.instances=2"])).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.base_dir(), dir.as_path());
    let out = s.run().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.report.requests.arrived, 3);
}

#[test]
fn overrides_compose_with_validation_and_sweep_paths() {
    // The overridden scenario is what later overrides (validation figures,
    // the recommender, calibration) start from.
    let dir = temp_dir("overrides", "compose");
    let base = write(&dir, "base.toml", BASE);
    let s = Scenario::from_file_with_overrides(&base, &sets(&["cluster.instances=3"])).unwrap();
    let mut more = std::collections::BTreeMap::new();
    more.insert("eviction.memory".to_string(), toml::Value::String("fifo".into()));
    let t = s.with_overrides(&more, "x").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.cluster.instances, 3);
    assert_eq!(t.eviction.memory, EvictionPolicy::Fifo);
}

#[test]
fn a_fault_the_overrides_fix_is_not_reported() {
    // The file's own fault (`models.count = 0`) is fixed by the first
    // override; the second makes a fault of the combination (2 instances
    // outside the autoscaling bounds 3–4): that one is reported.
    let dir = temp_dir("overrides", "fixed");
    let bad = write(&dir, "bad.toml", &BASE.replace("count = 30", "count = 0"));
    assert!(Scenario::from_file(&bad).unwrap_err().to_string().contains("`count` must be"));
    let e = err(
        &bad,
        &["models.count=5", "autoscaling={ policy = \"target-tracking\", min_instances = 3, max_instances = 4 }"],
    );
    assert!(!e.contains("`count` must be"), "{e}");
    assert!(e.contains("--set"), "{e}");
    assert!(Scenario::from_file_with_overrides(&bad, &sets(&["models.count=5"])).is_ok());
}

/// A scenario built from a table in memory (the Python package's
/// `Scenario.from_dict`) is the file's: the same report to the byte; an
/// error names the origin given and the field; overrides work on it.
#[test]
fn a_table_in_memory_is_its_file() {
    let dir = temp_dir("overrides", "table");
    let path = write(&dir, "base.toml", BASE);
    let table: toml::Table = toml::from_str(BASE).expect("BASE is TOML");
    let a = Scenario::from_table(table.clone(), "mine").expect("valid");
    let b = Scenario::from_file(&path).expect("valid");
    assert_eq!(mmesim::to_json(&a.run().expect("runs").report), mmesim::to_json(&b.run().expect("runs").report));
    assert_eq!(a.origin(), "mine");

    let mut bad = table.clone();
    bad["cluster"].as_table_mut().expect("a table").insert("instances".into(), toml::Value::String("two".into()));
    let e = Scenario::from_table(bad, "mine").expect_err("a string for a count").to_string();
    assert!(e.starts_with("mine") && e.contains("cluster.instances"), "{e}");
    let mut typo = table.clone();
    typo.insert("clutser".into(), toml::Value::Table(toml::Table::new()));
    let e = Scenario::from_table(typo, "mine").expect_err("unknown key").to_string();
    assert!(e.contains("clutser"), "{e}");

    let set = std::collections::BTreeMap::from([("cluster.instances".to_string(), toml::Value::Integer(3))]);
    let c = a.with_overrides(&set, "mine").expect("valid");
    assert_eq!(c.cluster.instances, 3);

    // Its TOML rebuilds it, overrides included: the same report.
    let text = c.source_toml().expect("built from a table");
    let d = Scenario::from_table(toml::from_str(&text).expect("TOML"), "again").expect("valid");
    assert_eq!(mmesim::to_json(&d.run().expect("runs").report), mmesim::to_json(&c.run().expect("runs").report));
}
