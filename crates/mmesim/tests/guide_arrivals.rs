//! The arrival counts guide §3.7 quotes for its `diurnal` and `table`
//! examples are what a run of them gives (seed 42): the thinning of a
//! table per segment changed the table's draws, and its quoted count with
//! them.

use mmesim::Scenario;

const GUIDE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/guide.md");

fn arrived(duration_s: u32, arrival: &str) -> u64 {
    let toml = format!("duration_s = {duration_s}\n[workload]\narrival = {arrival}\n");
    let s = Scenario::from_toml_str(&toml, "guide §3.7").unwrap_or_else(|e| panic!("{e}"));
    s.run().unwrap_or_else(|e| panic!("{e}")).report.requests.arrived
}

#[test]
fn guide_arrival_examples_give_the_counts_quoted() {
    let guide = std::fs::read_to_string(GUIDE).unwrap_or_else(|e| panic!("{GUIDE}: {e}"));
    let flat = guide.split_whitespace().collect::<Vec<_>>().join(" ");
    let diurnal =
        arrived(7200, r#"{ process = "diurnal", mean_rate_per_s = 20, peak_to_trough = 3, period_s = 7200 }"#);
    let quote = format!("and {} in all with seed 42", mmesim::fmt::thousands(diurnal as f64));
    assert!(flat.contains(&quote), "{GUIDE} §3.7 should say {quote:?}");
    let table = arrived(600, r#"{ process = "table", points = [[0, 10], [300, 100], [600, 10]] }"#);
    let quote = format!("over 600 s gives {} (the integral is 33,000)", mmesim::fmt::thousands(table as f64));
    assert!(flat.contains(&quote), "{GUIDE} §3.7 should say {quote:?}");
}
