//! Issue 13's command-line findings: a closed pipe is not a crash, and
//! every output path is checked before any work starts.

mod common;
use common::expect_one_line_error;
use std::process::{Command, Stdio};

/// `mmesim run x.toml --json | true`: the reader is gone before the report
/// is written. The command exits 0, quietly: no panic, no backtrace.
#[test]
fn a_closed_pipe_on_stdout_is_not_a_crash() {
    for args in [
        &["run", "../../examples/scenarios/quickstart.toml", "--json"][..],
        &["run", "../../examples/scenarios/quickstart.toml"][..],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mmesim"))
            .args(args)
            .env_remove("RUST_BACKTRACE")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn mmesim");
        // Close the read end at once: every write to stdout fails with EPIPE.
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait for mmesim");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(stderr.starts_with("mmesim: ") && stderr.contains(" requests/s)"), "{args:?}: {stderr}");
    }
}

/// A closed pipe does not stop the files: `--metrics` is still written.
#[test]
fn a_closed_pipe_still_writes_the_files() {
    let dir = common::temp_dir("hardening", "closed_pipe_files");
    let metrics = dir.join("m.csv");
    let mut child = Command::new(env!("CARGO_BIN_EXE_mmesim"))
        .args(["run", "../../examples/scenarios/quickstart.toml", "--metrics"])
        .arg(&metrics)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn mmesim");
    drop(child.stdout.take());
    assert_eq!(child.wait().expect("wait").code(), Some(0));
    let text = std::fs::read_to_string(&metrics).expect("metrics written");
    assert!(text.starts_with("minute,"), "{}", &text[..text.len().min(80)]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every output path is checked before the run: the scenario given does not
/// even exist, and the error is still about the output (it would have been
/// "cannot read" had the run started).
#[test]
fn output_paths_are_checked_before_any_work() {
    let dir = common::temp_dir("hardening", "output_paths");
    let missing = dir.join("missing.toml");
    let m = missing.to_str().expect("utf-8");
    let nodir = dir.join("no-such-dir").join("out.csv");
    let nd = nodir.to_str().expect("utf-8");
    let d = dir.to_str().expect("utf-8");
    for (args, flag) in [
        (vec!["run", m, "--metrics", nd], "--metrics"),
        (vec!["run", m, "--plot", d], "--plot"),
        (vec!["sweep", m, "--csv", nd], "--csv"),
        (vec!["sweep", m, "--jsonl", d], "--jsonl"),
        (vec!["merge", m, "--csv", nd], "--csv"),
        (vec!["recommend", m, "--p99-ms", "100", "--plot", nd], "--plot"),
        (vec!["calibrate", m, "--metrics", m, "--out", nd], "--out"),
        (vec!["cache", "--trace", m, "--format", "csv", "--policy", "lru", "--size", "10%", "--plot", nd], "--plot"),
    ] {
        let line = expect_one_line_error(&args, &[flag]);
        assert!(!line.contains("cannot read"), "{args:?}: checked after reading the input: {line}");
        assert!(line.contains("no directory") || line.contains("is a directory"), "{args:?}: {line}");
    }
    // A path that exists and is writable is left as it was.
    let existing = dir.join("keep.csv");
    std::fs::write(&existing, "kept").expect("write");
    let line = expect_one_line_error(&["run", m, "--metrics", existing.to_str().expect("utf-8")], &["cannot read"]);
    assert!(line.contains("missing.toml"), "{line}");
    assert_eq!(std::fs::read_to_string(&existing).expect("read"), "kept");
    // A path that does not exist is not left behind by the check.
    let fresh = dir.join("fresh.csv");
    expect_one_line_error(&["run", m, "--metrics", fresh.to_str().expect("utf-8")], &["cannot read"]);
    assert!(!fresh.exists(), "the check created {}", fresh.display());
    let _ = std::fs::remove_dir_all(&dir);
}

/// An error found when the run is built (here: a trace whose models, known
/// only once it is read, are too many for the fleet) names the scenario's
/// file, not its `name` (it said `error: my-name: …`).
#[test]
fn errors_found_at_run_time_name_the_file_not_the_scenario_name() {
    let dir = common::temp_dir("hardening", "run_time_origin");
    let mut trace = String::from("timestamp_s,model,service_ms\n");
    for i in 0..3000 {
        trace.push_str(&format!("{}.0,m{i},\n", i));
    }
    std::fs::write(dir.join("requests.csv"), trace).expect("write trace");
    let path = dir.join("scenario.toml");
    std::fs::write(
        &path,
        "name = \"my-name\"\nduration_s = 10.0\n[cluster]\ninstances = 100000\n\
         [workload]\ntrace = { format = \"csv\", path = \"requests.csv\" }\n",
    )
    .expect("write scenario");
    let p = path.to_str().expect("utf-8");
    let line = expect_one_line_error(&["run", p], &[p, "cluster.instances"]);
    assert!(!line.contains("my-name"), "{line}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `synth-trace`'s bad numbers are the command line's (they were prefixed
/// with the output file, as if it were bad), and `--size inf` is too large,
/// not "at least 1 byte".
#[test]
fn command_line_numbers_are_blamed_on_their_flag() {
    let dir = common::temp_dir("hardening", "flags");
    let out = dir.join("t.og");
    let o = out.to_str().expect("utf-8");
    let line = expect_one_line_error(&["synth-trace", "--out", o, "--objects", "0"], &["command line", "--objects"]);
    assert!(!line.contains("t.og"), "{line}");
    expect_one_line_error(&["synth-trace", "--out", o, "--requests", "1000000000000"], &["--requests", "100000000"]);
    assert!(!out.exists(), "no file for a refused trace");
    let trace = dir.join("t.csv");
    std::fs::write(&trace, "timestamp_s,object,size_bytes\n0,1,10\n").expect("write trace");
    let t = trace.to_str().expect("utf-8");
    let line = expect_one_line_error(
        &["cache", "--trace", t, "--format", "csv", "--policy", "lru", "--size", "inf"],
        &["--size", "too large"],
    );
    assert!(!line.contains("at least 1 byte"), "{line}");
    let _ = std::fs::remove_dir_all(&dir);
}
