//! The `--plot` charts through the real binary: `mmesim run` marks the
//! scenario's warm-up and labels its faults; `mmesim cache` joins the
//! miss-ratio curve in size order whatever the order of `--size`.

mod common;

use common::{mmesim, temp_dir};

const OUTAGE: &str = r#"
name = "plot-outage"
duration_s = 600.0
warmup_s = 120.0
[cluster]
instance_type = "ml.m5.xlarge"
instances = 3
zones = 3
[models]
count = 20
[workload]
arrival = { process = "poisson", rate_per_s = 20.0 }
[[faults]]
kind = "zone-outage"
zone = 1
at_s = 300.0
duration_s = 120.0
"#;

/// The content of every `<text>` element of `svg`.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text ")
        .skip(1)
        .filter_map(|t| t.split_once('>'))
        .map(|(_, body)| body.split("</text>").next().unwrap_or_default().trim().to_string())
        .collect()
}

#[test]
fn run_plot_marks_the_warm_up_and_labels_the_fault() {
    let d = temp_dir("charts-cli", "run");
    let scen = d.join("outage.toml");
    std::fs::write(&scen, OUTAGE).unwrap();
    let svg = d.join("t.svg");
    let out = mmesim(&["run", scen.to_str().unwrap(), "--plot", svg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let t = texts(&std::fs::read_to_string(&svg).unwrap());
    for label in ["plot-outage (seed 42)", "warm-up", "zone zone-b out", "time, minutes"] {
        assert!(t.iter().any(|x| x == label), "{label} not in {t:?}");
    }
    assert!(t.iter().any(|x| x.starts_with("p99 latency, ms (log scale")), "{t:?}");
}

#[test]
fn cache_plot_joins_sizes_in_order() {
    let d = temp_dir("charts-cli", "cache");
    let trace = d.join("t.og");
    let (tr, a, b) = (trace.to_str().unwrap(), d.join("a.svg"), d.join("b.svg"));
    let out = mmesim(&["synth-trace", "--out", tr, "--objects", "500", "--requests", "20000", "--alpha", "0.9"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    for (sizes, svg) in [("10%,1%,50%,5%", &a), ("1%,5%,10%,50%", &b)] {
        let args = ["cache", "--trace", tr, "--format", "oracle-general", "--policy", "lru,belady", "--size", sizes];
        let out = mmesim(&[&args[..], &["--plot", svg.to_str().unwrap()]].concat());
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    }
    // The same picture whatever the order of the sizes.
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
}
