//! `mmesim validate` through the real binary: the comparison table, exit
//! code 3 when a figure passes its pinned bound, and bad input.

use std::path::PathBuf;
use std::process::Command;

fn mmesim(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mmesim")).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// One instance serving one model at 10 ms, 20 requests/s: a hit ratio
/// of 1 after the first request, an exact per-minute invocation count.
fn scenario(bound: f64) -> String {
    format!(
        r#"
name = "tiny"
duration_s = 300.0
warmup_s = 60.0
[models]
count = 1
memory_mib = {{ dist = "constant", value = 10.0 }}
service_ms = 10.0
[workload]
arrival = {{ process = "poisson", rate_per_s = 20.0 }}
[validation]
source = "made up"
window_s = [60.0, 300.0]
[[validation.figure]]
name = "hit"
metric = "ModelCacheHit"
published = [0.9]
absolute = true
target = 0.05
bound = {bound}
"#
    )
}

fn write(name: &str, text: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mmesim-validate-cli-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let p = d.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn prints_the_table_and_exits_3_past_a_bound() {
    // Simulated hit ratio 1.0 against a published 0.9: error +0.1.
    let ok = write("ok.toml", &scenario(0.2));
    let (code, out, err) = mmesim(&["validate", ok.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("| hit | 0.900 | 1.000 | +0.100 | ±0.05 | ±0.2 | misses target |"), "{out}");
    let tight = write("tight.toml", &scenario(0.05));
    let (code, out, err) = mmesim(&["validate", tight.to_str().unwrap()]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(out.contains("REGRESSION") && err.contains("tiny: hit"), "{out}{err}");
}

#[test]
fn bad_input_names_the_field() {
    let none = write("none.toml", "name = \"x\"\n");
    let (code, _, err) = mmesim(&["validate", none.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("none.toml") && err.contains("validation"), "{err}");
    let bad = write("bad.toml", &scenario(0.2).replace("metric = \"ModelCacheHit\"", "metric = \"CacheHitz\""));
    let (code, _, err) = mmesim(&["validate", bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("validation.figure[0].metric") && err.contains("CacheHitz"), "{err}");
}
