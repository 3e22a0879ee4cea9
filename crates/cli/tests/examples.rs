//! Runs the examples (which `cargo test` builds) and checks they succeed:
//! each asserts its own outcome, so a behaviour change that breaks an
//! example's claim fails here, not only when someone runs it by hand.

use std::path::PathBuf;
use std::process::Command;

fn example(name: &str) -> PathBuf {
    // target/<profile>/deps/examples-<hash> → target/<profile>/examples/<name>
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir").join("examples");
    dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

fn run(name: &str) -> String {
    let path = example(name);
    assert!(path.exists(), "{} was not built", path.display());
    // From the repository root, as a user runs them (`cargo run --example`).
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let out = Command::new(&path).current_dir(root).output().expect("example starts");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{name} failed:\n{stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn quickstart_holds() {
    let out = run("quickstart");
    assert!(out.contains("hit ratio"), "{out}");
}

#[test]
fn eviction_shootout_holds() {
    let out = run("eviction_shootout");
    assert_eq!(out.lines().count(), 1 + 12, "{out}");
}

#[test]
fn zone_outage_holds() {
    let out = run("zone_outage");
    assert!(out.contains("during (min 20–28)"), "{out}");
}

#[test]
fn autoscaling_day_holds() {
    let out = run("autoscaling_day");
    assert!(out.contains("target tracking"), "{out}");
}

#[test]
fn azure_trace_holds() {
    let out = run("azure_trace");
    assert!(out.contains("invocations") && out.lines().count() == 6, "{out}");
}

#[test]
fn recommend_holds() {
    let out = run("recommend");
    assert!(out.contains("cheapest"), "{out}");
}

/// The examples are this package's so that `cargo run --release --example`
/// reuses the binary's release build. A dev-dependency of this package is
/// built into the examples and could change the features of a shared
/// dependency, rebuilding the workspace (docs/ARCHITECTURE.md): keep none.
#[test]
fn cli_package_has_no_dev_dependencies() {
    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).expect("manifest");
    assert!(
        !manifest.lines().any(|l| l.trim_start().starts_with("[dev-dependencies")),
        "crates/cli/Cargo.toml has dev-dependencies: the examples would no longer share the binary's build"
    );
}
