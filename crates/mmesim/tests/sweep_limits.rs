//! Hostile sizes for sweeps, `merge` and cache replay: products that wrap,
//! rows claiming huge sweeps, thread counts past the limit, byte sums past
//! 2^64. Each is a clear error naming the file (or option), checked before
//! any run, or a result computed without wrapping; lists and runs stream.

mod common;
use common::temp_dir;

use mmesim::eviction::EvictionPolicy;
use mmesim::replay::{replay_grid, scan_trace, CacheSize, MAX_CACHE_BYTES};
use mmesim::sweep::{
    check_threads, merge, parse_jsonl, to_csv, with_threads, Row, Shard, Sweep, MAX_POINTS, MAX_THREADS, RUN_CHUNK,
};
use mmesim::workload::cachetrace::CacheTraceFormat;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A small base with `models` listed models (so that `models.list.K.…`
/// paths exist for many axes).
fn base(models: usize) -> String {
    let mut s = String::from(
        "name = \"limits\"\nduration_s = 2.0\nwarmup_s = 0.0\n[cluster]\ninstance_type = \"ml.m5.large\"\n\
         instances = 1\n[workload]\narrival = { process = \"poisson\", rate_per_s = 1.0 }\n",
    );
    for k in 0..models {
        s.push_str(&format!("[[models.list]]\nname = \"m{k}\"\nmemory_mib = 100.0\n"));
    }
    s
}

fn policy(name: &str) -> EvictionPolicy {
    EvictionPolicy::from_name(name).unwrap()
}

fn write_sweep(dir: &Path, base_text: &str, axes: &str) -> PathBuf {
    std::fs::write(dir.join("base.toml"), base_text).unwrap();
    let p = dir.join("sweep.toml");
    std::fs::write(&p, format!("base = \"base.toml\"\n[axes]\n{axes}")).unwrap();
    p
}

#[test]
fn a_points_product_past_u64_is_an_error_naming_the_sweep_file() {
    // 64 axes of two values: 2^64 points, which wrapped to 0 (a sweep that
    // ran nothing and said nothing).
    let dir = temp_dir("sweep-limits", "wrap");
    let axes: String = (0..64).map(|k| format!("\"models.list.{k}.memory_mib\" = [100.0, 200.0]\n")).collect();
    let e = Sweep::from_file(write_sweep(&dir, &base(64), &axes)).unwrap_err().to_string();
    assert!(e.starts_with(&format!("{}: `axes`: ", dir.join("sweep.toml").display())), "{e}");
    assert!(e.contains("more than 18446744073709551615 points"), "{e}");
    assert!(e.contains(&format!("at most {MAX_POINTS} are supported")), "{e}");

    // 24 axes: 16,777,216 points, past the limit but not the u64.
    let axes: String = (0..24).map(|k| format!("\"models.list.{k}.memory_mib\" = [100.0, 200.0]\n")).collect();
    let e = Sweep::from_file(write_sweep(&dir, &base(24), &axes)).unwrap_err().to_string();
    assert!(e.contains("`axes`: 16777216 points; at most 10000000 are supported"), "{e}");
}

#[test]
fn merge_refuses_a_row_claiming_a_huge_sweep_naming_file_and_line() {
    // Used to build 9.2e18 "missing" points before failing.
    let text = "{\"point\":0,\"points\":9223372036854775807}\n";
    let e = parse_jsonl(text, "huge.jsonl").unwrap_err().to_string();
    assert_eq!(e, "huge.jsonl: line 1: `points` is 9223372036854775807; a sweep has at most 10000000 points");

    let e = parse_jsonl("{\"point\":0,\"points\":2}\n{\"point\":2,\"points\":2}\n", "x.jsonl").unwrap_err().to_string();
    assert_eq!(e, "x.jsonl: line 2: `point` 2 is not a point of a sweep of 2 (they are numbered from 0)");

    // The same checks guard `merge` for rows that did not come through
    // `parse_jsonl`.
    let row = |point: i64, points: i64| Row {
        cells: vec![
            ("point".into(), mmesim::sweep::Cell::Int(point)),
            ("points".into(), mmesim::sweep::Cell::Int(points)),
        ],
    };
    let e = merge(vec![("a.jsonl".into(), vec![row(0, i64::MAX)])]).unwrap_err().to_string();
    assert!(e.starts_with("a.jsonl: `points` is 9223372036854775807"), "{e}");
}

#[test]
fn merge_counts_the_missing_points_of_the_largest_sweep_without_listing_them() {
    let row = |point: i64, points: i64| format!("{{\"point\":{point},\"points\":{points}}}\n");
    // A sweep of MAX_POINTS with one row: 9,999,999 missing, from point 1.
    let rows = parse_jsonl(&row(0, MAX_POINTS as i64), "one.jsonl").unwrap();
    let e = merge(vec![("one.jsonl".into(), rows)]).unwrap_err().to_string();
    assert!(e.contains("9999999 of the sweep's 10000000 points are missing (first: point 1)"), "{e}");
    // Gaps inside and at the end.
    let text: String = [0, 1, 3, 5].iter().map(|&p| row(p, 7)).collect();
    let e = merge(vec![("g.jsonl".into(), parse_jsonl(&text, "g.jsonl").unwrap())]).unwrap_err().to_string();
    assert!(e.contains("3 of the sweep's 7 points are missing (first: point 2)"), "{e}");
    let text: String = [1, 2].iter().map(|&p| row(p, 3)).collect();
    let e = merge(vec![("h.jsonl".into(), parse_jsonl(&text, "h.jsonl").unwrap())]).unwrap_err().to_string();
    assert!(e.contains("1 of the sweep's 3 points are missing (first: point 0)"), "{e}");
}

#[test]
fn thread_counts_past_the_limit_are_refused_before_anything_starts() {
    assert_eq!(MAX_THREADS, 1024);
    assert!(check_threads(None).is_ok());
    assert!(check_threads(Some(1)).is_ok());
    assert!(check_threads(Some(MAX_THREADS)).is_ok());
    let e = check_threads(Some(100_000)).unwrap_err().to_string();
    assert_eq!(e, "command line: --threads: 100000 threads; at most 1024 are supported");
    let e = check_threads(Some(0)).unwrap_err().to_string();
    assert_eq!(e, "command line: --threads: must be at least 1");

    let ran = AtomicU64::new(0);
    let e = with_threads(Some(100_000), || ran.fetch_add(1, Ordering::Relaxed)).unwrap_err().to_string();
    assert!(e.contains("at most 1024"), "{e}");
    assert_eq!(ran.load(Ordering::Relaxed), 0, "nothing ran");

    let dir = temp_dir("sweep-limits", "threads");
    let sweep = Sweep::from_file(write_sweep(&dir, &base(1), "seed = [1, 2]\n")).unwrap();
    let e = sweep.run(Shard::ALL, Some(5000), &|| panic!("a point ran")).unwrap_err().to_string();
    assert!(e.contains("--threads: 5000 threads; at most 1024"), "{e}");

    let trace = dir.join("t.csv");
    std::fs::write(&trace, "timestamp_s,object,size_bytes\n0,1,10\n").unwrap();
    let e = replay_grid(&trace, CacheTraceFormat::Csv, &[EvictionPolicy::Lru], &[CacheSize::Bytes(10)], Some(2000))
        .unwrap_err()
        .to_string();
    assert!(e.contains("--threads: 2000 threads; at most 1024"), "{e}");
}

/// Counts the writes it is given, and the largest.
struct Chunks<'a> {
    out: &'a mut Vec<u8>,
    writes: usize,
    largest: usize,
}

impl std::io::Write for Chunks<'_> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.writes += 1;
        self.largest = self.largest.max(b.len());
        self.out.extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_list_streams_the_bytes_of_the_point_rows() {
    // 2 × 8 × 1024 = 16,384 points, about 400 KB of CSV: written in
    // pieces of the CSV writer's buffer, not built whole first.
    let dir = temp_dir("sweep-limits", "list");
    let seeds: Vec<String> = (0..1024).map(|s| s.to_string()).collect();
    let axes = format!(
        "\"cluster.zones\" = [1, 2]\n\"cluster.instances\" = [1, 2, 3, 4, 5, 6, 7, 8]\nseed = [{}]\n",
        seeds.join(", ")
    );
    let sweep = Sweep::from_file(write_sweep(&dir, &base(1), &axes)).unwrap();
    for shard in [Shard::ALL, Shard::parse("3/7").unwrap(), Shard::parse("5/20000").unwrap()] {
        let mut bytes = Vec::new();
        let mut w = Chunks { out: &mut bytes, writes: 0, largest: 0 };
        sweep.write_list(shard, &mut w).unwrap();
        let (writes, largest) = (w.writes, w.largest);
        let whole = to_csv(&sweep.point_rows(shard));
        assert_eq!(String::from_utf8(bytes).unwrap(), whole, "{shard:?}");
        assert_eq!(sweep.shard_len(shard), sweep.shard_points(shard).len() as u64, "{shard:?}");
        if shard == Shard::ALL {
            assert!(whole.len() > 300_000, "{}", whole.len());
            assert!(largest <= 64 * 1024 && writes >= whole.len() / (64 * 1024), "{writes} writes, largest {largest}");
        }
    }
    assert_eq!(sweep.shard_len(Shard::parse("5/20000").unwrap()), 1);
    assert_eq!(sweep.shard_len(Shard { index: 20000, count: 20000 }), 0);
}

#[test]
fn a_run_hands_its_rows_over_in_order_a_chunk_at_a_time() {
    // RUN_CHUNK + 5 points: the first chunk's rows are handed over before
    // the points of the second run, so memory holds one chunk of rows.
    let dir = temp_dir("sweep-limits", "run");
    let n = RUN_CHUNK + 5;
    let seeds: Vec<String> = (0..n).map(|s| s.to_string()).collect();
    let sweep = Sweep::from_file(write_sweep(&dir, &base(1), &format!("seed = [{}]\n", seeds.join(", ")))).unwrap();
    let done = AtomicU64::new(0);
    let mut seen = Vec::new();
    let mut done_at_first = None;
    sweep
        .run_each(
            Shard::ALL,
            Some(2),
            &|| {
                done.fetch_add(1, Ordering::Relaxed);
            },
            &mut |row| {
                done_at_first.get_or_insert(done.load(Ordering::Relaxed));
                seen.push(row.point());
                Ok(())
            },
        )
        .unwrap();
    assert_eq!(seen, (0..n as u64).collect::<Vec<_>>());
    assert_eq!(done_at_first, Some(RUN_CHUNK as u64), "the first row came after its chunk, before the rest");
    // And `run` is the same rows.
    let rows = sweep.run(Shard::parse("2/1000").unwrap(), Some(1), &|| ()).unwrap();
    assert_eq!(rows.iter().map(Row::point).collect::<Vec<_>>(), (1..n as u64).step_by(1000).collect::<Vec<_>>());
}

#[test]
fn a_working_set_past_u64_is_summed_exactly_and_a_share_too_large_names_the_trace() {
    let dir = temp_dir("sweep-limits", "cache");
    let trace = dir.join("big.csv");
    // Two objects of 2^63 bytes: a working set of 2^64, which wrapped to 0
    // and made `100%` a 1-byte cache.
    std::fs::write(
        &trace,
        "timestamp_s,object,size_bytes\n0,1,9223372036854775808\n1,2,9223372036854775808\n2,1,9223372036854775808\n",
    )
    .unwrap();
    let s = scan_trace(&trace, CacheTraceFormat::Csv).unwrap();
    assert_eq!(s.working_set_bytes, 1u128 << 64);
    let e = replay_grid(&trace, CacheTraceFormat::Csv, &[EvictionPolicy::Lru], &[CacheSize::Percent(100.0)], None)
        .unwrap_err()
        .to_string();
    assert!(e.starts_with(&format!("{}: --size 100%: ", trace.display())), "{e}");
    assert!(e.contains("working set of 18446744073709551616 bytes"), "{e}");
    assert!(e.contains(&format!("largest cache, {MAX_CACHE_BYTES} bytes")), "{e}");

    // 20 % of it (3.7e18 bytes) fits: no object does, every request misses.
    let r = replay_grid(&trace, CacheTraceFormat::Csv, &[policy("arc")], &[CacheSize::Percent(20.0)], None).unwrap();
    assert_eq!(r[0].cache_bytes, 3689348814741910528);
    assert_eq!((r[0].misses, r[0].miss_ratio, r[0].byte_miss_ratio), (3, 1.0, 1.0));

    // Byte sums past 2^64 in the byte miss ratio: one miss and four hits of
    // 2^62 − 1 bytes is 0.2, not a ratio of wrapped sums.
    let trace = dir.join("hits.csv");
    let size = MAX_CACHE_BYTES - 1;
    let lines: String = (0..5).map(|t| format!("{t},7,{size}\n")).collect();
    std::fs::write(&trace, format!("timestamp_s,object,size_bytes\n{lines}")).unwrap();
    for p in [policy("lru"), policy("arc"), policy("s3fifo")] {
        let r = replay_grid(
            &trace,
            CacheTraceFormat::Csv,
            std::slice::from_ref(&p),
            &[CacheSize::Bytes(MAX_CACHE_BYTES)],
            None,
        )
        .unwrap();
        assert_eq!((r[0].misses, r[0].byte_miss_ratio), (1, 0.2), "{}", p.name());
    }
    // An explicit size past the limit.
    let e = "5000000000000000000".parse::<CacheSize>().unwrap_err();
    assert!(e.contains("too large: a cache has at most 4611686018427387904 bytes"), "{e}");
}
