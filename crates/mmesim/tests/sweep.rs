//! Sweeps: point numbering, results equal to running each point's scenario
//! alone, byte-identical results whatever the thread count or sharding,
//! and clear errors for bad sweep files.

mod common;
use common::temp_dir;

use mmesim::sweep::{merge, parse_jsonl, to_csv, to_jsonl, Cell, Figures, Shard, Sweep};
use std::path::{Path, PathBuf};

const BASE: &str = r#"
name = "sweep-base"
seed = 5
duration_s = 120.0
warmup_s = 20.0
[cluster]
instance_type = "ml.m5.large"
instances = 1
zones = 2
[models]
count = 60
memory_mib = { dist = "lognormal", median = 300.0, sigma = 0.5 }
[workload]
arrival = { process = "poisson", rate_per_s = 40.0 }
popularity = { dist = "zipf", alpha = 0.9 }
[routing]
policy = "sticky"
"#;

/// Writes the base scenario and a sweep file; returns the sweep's path.
fn write_sweep(dir: &Path, sweep: &str) -> PathBuf {
    std::fs::create_dir_all(dir.join("scen")).unwrap();
    std::fs::write(dir.join("scen/base.toml"), BASE).unwrap();
    let p = dir.join("sweep.toml");
    std::fs::write(&p, sweep).unwrap();
    p
}

const GRID: &str = r#"
base = "scen/base.toml"
[set]
duration_s = 90.0
[axes]
"cluster.instance_type" = ["ml.m5.large", "ml.m5.xlarge"]
"cluster.instances" = [1, 2, 3]
"routing.spill_factor" = [1.5, 4.0]
"seed" = [1, 2]
"#;

#[test]
fn points_are_numbered_last_axis_fastest_and_match_their_scenario() {
    let dir = temp_dir("sweep", "numbering");
    let sweep = Sweep::from_file(write_sweep(&dir, GRID)).unwrap();
    assert_eq!(sweep.len(), 24);
    // Point 13 = type 1 (13 / 12), instances index (13 % 12) / 4 = 0, spill (13 % 4) / 2 = 0, seed 13 % 2 = 1.
    let p: Vec<String> = sweep.params(13).iter().map(|(k, v)| format!("{k}={v}")).collect();
    assert_eq!(
        p,
        ["cluster.instance_type=\"ml.m5.xlarge\"", "cluster.instances=1", "routing.spill_factor=1.5", "seed=2"]
    );
    let s = sweep.scenario(13).unwrap();
    assert_eq!(s.cluster.instance_type, "ml.m5.xlarge");
    assert_eq!(s.cluster.instances, 1);
    assert_eq!(s.seed, 2);
    assert_eq!(s.duration_s, 90.0, "[set] applies to every point");
    assert_eq!(s.routing.name(), "sticky", "the policy named in the base keeps its name under a parameter axis");
    assert!(format!("{:?}", s.routing).contains("1.5"), "{:?}", s.routing);

    // A row's figures are those of running its scenario alone.
    let rows = sweep.run(Shard::ALL, Some(2), &|| {}).unwrap();
    assert_eq!(rows.len(), 24);
    for i in [0u64, 13, 23] {
        let alone = Figures::of(&sweep.scenario(i).unwrap().run().unwrap().report);
        let row = &rows[i as usize];
        assert_eq!(row.point(), i);
        for (name, cell) in Figures::COLUMNS.iter().zip(alone.cells()) {
            assert_eq!(row.get(name), Some(&cell), "point {i}, {name}");
        }
    }
    // The type axis took effect: cost per instance-hour is the type's price.
    let cat = mmesim::core::Catalog::builtin();
    for r in &rows {
        let Some(Cell::Str(ty)) = r.get("cluster.instance_type") else { panic!("no type in {r:?}") };
        let price = cat.get(ty).unwrap().price_per_hour;
        let f = |n: &str| r.get(n).and_then(Cell::as_f64).unwrap();
        assert!((f("cost_usd") / f("instance_hours") - price).abs() < 1e-9, "{ty}");
    }
}

#[test]
fn thread_count_and_sharding_do_not_change_a_byte() {
    let dir = temp_dir("sweep", "bytes");
    let sweep = Sweep::from_file(write_sweep(&dir, GRID)).unwrap();
    let whole1 = sweep.run(Shard::ALL, Some(1), &|| {}).unwrap();
    let whole2 = sweep.run(Shard::ALL, Some(2), &|| {}).unwrap();
    let whole4 = sweep.run(Shard::ALL, Some(4), &|| {}).unwrap();
    let (csv, jsonl) = (to_csv(&whole1), to_jsonl(&whole1));
    assert_eq!(to_csv(&whole2), csv);
    assert_eq!(to_jsonl(&whole2), jsonl);
    assert_eq!(to_jsonl(&whole4), jsonl);
    // Five shards of 24 points (uneven: 5, 5, 5, 5, 4), merged in a scrambled order.
    let mut parts = Vec::new();
    let mut done = std::sync::atomic::AtomicUsize::new(0);
    for k in [3, 1, 5, 2, 4] {
        let shard = Shard { index: k, count: 5 };
        let rows = sweep
            .run(shard, Some(2), &|| {
                done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            })
            .unwrap();
        assert_eq!(rows.len(), if k == 5 { 4 } else { 5 });
        assert!(rows.iter().all(|r| (r.point() % 5) as u32 == k - 1));
        // Through the file format: shards travel as JSON Lines.
        let text = to_jsonl(&rows);
        parts.push((format!("shard-{k}.jsonl"), parse_jsonl(&text, "shard").unwrap()));
    }
    assert_eq!(*done.get_mut(), 24, "the progress callback runs once per point");
    let merged = merge(parts.clone()).unwrap();
    assert_eq!(to_csv(&merged), csv);
    assert_eq!(to_jsonl(&merged), jsonl);

    // A missing shard, and a shard given twice, are errors.
    let missing = merge(parts[1..].to_vec()).unwrap_err().to_string();
    assert!(missing.contains("5 of the sweep's 24 points are missing (first: point 2)"), "{missing}");
    let mut twice = parts.clone();
    twice.push(parts[0].clone());
    let dup = merge(twice).unwrap_err().to_string();
    assert!(dup.contains("point 2 is also in `shard-3.jsonl`"), "{dup}");
}

fn sweep_error(test: &str, text: &str) -> String {
    let dir = temp_dir("sweep", test);
    Sweep::from_file(write_sweep(&dir, text)).unwrap_err().to_string()
}

#[test]
fn bad_sweep_files_get_clear_errors() {
    let e = sweep_error("unknown_path", "base = \"scen/base.toml\"\n[axes]\n\"cluster.instancez\" = [1, 2]\n");
    assert!(e.contains("sweep.toml: `axes.\"cluster.instancez\"`"), "{e}");
    assert!(e.contains("unknown field `instancez`"), "{e}");

    let e = sweep_error("empty_axis", "base = \"scen/base.toml\"\n[axes]\n\"seed\" = []\n");
    assert!(e.contains("`axes.\"seed\"`: empty axis"), "{e}");

    let e = sweep_error("no_axes", "base = \"scen/base.toml\"\n[axes]\n");
    assert!(e.contains("`axes`: empty"), "{e}");

    let e = sweep_error("scalar_axis", "base = \"scen/base.toml\"\n[axes]\nseed = 3\n");
    assert!(e.contains("`axes.\"seed\"`: expected a list of values, like [3]"), "{e}");

    let e = sweep_error("bad_value", "base = \"scen/base.toml\"\n[axes]\n\"cluster.instances\" = [2, 0]\n");
    assert!(e.contains("`axes.\"cluster.instances\"`") && e.contains("must be between 1"), "{e}");
    assert!(e.contains("with `cluster.instances` = 0"), "{e}");

    let e = sweep_error("bad_policy_param", "base = \"scen/base.toml\"\n[axes]\n\"routing.k\" = [2]\n");
    assert!(e.contains("unknown field `k` for policy `sticky`"), "{e}");

    let e = sweep_error("below_value", "base = \"scen/base.toml\"\n[axes]\n\"seed.x\" = [2]\n");
    assert!(e.contains("`seed` is a single value"), "{e}");

    let e = sweep_error("missing_base", "[axes]\nseed = [1]\n");
    assert!(e.contains("`base`: missing"), "{e}");

    let e = sweep_error("unreadable_base", "base = \"nope.toml\"\n[axes]\nseed = [1]\n");
    assert!(e.contains("`base`: cannot read") && e.contains("nope.toml"), "{e}");

    let e = sweep_error("unknown_key", "base = \"scen/base.toml\"\nthreads = 4\n[axes]\nseed = [1]\n");
    assert!(e.contains("`threads`: unknown key"), "{e}");

    let e = sweep_error("toml_syntax", "base = \"scen/base.toml\"\n[axes\n");
    assert!(e.contains("sweep.toml: line 2"), "{e}");

    // Each value alone is fine, the combination is not: caught before running.
    let e = sweep_error(
        "combination",
        "base = \"scen/base.toml\"\n[axes]\n\"cluster.instances\" = [1, 9]\n\"autoscaling\" = [\"none\", { policy = \"target-tracking\", min_instances = 1, max_instances = 4, target = 100.0 }]\n",
    );
    assert!(e.contains("point 3") && e.contains("outside the autoscaling bounds"), "{e}");

    for (s, want) in [
        ("3/2", "shard 3 does not exist: shards are numbered 1 to 2"),
        ("0/2", "shard 0 does not exist"),
        ("1/0", "at least 1"),
        ("2", "expected K/N"),
        ("a/2", "not a shard number"),
    ] {
        let e = Shard::parse(s).unwrap_err().to_string();
        assert!(e.contains(want), "{s}: {e}");
    }
    assert_eq!(Shard::parse("2/4").unwrap(), Shard { index: 2, count: 4 });
}

#[test]
fn set_path_descends_into_tables_lists_and_named_policies() {
    use mmesim::sweep::set_path;
    let mut t: toml::Table = toml::from_str("a = \"lru\"\n[[f]]\nx = 1\n[[f]]\nx = 2\n").unwrap();
    set_path(&mut t, "a.k", toml::Value::Integer(3)).unwrap();
    set_path(&mut t, "f.1.x", toml::Value::Integer(7)).unwrap();
    set_path(&mut t, "new.deep.key", toml::Value::Boolean(true)).unwrap();
    assert_eq!(t["a"]["policy"].as_str(), Some("lru"));
    assert_eq!(t["a"]["k"].as_integer(), Some(3));
    assert_eq!(t["f"][1]["x"].as_integer(), Some(7));
    assert_eq!(t["f"][0]["x"].as_integer(), Some(1));
    assert_eq!(t["new"]["deep"]["key"].as_bool(), Some(true));
    assert!(set_path(&mut t, "f.2.x", toml::Value::Integer(0)).unwrap_err().contains("not an index"));
    assert!(set_path(&mut t, "a..b", toml::Value::Integer(0)).unwrap_err().contains("not a dotted field path"));
}

#[test]
fn unquoted_dotted_keys_change_only_the_fields_they_name() {
    // `cluster.instance_type = …` unquoted is TOML for a `cluster` table: it must not
    // replace the base's whole `[cluster]` (instances = 1, zones = 2).
    let dir = temp_dir("sweep", "dotted");
    let text = "base = \"scen/base.toml\"\n[set]\ncluster.instance_type = \"ml.r5.xlarge\"\n\
                eviction.memory = { policy = \"lruk\", k = 3 }\n[axes]\ncluster.instances = [2, 3]\n";
    let sweep = Sweep::from_file(write_sweep(&dir, text)).unwrap();
    assert_eq!(sweep.axes()[0].path, "cluster.instances");
    let s = sweep.scenario(1).unwrap();
    assert_eq!(s.cluster.instance_type, "ml.r5.xlarge");
    assert_eq!(s.cluster.instances, 3);
    assert_eq!(s.cluster.zones.names().len(), 2, "the base's zones survive");
    assert_eq!(s.eviction.memory.name(), "lruk");
    assert!(format!("{:?}", s.eviction.memory).contains('3'), "{:?}", s.eviction.memory);
}

proptest::proptest! {
    /// The shards of a sweep partition its points: each point is in exactly
    /// one shard, and each shard holds ⌈len / N⌉ or ⌊len / N⌋ of them.
    #[test]
    fn shards_partition_the_points(len in 0u64..500, n in 1u32..40) {
        let mut count = vec![0u64; n as usize];
        for i in 0..len {
            let owners: Vec<u32> = (1..=n).filter(|&k| Shard { index: k, count: n }.contains(i)).collect();
            proptest::prop_assert_eq!(owners.len(), 1);
            count[owners[0] as usize - 1] += 1;
        }
        let (lo, hi) = (len / n as u64, len.div_ceil(n as u64));
        proptest::prop_assert!(count.iter().all(|&c| c == lo || c == hi));
        proptest::prop_assert_eq!(count.iter().sum::<u64>(), len);
    }
}

/// A sweep of a scenario in memory (the Python package's `mmesim.sweep`)
/// is the sweep file's: the same points and rows to the byte; its errors
/// name the origin given and the axis.
#[test]
fn a_sweep_of_a_scenario_in_memory_is_the_files() {
    let dir = temp_dir("sweep", "from_scenario");
    let axes_text = r#"
"cluster.instances" = [1, 2]
"seed" = [1, 2]
"#;
    let file = Sweep::from_file(write_sweep(&dir, &format!("base = \"scen/base.toml\"\n[axes]\n{axes_text}"))).unwrap();
    let base = mmesim::Scenario::from_file(dir.join("scen/base.toml")).unwrap();
    let axes: toml::Table = toml::from_str(axes_text).unwrap();
    let mem = Sweep::from_scenario(&base, &axes, "mine").unwrap();
    assert_eq!(mem.len(), 4);
    let rows = |s: &Sweep| to_csv(&s.run(Shard::ALL, Some(2), &|| {}).unwrap());
    assert_eq!(rows(&mem), rows(&file));

    let bad: toml::Table = toml::from_str(r#""cluster.instances" = [1, -2]"#).unwrap();
    let e = Sweep::from_scenario(&base, &bad, "mine").unwrap_err().to_string();
    assert!(e.starts_with("mine") && e.contains("cluster.instances"), "{e}");
    let empty = toml::Table::new();
    assert!(Sweep::from_scenario(&base, &empty, "mine").unwrap_err().to_string().contains("axes"));
}
