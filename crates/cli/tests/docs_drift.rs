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

/// Runs `mmesim args` from the repository's root, as the docs' commands are.
fn mmesim_at_root(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_mmesim"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .expect("run mmesim")
}

/// The command of a ```sh block, its line continuations joined, split into
/// words (the docs' recommend commands quote nothing).
fn words(block: &str) -> Vec<String> {
    block.replace("\\\n", " ").split_whitespace().map(str::to_string).collect()
}

/// Every `mmesim recommend` block of the guide that is followed by its
/// output (a ```text block starting `targets`) prints exactly that output
/// (`--plot` left out: the charts are not compared here).
#[test]
fn the_guides_recommend_tables_are_their_commands_output() {
    let guide = root_file("docs/guide.md");
    let mut checked = 0;
    let mut rest = guide.as_str();
    while let Some(i) = rest.find("```sh\nmmesim recommend ") {
        let block = &rest[i + "```sh\n".len()..];
        let end = block.find("```").expect("closed sh block");
        let (cmd, after) = (&block[..end], &block[end + 3..]);
        rest = after;
        let Some(out) = after.strip_prefix("\n\n```text\ntargets") else { continue };
        let quoted = format!("targets{}", &out[..out.find("```").expect("closed text block")]);
        let mut args: Vec<String> = Vec::new();
        let mut it = words(cmd).into_iter().skip(1);
        while let Some(w) = it.next() {
            if w == "--plot" {
                it.next();
            } else {
                args.push(w);
            }
        }
        if !args.iter().any(|a| a == "-q") {
            args.push("-q".into());
        }
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = mmesim_at_root(&argv);
        assert!(run.status.success(), "{argv:?}: {}", String::from_utf8_lossy(&run.stderr));
        assert_eq!(
            String::from_utf8_lossy(&run.stdout).trim_end(),
            quoted.trim_end(),
            "docs/guide.md: the output quoted after `mmesim {}` is stale",
            argv.join(" ")
        );
        checked += 1;
    }
    assert!(checked >= 4, "the guide's recommend walk-through quotes at least 4 answers ({checked} found)");
}

/// The README's sizing paragraph names the answer and the runners-up of
/// its command: each "N × TYPE at $COST" must be a ranked row, in rank order.
#[test]
fn the_readmes_recommendation_is_its_commands_answer() {
    let readme = root_file("README.md");
    let start = readme.find("```sh\nmmesim recommend ").expect("README's sizing command") + "```sh\n".len();
    let cmd = &readme[start..start + readme[start..].find("```").expect("closed block")];
    let mut args: Vec<String> = words(cmd).into_iter().skip(1).collect();
    if let Some(p) = args.iter().position(|a| a == "--plot") {
        args.drain(p..p + 2);
    }
    args.extend(["--json".to_string(), "-q".to_string()]);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = mmesim_at_root(&argv);
    assert!(run.status.success(), "{argv:?}: {}", String::from_utf8_lossy(&run.stderr));
    let rec: serde_json::Value = serde_json::from_slice(&run.stdout).expect("JSON");
    let prose = readme[start..].split("\n\n").nth(1).expect("the paragraph after the command").replace('\n', " ");
    let mut at = 0;
    let mut named = 0;
    for row in rec["ranked"].as_array().expect("ranked") {
        let cost = row["cost_per_hour"].as_f64().expect("cost");
        let claim = format!(
            "{} × {} at ${:.3}",
            row["instances"].as_u64().expect("instances"),
            row["instance_type"].as_str().expect("type"),
            cost
        );
        match prose[at..].find(&claim) {
            Some(i) => {
                at += i + claim.len();
                named += 1;
            }
            None => break,
        }
    }
    let claims = prose.matches(" at $").count();
    assert!(
        claims >= 3 && named == claims,
        "README's sizing paragraph names {claims} configurations; only the first {named} are the command's \
         ranked answers in order: {}",
        rec["ranked"]
    );
}
