//! `merge`: any bytes as the JSON Lines shards of `mmesim merge`, the
//! shards separated by NUL bytes (each parsed with `parse_jsonl` and its
//! own origin, then `merge`d, as the CLI does). A merge that succeeds must
//! write rows that read back to the same bytes (JSON Lines round trip,
//! what makes a sharded sweep byte-identical to a whole one).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mmesim::sweep::{merge, parse_jsonl, to_csv, to_jsonl};

fuzz_target!(|data: &[u8]| {
    let mut parts = Vec::new();
    for (i, shard) in data.split(|&b| b == 0).enumerate() {
        // The CLI refuses a shard that is not text (a NUL byte, bad
        // UTF-8) before parsing (`parse_jsonl_bytes`): only text gets here.
        let Ok(text) = std::str::from_utf8(shard) else { return };
        let origin = format!("shard-{}.jsonl", i + 1);
        let rows = parse_jsonl(text, &origin);
        mmesim_fuzz::debug("parse_jsonl", &rows);
        let Ok(rows) = rows else { return };
        parts.push((origin, rows));
    }
    let rows = merge(parts);
    mmesim_fuzz::debug("merge", &rows);
    let Ok(rows) = rows else { return };
    let jsonl = to_jsonl(&rows);
    let _ = to_csv(&rows);
    let back = parse_jsonl(&jsonl, "merged.jsonl").unwrap_or_else(|e| panic!("merged rows do not read back: {e}"));
    assert_eq!(to_jsonl(&back), jsonl, "JSON Lines round trip changed the rows");
});
