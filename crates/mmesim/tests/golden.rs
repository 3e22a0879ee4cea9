//! Golden outputs: the quickstart scenario's summary and JSON report, as
//! quoted in README.md and docs/guide.md, must be exactly what the code
//! produces. Any change of behaviour shows here first; after checking that
//! the change is intended, refresh the quotes with
//!
//! ```sh
//! UPDATE_GOLDEN=1 cargo test -p mmesim --test golden
//! ```
//!
//! and re-read the prose around them.

use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// Replaces (or, when not updating, compares) the fenced block of `lang`
/// that starts with `first_line` in `file`.
fn check_block(file: &str, lang: &str, first_line: &str, actual: &str) {
    let path = root().join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let open = format!("```{lang}\n{first_line}");
    let start = text.find(&open).unwrap_or_else(|| panic!("{file}: no ```{lang} block starting with {first_line:?}"))
        + lang.len()
        + 4;
    let len = text[start..].find("```").unwrap_or_else(|| panic!("{file}: unterminated block"));
    let quoted = &text[start..start + len];
    let actual = format!("{}\n", actual.trim_end());
    if quoted == actual {
        return;
    }
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let updated = format!("{}{}{}", &text[..start], actual, &text[start + len..]);
        std::fs::write(&path, updated).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        eprintln!("updated {file}");
        return;
    }
    panic!(
        "{file}: the quoted output is stale.\n--- quoted\n{quoted}--- actual\n{actual}---\n\
         If the change is intended: UPDATE_GOLDEN=1 cargo test -p mmesim --test golden"
    );
}

/// Checks (or, with UPDATE_GOLDEN, rewrites) the figure quoted in prose
/// between `before` and `after` in `file` (line breaks in the prose count
/// as spaces).
fn check_prose(file: &str, before: &str, after: &str, actual: &str) {
    let path = root().join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let flat = text.replace('\n', " ");
    let start = flat.find(before).unwrap_or_else(|| panic!("{file}: no {before:?} in the prose")) + before.len();
    let len = flat[start..].find(after).unwrap_or_else(|| panic!("{file}: no {after:?} after {before:?}"));
    let quoted = &text[start..start + len];
    if quoted == actual {
        return;
    }
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let updated = format!("{}{}{}", &text[..start], actual, &text[start + len..]);
        std::fs::write(&path, updated).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        eprintln!("updated {file}");
        return;
    }
    panic!("{file}: the prose says {quoted:?} after {before:?}, the code gives {actual:?}");
}

#[test]
fn quickstart_outputs_quoted_in_the_docs_are_current() {
    let s = mmesim::Scenario::from_file(root().join("examples/scenarios/quickstart.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let out =
        s.run_with(mmesim::RunOptions { record_metrics: true, ..Default::default() }).unwrap_or_else(|e| panic!("{e}"));
    let all_rows = mmesim::metrics_csv(&out);
    let csv: String = all_rows.lines().take(20).map(|l| format!("{l}\n")).collect();
    // §5.4 counts the quickstart's rows in prose: "… gives 3,689 rows and the header".
    let rows = all_rows.lines().count() - 1;
    check_prose(
        "docs/guide.md",
        "minutes including the drain) gives ",
        " rows and",
        &mmesim::fmt::thousands(rows as f64),
    );
    check_block("docs/guide.md", "text", "minute,time_s,metric,dimension,value,sample_count", &csv);
    let report = out.report;
    let summary = mmesim::summary_table(&report);
    let json = mmesim::to_json(&report);
    check_block("README.md", "text", "scenario \"quickstart\"", &summary);
    check_block("docs/guide.md", "text", "scenario \"quickstart\"", &summary);
    check_block("docs/guide.md", "json", "{\n  \"name\": \"quickstart\"", &json);
}
