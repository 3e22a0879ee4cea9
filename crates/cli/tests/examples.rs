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

/// The guide's quote of an example's output: the ```text block after
/// "`cargo run --release --example NAME` prints" (line breaks and a
/// parenthesis such as "(a real run)" allowed in between).
fn quoted_in_guide(name: &str) -> Option<String> {
    let guide = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/guide.md")).expect("guide");
    let flat = guide.replace('\n', " ");
    let needle = format!("cargo run --release --example {name}` prints");
    // Work on the original text: find the needle with any whitespace.
    let at = flat.find(&needle)?;
    let block = guide[at..].find("```text\n")? + at + "```text\n".len();
    let len = guide[block..].find("```")?;
    Some(guide[block..block + len].to_string())
}

/// An example whose output the guide quotes must print exactly that: the
/// quotes are real runs, and this keeps them so (issue 14, docs drift).
fn check_quote(name: &str, out: &str) {
    if let Some(quoted) = quoted_in_guide(name) {
        assert_eq!(
            out.trim_end(),
            quoted.trim_end(),
            "docs/guide.md quotes `cargo run --release --example {name}` but the example prints something else: \
             update the quote (and the prose around it) to the output above"
        );
    }
}

#[test]
fn the_guide_quotes_the_examples_that_print_tables() {
    for name in ["eviction_shootout", "zone_outage", "azure_trace"] {
        assert!(quoted_in_guide(name).is_some(), "docs/guide.md no longer quotes {name}'s output");
    }
}

#[test]
fn quickstart_holds() {
    let out = run("quickstart");
    check_quote("quickstart", &out);
    assert!(out.contains("hit ratio"), "{out}");
}

#[test]
fn eviction_shootout_holds() {
    let out = run("eviction_shootout");
    check_quote("eviction_shootout", &out);
    assert_eq!(out.lines().count(), 1 + 12, "{out}");
}

#[test]
fn zone_outage_holds() {
    let out = run("zone_outage");
    check_quote("zone_outage", &out);
    assert!(out.contains("during (min 20–28)"), "{out}");
}

#[test]
fn autoscaling_day_holds() {
    let out = run("autoscaling_day");
    check_quote("autoscaling_day", &out);
    assert!(out.contains("target tracking"), "{out}");
}

#[test]
fn azure_trace_holds() {
    let out = run("azure_trace");
    check_quote("azure_trace", &out);
    assert!(out.contains("invocations") && out.lines().count() == 6, "{out}");
}

#[test]
fn recommend_holds() {
    let out = run("recommend");
    check_quote("recommend", &out);
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
