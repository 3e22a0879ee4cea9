//! `mmesim run`'s progress bar: drawn only when stderr is a terminal (here
//! a pseudo-terminal through `script`, where the system has it), never on
//! a pipe or a file, and never with `-q`/`--quiet`, which also silences the
//! wall-clock line.

mod common;

use common::{mmesim, temp_dir};
use std::process::Command;

const SCENARIO: &str = r#"
name = "progress-cli"
duration_s = 600.0
warmup_s = 60.0
[cluster]
instance_type = "ml.m5.xlarge"
instances = 2
[models]
count = 10
[workload]
arrival = { process = "poisson", rate_per_s = 20.0 }
"#;

fn scenario(test: &str) -> String {
    let d = temp_dir("progress-cli", test);
    let p = d.join("s.toml");
    std::fs::write(&p, SCENARIO).expect("write");
    p.to_str().expect("utf-8 temp path").to_string()
}

/// What a progress bar would leave in the text: terminal escapes, carriage
/// returns, the bar's blocks, its template.
fn assert_no_progress(stderr: &str) {
    assert!(!stderr.contains('\x1b'), "ANSI escape on stderr: {stderr:?}");
    assert!(!stderr.contains('\r'), "carriage return on stderr: {stderr:?}");
    assert!(!stderr.contains(['█', '░', '▏', '▎', '▍', '▌', '▋', '▊', '▉']), "bar on stderr: {stderr:?}");
    assert!(!stderr.contains("simulated s,"), "progress text on stderr: {stderr:?}");
}

#[test]
fn stderr_that_is_not_a_terminal_gets_no_progress_bar_only_the_wall_clock_line() {
    let s = scenario("pipe");
    let out = mmesim(&["run", &s, "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_no_progress(&stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("mmesim: ") && stderr.contains(" s wall ("), "{stderr}");
}

#[test]
fn quiet_leaves_stderr_empty_and_stdout_unchanged() {
    let s = scenario("quiet");
    for flag in ["-q", "--quiet"] {
        let loud = mmesim(&["run", &s]);
        let quiet = mmesim(&["run", &s, flag]);
        assert_eq!(quiet.status.code(), Some(0));
        assert_eq!(String::from_utf8_lossy(&quiet.stderr), "", "{flag}");
        assert_eq!(quiet.stdout, loud.stdout, "{flag} changes only stderr");
        assert!(String::from_utf8_lossy(&quiet.stdout).starts_with("scenario \"progress-cli\""));
        let json = mmesim(&["run", &s, "--json", flag]);
        assert_eq!(String::from_utf8_lossy(&json.stderr), "", "{flag} --json");
    }
}

/// Runs `mmesim args` under `script`, which gives it a pseudo-terminal;
/// what the terminal showed, or `None` where `script` is not available.
fn on_a_terminal(args: &str) -> Option<String> {
    let probe = Command::new("script").arg("--version").output().ok()?;
    if !probe.status.success() {
        return None;
    }
    let cmd = format!("stty cols 120 2>/dev/null; {} {args} > /dev/null", env!("CARGO_BIN_EXE_mmesim"));
    let out = Command::new("script").args(["-qfec", &cmd, "/dev/null"]).output().ok()?;
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn a_terminal_gets_a_progress_bar_of_simulated_seconds_unless_quiet() {
    let s = scenario("tty");
    let Some(screen) = on_a_terminal(&format!("run {s} --json")) else {
        eprintln!("no `script` here: pseudo-terminal test skipped");
        return;
    };
    assert!(screen.contains("/600 simulated s, "), "{screen:?}");
    assert!(screen.contains('\x1b'), "drawn with terminal escapes: {screen:?}");
    // Cleared at the end, then the wall-clock line.
    let last = screen.rsplit('\r').find(|l| !l.trim().is_empty()).unwrap_or("");
    assert!(screen.contains("mmesim: ") && screen.contains(" s wall ("), "{screen:?}");
    assert!(!last.contains("simulated s,"), "the bar is cleared: {last:?}");
    let Some(quiet) = on_a_terminal(&format!("run {s} --json -q")) else { return };
    assert_eq!(quiet, "", "-q on a terminal");
}
