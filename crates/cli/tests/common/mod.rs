//! Helpers shared by the command-line tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// A fresh, empty directory for one test: `group` is the test file, `test`
/// the test, so parallel tests never share one.
pub fn temp_dir(group: &str, test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mmesim-{group}-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// Runs the real `mmesim` binary.
pub fn mmesim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mmesim")).args(args).env_remove("RUST_BACKTRACE").output().expect("run mmesim")
}

/// Runs `mmesim args` and checks the bad-input contract: exit code 1,
/// nothing on stdout, one line on stderr starting `error: `, no panic or
/// backtrace hint, and every one of `needles` in that line. Returns it.
pub fn expect_one_line_error(args: &[&str], needles: &[&str]) -> String {
    let out = mmesim(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "exit code for {args:?}; stderr: {stderr}");
    assert!(stdout.is_empty(), "stdout must be empty for {args:?}, got: {stdout}");
    assert!(!stderr.contains("panicked"), "panic for {args:?}: {stderr}");
    assert!(!stderr.contains("RUST_BACKTRACE"), "backtrace hint for {args:?}: {stderr}");
    let line = stderr.strip_suffix('\n').unwrap_or(&stderr).to_string();
    assert!(!line.contains('\n'), "stderr must be one line for {args:?}, got: {stderr}");
    assert!(line.starts_with("error: "), "stderr must start with `error: ` for {args:?}, got: {stderr}");
    for n in needles {
        assert!(line.contains(n), "stderr must mention `{n}` for {args:?}, got: {stderr}");
    }
    line
}
