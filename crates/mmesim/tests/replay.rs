//! Cache-only replay: LRU against Che's approximation, a regression table
//! of miss counts per policy, and results independent of the thread count.

mod common;

use mmesim::eviction::EvictionPolicy;
use mmesim::replay::{replay_grid, synthetic_requests, CacheSize};
use mmesim::workload::cachetrace::{write_oracle_general, CacheRequest, CacheTraceFormat};
use mmesim::workload::Popularity;
use std::path::PathBuf;

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mmesim-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn write(path: &PathBuf, reqs: Vec<CacheRequest>) {
    let f = std::fs::File::create(path).unwrap();
    write_oracle_general(std::io::BufWriter::new(f), reqs).unwrap();
}

#[test]
fn lru_replay_matches_che_within_half_a_percent() {
    for (n, c, alpha) in [(1000u32, 100u64, 0.8), (10_000, 500, 1.0), (5000, 1000, 0.6)] {
        let path = temp(&format!("che-{n}-{alpha}.og"));
        write(&path, synthetic_requests(n, 3_000_000, alpha, 1, 11, false).unwrap());
        let r =
            replay_grid(&path, CacheTraceFormat::OracleGeneral, &[EvictionPolicy::Lru], &[CacheSize::Bytes(c)], None)
                .unwrap();
        // The first appearance of every object is a compulsory miss Che does
        // not count; over 3 M requests it is at most n / 3e6.
        let hit = 1.0 - r[0].miss_ratio;
        let expect = common::che_hit_ratio(&Popularity::Zipf { alpha }.probabilities(n as usize), c as f64);
        eprintln!("N={n} C={c} α={alpha}: LRU {hit:.4}, Che {expect:.4}");
        assert!((hit - expect).abs() < 0.005, "N={n} C={c} α={alpha}: LRU hit {hit} vs Che {expect}");
        std::fs::remove_file(&path).ok();
    }
}

/// A fixed trace of variable-size objects (1–100 KiB, fixed per object;
/// Zipf 0.8 over 2,000 objects; 100,000 requests).
fn regression_trace() -> Vec<CacheRequest> {
    let mut reqs = synthetic_requests(2000, 100_000, 0.8, 1, 5, false).unwrap();
    for r in &mut reqs {
        let h = r.object.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
        r.size = 1024 * (1 + h % 100);
    }
    reqs
}

/// Miss counts of every policy at 1 %, 5 % and 20 % of the working set on
/// the fixed trace: any change of behaviour shows here. Refresh with
/// `UPDATE_GOLDEN=1 cargo test -p mmesim --test replay` after checking the
/// change is intended.
#[test]
fn regression_table_of_miss_counts() {
    let path = temp("regression.og");
    write(&path, regression_trace());
    let mut policies = EvictionPolicy::all();
    policies.push(EvictionPolicy::Belady { size_aware: true });
    let sizes = [CacheSize::Percent(1.0), CacheSize::Percent(5.0), CacheSize::Percent(20.0)];
    let rows = replay_grid(&path, CacheTraceFormat::OracleGeneral, &policies, &sizes, None).unwrap();
    let mut table = String::from("# policy  misses@1%  misses@5%  misses@20%  (100000 requests)\n");
    for (k, p) in policies.iter().enumerate() {
        let name = match p {
            EvictionPolicy::Belady { size_aware: true } => "belady-size".to_string(),
            p => p.name().to_string(),
        };
        let m: Vec<String> = rows[k * 3..k * 3 + 3].iter().map(|r| r.misses.to_string()).collect();
        table.push_str(&format!("{name:<12} {}\n", m.join(" ")));
    }
    let golden = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/eviction_misses.txt"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &table).unwrap();
    }
    let expected = std::fs::read_to_string(&golden).unwrap_or_default();
    assert_eq!(table, expected, "miss counts changed; if intended, refresh with UPDATE_GOLDEN=1");
    // Sanity on the table itself: more room, fewer misses; Belady best.
    let misses = |name: &str, col: usize| -> u64 {
        let line = table.lines().find(|l| l.split_whitespace().next() == Some(name)).unwrap();
        line.split_whitespace().nth(col + 1).unwrap().parse().unwrap()
    };
    for p in EvictionPolicy::NAMES.iter().filter(|n| **n != "ttl") {
        assert!(misses(p, 0) >= misses(p, 1) && misses(p, 1) >= misses(p, 2), "{p}: not monotone");
    }
    std::fs::remove_file(&path).ok();
}

#[test]
fn results_do_not_depend_on_threads() {
    let path = temp("threads.og");
    write(&path, regression_trace());
    let policies = EvictionPolicy::all();
    let sizes = [CacheSize::Percent(2.0), CacheSize::Bytes(3 << 20)];
    let one = replay_grid(&path, CacheTraceFormat::OracleGeneral, &policies, &sizes, Some(1)).unwrap();
    let two = replay_grid(&path, CacheTraceFormat::OracleGeneral, &policies, &sizes, Some(2)).unwrap();
    assert_eq!(one, two);
    assert_eq!(one.len(), policies.len() * 2);
    std::fs::remove_file(&path).ok();
}

/// Belady on a CSV trace (no next-access field) computes the future in a
/// pre-pass and agrees with the oracle-general replay of the same trace.
#[test]
fn belady_on_csv_uses_a_pre_pass() {
    let reqs = synthetic_requests(300, 20_000, 0.9, 1, 3, false).unwrap();
    let og = temp("b.og");
    let csv = temp("b.csv");
    let mut text = String::from("timestamp_s,object,size_bytes\n");
    for r in &reqs {
        text.push_str(&format!("{},{},{}\n", r.time.as_secs_f64(), r.object, r.size));
    }
    std::fs::write(&csv, text).unwrap();
    write(&og, reqs);
    let p = [EvictionPolicy::Belady { size_aware: false }, EvictionPolicy::Lru];
    let s = [CacheSize::Bytes(30)];
    let a = replay_grid(&og, CacheTraceFormat::OracleGeneral, &p, &s, None).unwrap();
    let b = replay_grid(&csv, CacheTraceFormat::Csv, &p, &s, None).unwrap();
    assert_eq!(a, b);
    assert!(a[0].misses < a[1].misses, "Belady {} vs LRU {}", a[0].misses, a[1].misses);
}
