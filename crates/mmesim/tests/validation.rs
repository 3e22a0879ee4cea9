//! Validation against published measurements (docs/VALIDATION.md): every
//! scenario in examples/validation/ is run and compared with the figures
//! of its `[validation]` table; each figure's error must stay within the
//! bound pinned there, so a change that makes the model less faithful to a
//! published endpoint fails here. Plus the sizing consequences the issue
//! asked for: the published thrashing c5.xlarge thrashes with catalog
//! defaults, the c5.2xlarge holds every model, and `recommend` no longer
//! calls one c5.xlarge sufficient at a 95 % hit target.

use mmesim::recommend::{recommend, SearchOptions, Targets};
use mmesim::validate::{table, validate, Validation};
use mmesim::Scenario;
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/validation"))
}

fn load(name: &str) -> Scenario {
    Scenario::from_file(dir().join(name)).unwrap_or_else(|e| panic!("{e}"))
}

fn run(name: &str) -> Validation {
    let s = load(name);
    validate(&s, name).unwrap_or_else(|e| panic!("{e}"))
}

fn figure(v: &Validation, name: &str) -> f64 {
    v.figures.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("no figure {name}")).simulated
}

#[test]
fn every_validation_scenario_stays_within_its_pinned_errors() {
    let mut files: Vec<_> = std::fs::read_dir(dir())
        .expect("examples/validation")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "{files:?}");
    for path in files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?").to_string();
        let v = run(&name);
        assert!(!v.figures.is_empty(), "{name}: no figures");
        assert!(v.within_bounds(), "{name} left its pinned error bounds:\n{}", table(&v));
    }
}

#[test]
fn the_published_thrashing_c5_xlarge_thrashes_and_the_c5_2xlarge_does_not() {
    let small = run("aim408-c5xlarge.toml");
    assert!(figure(&small, "ModelCacheHit") < 0.95, "{}", table(&small));
    assert!(figure(&small, "LoadedModelCount") < 51.0, "{}", table(&small));
    let large = run("aim408-c5-2xlarge.toml");
    assert!(figure(&large, "LoadedModelCount") > 50.5, "{}", table(&large));
}

#[test]
fn recommend_does_not_call_one_c5_xlarge_sufficient_at_a_95_percent_hit_target() {
    let mut s = load("aim408-c5xlarge.toml");
    s.validation = None;
    let targets = Targets { p99_ms: 60_000.0, min_hit: Some(0.95), max_error_rate: 0.01 };
    let opts = SearchOptions {
        types: vec!["ml.c5.xlarge".into(), "ml.c5.2xlarge".into()],
        max_instances: 2,
        seeds: 1,
        survive_zone_loss: false,
        exhaustive: true,
    };
    let rec = recommend(&s, &targets, &opts, &|| {}).unwrap_or_else(|e| panic!("{e}"));
    let one_small = rec.evaluated.iter().find(|e| e.instance_type == "ml.c5.xlarge" && e.instances == 1);
    let one_small = one_small.expect("1 × ml.c5.xlarge evaluated");
    assert!(!one_small.passes, "1 × ml.c5.xlarge should miss the 95 % hit target: {}", rec.table());
    let pick = rec.cheapest().expect("some configuration passes");
    assert!(
        (pick.instance_type.as_str(), pick.instances) != ("ml.c5.xlarge", 1),
        "recommended the thrashing configuration: {}",
        rec.table()
    );
}
