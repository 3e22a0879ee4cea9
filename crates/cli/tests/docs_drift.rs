//! The docs quote real runs; these tests keep the quotes true (issue 14,
//! item 9). Deterministic figures are compared exactly; wall-clock figures
//! cannot be, so each must name the command that regenerates it
//! (`scripts/doc_timings.sh`).

mod common;

use common::mmesim;

fn root_file(rel: &str) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../").to_string() + rel;
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Guide §2 quotes the stderr line of `mmesim run` on the quickstart: its
/// request and event counts are deterministic and must be the run's.
#[test]
fn the_guides_stderr_example_has_the_runs_counts() {
    let guide = root_file("docs/guide.md");
    let quoted = guide
        .lines()
        .find(|l| l.starts_with("mmesim: ") && l.contains(" events in "))
        .expect("guide §2 quotes the wall-clock line of a run");
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/scenarios/quickstart.toml");
    let out = mmesim(&["run", scenario]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr.lines().find(|l| l.contains(" events in ")).expect("the wall-clock line on stderr");
    let counts = |l: &str| l.split(" in ").next().unwrap_or_default().to_string();
    assert_eq!(
        counts(quoted),
        counts(line),
        "guide §2's stderr example is stale: the run prints `{line}` (regenerate with scripts/doc_timings.sh)"
    );
    // The rest has the shape the guide describes (and scripts/ab.sh parses).
    let rest = line.split(" in ").nth(1).unwrap_or_default();
    assert!(rest.ends_with(" M requests/s)") && rest.contains(" s wall ("), "{line}");
}

/// A wall-clock claim in the README ("N s on two cores", "under two
/// seconds") must say which command measures it, so it can be redone.
#[test]
fn the_readmes_wall_clock_claims_name_their_command() {
    let readme = root_file("README.md").replace('\n', " ");
    let mut claims = 0;
    for pat in [" s on two cores", "seconds on two cores"] {
        let mut from = 0;
        while let Some(i) = readme[from..].find(pat) {
            let at = from + i;
            let around = &readme[at.saturating_sub(300)..(at + 300).min(readme.len())];
            assert!(
                around.contains("scripts/doc_timings.sh"),
                "README: the claim near {:?} does not name scripts/doc_timings.sh",
                &readme[at.saturating_sub(60)..at + pat.len()]
            );
            claims += 1;
            from = at + pat.len();
        }
    }
    assert!(claims >= 2, "README's recommend and cache timings are expected ({claims} found)");
}
