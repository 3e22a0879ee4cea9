//! The Azure Functions 2019 reader against the fixture in
//! `tests/fixtures/azure` (see its `generate.py` for what it holds).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mmesim_core::{Arrival, RequestSource};
use mmesim_engine::{RngStreams, SimTime};
use mmesim_workload::azure::{AzureFiles, AzureOptions, AzureTrace, Spread};
use mmesim_workload::cachetrace::TraceError;

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/azure")
}

fn open_in(dir: &Path, opts: &AzureOptions, seed: u64) -> Result<AzureTrace, TraceError> {
    let f = AzureFiles::day(dir, 1);
    AzureTrace::open(&f.invocations, &f.durations, &f.memory, opts, seed)
}

fn open(opts: &AzureOptions, seed: u64) -> AzureTrace {
    open_in(&fixture_dir(), opts, seed).unwrap()
}

fn drain(trace: &AzureTrace, seed: u64) -> Vec<Arrival> {
    let mut src = trace.source(&RngStreams::new(seed));
    std::iter::from_fn(|| src.next_arrival()).collect()
}

/// The invocations file, parsed independently of the reader: for each
/// row's 1-based line, (owner, app, function, trigger, counts per minute).
fn file_rows() -> BTreeMap<u64, (String, String, String, String, Vec<u32>)> {
    let text = std::fs::read_to_string(fixture_dir().join("invocations_per_function_md.anon.d01.csv")).unwrap();
    let mut rows = BTreeMap::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 4 + 1440);
        let counts = f[4..].iter().map(|c| c.parse().unwrap()).collect();
        rows.insert(i as u64 + 1, (f[0].into(), f[1].into(), f[2].into(), f[3].into(), counts));
    }
    rows
}

/// The lines of the eligible functions, in file order: fA1, fB1, fA2, fC1, fB3.
const ELIGIBLE_LINES: [u64; 5] = [2, 3, 4, 6, 8];

#[test]
fn functions_memory_durations_and_drops() {
    let t = open(&AzureOptions::default(), 1);
    let s = t.summary();
    assert_eq!((s.invocation_rows, s.functions_read, s.duplicate_function_rows), (8, 8, 0));
    // fB2 has no durations row; app D (fD1, fD2) has no memory row.
    assert_eq!((s.dropped_no_duration, s.dropped_no_memory, s.eligible, s.sampled), (1, 2, 5, 5));
    assert_eq!((s.duplicate_duration_rows, s.duplicate_memory_rows), (0, 0));
    let fs = t.functions();
    assert_eq!(fs.iter().map(|f| f.line).collect::<Vec<_>>(), ELIGIBLE_LINES);
    assert_eq!(
        fs.iter().map(|f| f.trigger.as_str()).collect::<Vec<_>>(),
        ["http", "queue", "timer", "orchestration", "storage"]
    );
    // App A's 300 MB over its 2 functions; app B's 240 MB over its 3
    // functions in the invocations file (fB2, dropped, counts); app C alone.
    assert_eq!(fs.iter().map(|f| f.memory_mib).collect::<Vec<_>>(), [150.0, 80.0, 150.0, 128.5, 80.0]);
    assert_eq!(fs[0].duration_ms, [5.0, 8.0, 20.0, 35.0, 60.0, 400.0, 2000.0]);
    assert_eq!(fs[0].average_ms, 50.5);
    assert_eq!(fs[4].duration_ms, [0.0, 0.1, 0.3, 0.5, 0.9, 4.0, 9.0]);
    // Invocations per function, by hand: fA1 = 3 × 206 (every 7th minute
    // of 1440) + 250; fB1 = 10 × 40 + 17; fA2 = 1440 / 5; fC1 = 1440;
    // fB3 = 1 + 2 + 5 + 1.
    assert_eq!(fs.iter().map(|f| f.invocations).collect::<Vec<_>>(), [868, 417, 288, 1440, 9]);
    assert_eq!(s.invocations, 868 + 417 + 288 + 1440 + 9);
    // Names: the first 8 characters of HashApp and HashFunction, from the file.
    let rows = file_rows();
    for f in fs {
        let (o, a, func, trig, _) = &rows[&f.line];
        assert_eq!((&f.owner, &f.app, &f.function, &f.trigger), (o, a, func, trig));
        assert_eq!(f.name, format!("{}/{}", &a[..8], &func[..8]));
    }
    assert_eq!(t.duration(), mmesim_engine::SimDuration::from_secs(86_400));
}

/// Buckets arrivals by (model, minute) with minute boundaries
/// round(m × 60 s × scale), checking order and that every arrival carries
/// a non-negative service time.
fn bucket(arrivals: &[Arrival], scale: f64, minutes: u32) -> BTreeMap<(u32, u32), u32> {
    let bound = |m: u32| (f64::from(m) * 60e9 * scale).round() as u64;
    let mut out = BTreeMap::new();
    let mut prev = SimTime::ZERO;
    let mut m = 0;
    for a in arrivals {
        assert!(a.time >= prev, "time goes backwards: {} after {}", a.time, prev);
        prev = a.time;
        while a.time.as_nanos() >= bound(m + 1) {
            m += 1;
        }
        assert!(m < minutes, "arrival at {} past the window", a.time);
        assert!(a.time.as_nanos() >= bound(m));
        assert!(a.service.is_some());
        *out.entry((a.model.0, m)).or_insert(0) += 1;
    }
    out
}

/// The expected (model, minute) → count of the eligible functions in a
/// window, from the file.
fn expected_counts(start: u32, minutes: u32) -> BTreeMap<(u32, u32), u32> {
    let rows = file_rows();
    let mut out = BTreeMap::new();
    for (model, line) in ELIGIBLE_LINES.iter().enumerate() {
        let counts = &rows[line].4;
        for m in 0..minutes {
            let c = counts[(start + m) as usize];
            if c > 0 {
                out.insert((model as u32, m), c);
            }
        }
    }
    out
}

#[test]
fn per_minute_counts_reproduced_exactly() {
    for spread in [Spread::Uniform, Spread::Poisson] {
        for scale in [1.0, 0.1, 0.37] {
            let opts = AzureOptions { spread, time_scale: scale, ..Default::default() };
            let t = open(&opts, 7);
            let arrivals = drain(&t, 7);
            assert_eq!(arrivals.len() as u64, t.summary().invocations);
            assert_eq!(bucket(&arrivals, scale, 1440), expected_counts(0, 1440), "{spread:?} × {scale}");
            assert!(arrivals.last().unwrap().time.as_nanos() < t.duration().as_nanos());
            // What the trace says it replays is the same.
            let mut from_trace = BTreeMap::new();
            for m in 0..1440 {
                for &(f, c) in t.minute_counts(m) {
                    from_trace.insert((f, m), c);
                }
            }
            assert_eq!(from_trace, expected_counts(0, 1440));
        }
    }
}

#[test]
fn a_window_of_the_day() {
    // Minutes 595..605: fA1's burst of 250 at minute 600 (window minute 5)
    // and its every-7th-minute calls at 595 and 602; fA2 at 595 and 600;
    // fC1 every minute.
    let opts = AzureOptions { start_minute: 595, minutes: Some(10), spread: Spread::Uniform, ..Default::default() };
    let t = open(&opts, 3);
    let fs = t.functions();
    assert_eq!(fs.iter().map(|f| f.invocations).collect::<Vec<_>>(), [256, 0, 2, 10, 0]);
    assert_eq!(t.duration().as_secs_f64(), 600.0);
    let arrivals = drain(&t, 3);
    assert_eq!(bucket(&arrivals, 1.0, 10), expected_counts(595, 10));
    assert_eq!(arrivals.len(), 268);
}

#[test]
fn uniform_spread_positions_by_hand() {
    let opts = AzureOptions { spread: Spread::Uniform, ..Default::default() };
    let arrivals = drain(&open(&opts, 1), 1);
    // fC1 (model 3): one call per minute, at its middle.
    let c1: Vec<u64> = arrivals.iter().filter(|a| a.model.0 == 3).map(|a| a.time.as_nanos()).collect();
    assert_eq!(c1.len(), 1440);
    assert!(c1.iter().enumerate().all(|(m, &t)| t == m as u64 * 60_000_000_000 + 30_000_000_000));
    // fA1 (model 0) at minute 600: 250 calls at (i + 0.5)/250 × 60 s = 0.12 s
    // + i × 0.24 s after 36,000 s.
    let burst: Vec<u64> = arrivals
        .iter()
        .filter(|a| a.model.0 == 0 && a.time >= SimTime::from_secs(36_000) && a.time < SimTime::from_secs(36_060))
        .map(|a| a.time.as_nanos())
        .collect();
    assert_eq!(burst.len(), 250);
    assert!(burst.iter().enumerate().all(|(i, &t)| t == 36_000_000_000_000 + 120_000_000 + i as u64 * 240_000_000));
    // Equal times are ordered by model: at minute 0, fA1 (3 calls at 10, 30,
    // 50 s), fA2 (1 at 30 s), fC1 (30 s), fB3 (30 s).
    let first: Vec<(u64, u32)> =
        arrivals.iter().take(6).map(|a| (a.time.as_nanos() / 1_000_000_000, a.model.0)).collect();
    assert_eq!(first, [(10, 0), (30, 0), (30, 2), (30, 3), (30, 4), (50, 0)]);
}

#[test]
fn poisson_spread_is_uniform_within_minutes_and_seeded() {
    let t = open(&AzureOptions::default(), 5);
    let a = drain(&t, 5);
    assert_eq!(a, drain(&t, 5), "same seed, same arrivals");
    let b = drain(&t, 6);
    assert_eq!(a.len(), b.len());
    assert_ne!(a, b, "another seed, other times");
    // Position within the minute: mean 1/2 and a quarter of the arrivals
    // in each quarter-minute (3022 arrivals: the sd of a quarter's share is
    // about 0.008, of the mean 0.005).
    let pos: Vec<f64> = a.iter().map(|x| (x.time.as_nanos() % 60_000_000_000) as f64 / 60e9).collect();
    let mean = pos.iter().sum::<f64>() / pos.len() as f64;
    assert!((mean - 0.5).abs() < 0.025, "{mean}");
    for q in 0..4 {
        let share = pos.iter().filter(|&&p| (p * 4.0) as usize == q).count() as f64 / pos.len() as f64;
        assert!((share - 0.25).abs() < 0.04, "quarter {q}: {share}");
    }
    // Not the uniform spread's fixed positions: fC1's calls are not all at 30 s.
    assert!(a.iter().filter(|x| x.model.0 == 3).any(|x| x.time.as_nanos() % 60_000_000_000 != 30_000_000_000));
}

#[test]
fn sampling_is_seeded_uniform_and_keeps_file_order() {
    let lines = |seed: u64, n: u32| -> Vec<u64> {
        let t = open(&AzureOptions { sample_functions: Some(n), ..Default::default() }, seed);
        assert_eq!(t.summary().sampled, t.functions().len() as u64);
        assert_eq!(t.summary().eligible, 5);
        t.functions().iter().map(|f| f.line).collect()
    };
    let a = lines(11, 3);
    assert_eq!(a.len(), 3);
    for seed in 0..40 {
        let l = lines(seed, 3);
        assert!(l.windows(2).all(|w| w[0] < w[1]), "seed {seed}: not in file order: {l:?}");
    }
    assert!(a.iter().all(|l| ELIGIBLE_LINES.contains(l)));
    assert_eq!(a, lines(11, 3));
    assert!((12..30).any(|s| lines(s, 3) != a), "every seed picks the same functions");
    assert_eq!(lines(11, 10), ELIGIBLE_LINES, "more than eligible: all of them");
    // One of five: each picked ~1/5 of the time over 1000 seeds (sd ~12.6).
    let mut picks = BTreeMap::new();
    for seed in 0..1000 {
        *picks.entry(lines(seed, 1)[0]).or_insert(0) += 1;
    }
    assert_eq!(picks.len(), 5);
    assert!(picks.values().all(|&n| (n - 200_i32).abs() < 60), "{picks:?}");
    // Memory does not depend on sampling; a sampled function's requests
    // are the same as in the full trace (its own random streams).
    let full = open(&AzureOptions::default(), 11);
    let part = open(&AzureOptions { sample_functions: Some(3), ..Default::default() }, 11);
    let full_arrivals = drain(&full, 11);
    let part_arrivals = drain(&part, 11);
    for (k, f) in part.functions().iter().enumerate() {
        let i = full.functions().iter().position(|g| g.line == f.line).unwrap();
        assert_eq!(f.memory_mib, full.functions()[i].memory_mib);
        let of = |arr: &[Arrival], m: usize| -> Vec<_> {
            arr.iter().filter(|a| a.model.index() == m).map(|a| (a.time, a.service)).collect()
        };
        assert_eq!(of(&part_arrivals, k), of(&full_arrivals, i));
    }
}

/// The p-quantile of sorted values (nearest rank).
fn quantile(sorted: &[f64], p: f64) -> f64 {
    sorted[((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1]
}

#[test]
fn service_times_follow_the_duration_percentiles() {
    // fC1 (model 3): p25 6, p50 10, p75 15, p99 60, p100 80 ms; 1440 calls
    // per run, 100 seeds: 144,000 draws.
    let t = open(&AzureOptions::default(), 0);
    let mut ms = Vec::new();
    for seed in 0..100 {
        let mut src = t.source(&RngStreams::new(seed));
        while let Some(a) = src.next_arrival() {
            if a.model.0 == 3 {
                ms.push(a.service.unwrap().as_millis_f64());
            }
        }
    }
    assert_eq!(ms.len(), 144_000);
    ms.sort_by(f64::total_cmp);
    // The sd of the empirical median's probability is 0.0013 (×16 ms per
    // unit of probability between p25 and p50), of the p99's 0.00026 (×2000
    // ms per unit just above it): 2 % and 3 % are over 10 sd.
    let (median, p99) = (quantile(&ms, 0.5), quantile(&ms, 0.99));
    assert!((median - 10.0).abs() < 0.2, "median {median}");
    assert!((p99 - 60.0).abs() < 1.8, "p99 {p99}");
    assert!((quantile(&ms, 0.25) - 6.0).abs() < 0.15, "p25");
    assert!(ms[0] >= 2.0 && *ms.last().unwrap() <= 80.0);
    // The mean is the integral of the inverse CDF.
    let mean = ms.iter().sum::<f64>() / ms.len() as f64;
    let expect = t.functions()[3].duration_mean_ms();
    assert!((mean - expect).abs() < 0.01 * expect, "{mean} vs {expect}");
}

/// A copy of the fixture in a fresh temporary directory, with `edit`
/// applied to the contents of the named file.
struct TempCopy(PathBuf);

impl TempCopy {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("mmesim-azure-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for f in [
            "invocations_per_function_md.anon.d01.csv",
            "function_durations_percentiles.anon.d01.csv",
            "app_memory_percentiles.anon.d01.csv",
        ] {
            std::fs::copy(fixture_dir().join(f), dir.join(f)).unwrap();
        }
        TempCopy(dir)
    }

    fn edit(&self, file: &str, edit: impl FnOnce(String) -> String) -> PathBuf {
        let path = self.0.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, edit(text)).unwrap();
        path
    }
}

impl Drop for TempCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const INV: &str = "invocations_per_function_md.anon.d01.csv";
const DUR: &str = "function_durations_percentiles.anon.d01.csv";
const MEM: &str = "app_memory_percentiles.anon.d01.csv";

/// Replaces field `col` (0-based) of line `line` (1-based).
fn set_field(text: String, line: usize, col: usize, value: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut f: Vec<&str> = lines[line - 1].split(',').collect();
    f[col] = value;
    lines[line - 1] = f.join(",");
    lines.join("\n") + "\n"
}

fn error_in(tmp: &TempCopy) -> String {
    open_in(&tmp.0, &AzureOptions::default(), 1).unwrap_err().to_string()
}

#[test]
fn errors_name_the_file_line_and_column() {
    let tmp = TempCopy::new("badcount");
    let path = tmp.edit(INV, |t| set_field(t, 3, 16, "x"));
    let e = open_in(&tmp.0, &AzureOptions::default(), 1).unwrap_err();
    assert_eq!(e.line(), Some(3));
    assert_eq!(e.path(), Some(path.as_path()));
    assert_eq!(
        e.to_string(),
        format!("{}: line 3: column 17 (minute 13): expected a non-negative integer count, got \"x\"", path.display())
    );
    tmp.edit(INV, |t| set_field(t, 3, 16, "-2"));
    assert!(
        error_in(&tmp).ends_with("line 3: column 17 (minute 13): expected a non-negative integer count, got \"-2\"")
    );
    tmp.edit(INV, |t| set_field(t, 3, 16, "1.5"));
    assert!(error_in(&tmp).contains("got \"1.5\""));
    drop(tmp);

    // A short row.
    let tmp = TempCopy::new("short");
    let path = tmp.edit(INV, |t| {
        let mut lines: Vec<String> = t.lines().map(str::to_owned).collect();
        let f: Vec<&str> = lines[3].split(',').take(1000).collect();
        lines[3] = f.join(",");
        lines.join("\n") + "\n"
    });
    assert_eq!(
        error_in(&tmp),
        format!(
            "{}: line 4: 1000 fields, expected 1444 (`HashOwner,HashApp,HashFunction,Trigger,1,2,…,1440`)",
            path.display()
        )
    );
    drop(tmp);

    // A bad duration and a bad memory value, naming their column.
    let tmp = TempCopy::new("baddur");
    let path = tmp.edit(DUR, |t| set_field(t, 3, 10, "-1"));
    assert_eq!(
        error_in(&tmp),
        format!(
            "{}: line 3: column 11 (`percentile_Average_50`): expected a non-negative number of milliseconds, got \"-1\"",
            path.display()
        )
    );
    drop(tmp);
    let tmp = TempCopy::new("badmem");
    let path = tmp.edit(MEM, |t| set_field(t, 2, 3, "lots"));
    assert_eq!(
        error_in(&tmp),
        format!(
            "{}: line 2: column 4 (`AverageAllocatedMb`): expected a non-negative number of megabytes, got \"lots\"",
            path.display()
        )
    );
    drop(tmp);
}

#[test]
fn wrong_files_and_headers() {
    let dir = fixture_dir();
    let (inv, dur, mem) = (dir.join(INV), dir.join(DUR), dir.join(MEM));
    let opts = AzureOptions::default();
    // Files swapped: the first column that differs is named.
    let e = AzureTrace::open(&dur, &dur, &mem, &opts, 1).unwrap_err().to_string();
    assert_eq!(e, format!("{}: line 1: column 4: expected column `Trigger`, found \"Average\"", dur.display()));
    let e = AzureTrace::open(&inv, &mem, &mem, &opts, 1).unwrap_err().to_string();
    assert_eq!(
        e,
        format!("{}: line 1: column 3: expected column `HashFunction`, found \"SampleCount\"", mem.display())
    );
    let e = AzureTrace::open(&inv, &dur, &dur, &opts, 1).unwrap_err().to_string();
    assert!(e.ends_with("line 1: column 3: expected column `SampleCount`, found \"HashFunction\""), "{e}");
    // A missing file.
    let missing = dir.join("nope.csv");
    let e = AzureTrace::open(&inv, &missing, &mem, &opts, 1).unwrap_err();
    assert!(matches!(e.kind(), mmesim_workload::ErrorKind::Open { .. }));
    assert!(e.to_string().starts_with(&format!("cannot open trace {}: ", missing.display())), "{e}");
    // A header with a minute column missing, an empty file.
    let tmp = TempCopy::new("header");
    let path = tmp.edit(INV, |t| t.replacen(",13,", ",,", 1));
    assert_eq!(error_in(&tmp), format!("{}: line 1: column 17: expected column `13`, found \"\"", path.display()));
    tmp.edit(INV, |_| String::new());
    assert!(error_in(&tmp)
        .ends_with("line 1: empty file: expected the header `HashOwner,HashApp,HashFunction,Trigger,1,2,…,1440`"));
    drop(tmp);
    // Invalid options.
    let bad = AzureOptions { time_scale: -1.0, ..Default::default() };
    let e = AzureTrace::open(&inv, &dur, &mem, &bad, 1).unwrap_err().to_string();
    assert_eq!(e, "invalid trace option `time_scale`: must be a positive number, got -1");
}

#[test]
fn crlf_blank_lines_and_repeated_rows() {
    let base = open(&AzureOptions::default(), 2);
    let tmp = TempCopy::new("crlf");
    for f in [INV, DUR, MEM] {
        tmp.edit(f, |t| t.replace('\n', "\r\n") + "\r\n");
    }
    let t = open_in(&tmp.0, &AzureOptions::default(), 2).unwrap();
    assert_eq!(t.functions(), base.functions());
    assert_eq!(drain(&t, 2), drain(&base, 2));
    drop(tmp);

    // fB3's row (line 8) twice, and a second memory row for app B and
    // durations row for fA1 (ignored: the first wins).
    let tmp = TempCopy::new("dup");
    tmp.edit(INV, |t| {
        let row = t.lines().nth(7).unwrap().to_owned();
        t + &row + "\n"
    });
    tmp.edit(MEM, |t| {
        let row = set_field(t.clone(), 2, 3, "999");
        t + row.lines().nth(1).unwrap() + "\n"
    });
    tmp.edit(DUR, |t| {
        let row = set_field(t.clone(), 2, 10, "1");
        t + row.lines().nth(1).unwrap() + "\n"
    });
    let t = open_in(&tmp.0, &AzureOptions::default(), 2).unwrap();
    let s = t.summary();
    assert_eq!((s.invocation_rows, s.functions_read, s.duplicate_function_rows), (9, 8, 1));
    assert_eq!((s.duplicate_duration_rows, s.duplicate_memory_rows), (1, 1));
    let fs = t.functions();
    assert_eq!(fs[4].invocations, 18);
    assert_eq!(fs[4].memory_mib, 80.0, "app B still has 3 functions and 240 MB");
    assert_eq!(fs[0].duration_ms[3], 35.0);
    let arrivals = drain(&t, 2);
    let mut expect = expected_counts(0, 1440);
    for m in [0, 3, 777, 1439] {
        *expect.get_mut(&(4, m)).unwrap() *= 2;
    }
    assert_eq!(bucket(&arrivals, 1.0, 1440), expect);
}

/// Quoted fields are read as CSV: `"http"` is `http`, and a quoted field
/// may hold a comma (here a trigger), a quote or a line break, the row
/// keeping the line it starts on.
#[test]
fn quoted_fields() {
    let base = open(&AzureOptions::default(), 3);
    let tmp = TempCopy::new("quoted");
    // Every field of the durations and memory files quoted.
    for f in [DUR, MEM] {
        tmp.edit(f, |t| {
            let quote = |l: &str| l.split(',').map(|x| format!("\"{x}\"")).collect::<Vec<_>>().join(",");
            t.lines().map(quote).collect::<Vec<_>>().join("\n") + "\n"
        });
    }
    let t = open_in(&tmp.0, &AzureOptions::default(), 3).unwrap();
    assert_eq!(t.functions(), base.functions());
    assert_eq!(drain(&t, 3), drain(&base, 3));
    // A trigger with a comma and a quote, and one with a line break (line 3
    // then spans lines 3 and 4, so the next row is at line 5).
    tmp.edit(INV, |t| set_field(t, 2, 3, "\"http,\"\"x\"\"\""));
    tmp.edit(INV, |t| set_field(t, 3, 3, "\"queue\nbatch\""));
    let t = open_in(&tmp.0, &AzureOptions::default(), 3).unwrap();
    assert_eq!(t.functions()[0].trigger, "http,\"x\"");
    assert_eq!(t.functions()[1].trigger, "queue\nbatch");
    assert_eq!(t.functions().iter().map(|f| f.line).collect::<Vec<_>>(), [2, 3, 5, 7, 9]);
    assert_eq!(drain(&t, 3), drain(&base, 3));
    // A bad count after a multi-line row names the line the row starts on.
    tmp.edit(INV, |t| set_field(t, 7, 10, "x"));
    let e = open_in(&tmp.0, &AzureOptions::default(), 3).unwrap_err();
    assert_eq!(e.line(), Some(7), "{e}");
    assert!(
        e.to_string().ends_with("line 7: column 11 (minute 7): expected a non-negative integer count, got \"x\""),
        "{e}"
    );
}

/// The bundled sample in `examples/traces/azure` reads cleanly and has
/// the advertised shape.
#[test]
fn bundled_sample() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/traces/azure");
    let t = open_in(&dir, &AzureOptions::default(), 42).unwrap();
    let s = t.summary().clone();
    assert!((40..=80).contains(&s.functions_read), "{s:?}");
    assert!(s.dropped_no_duration > 0 && s.dropped_no_memory > 0, "{s:?}");
    let inv: Vec<u64> = t.functions().iter().map(|f| f.invocations).collect();
    assert!(inv.iter().any(|&n| n >= 5_000), "a few popular functions: {inv:?}");
    assert!(inv.iter().filter(|&&n| n < 100).count() >= 10, "many rare functions: {inv:?}");
    assert!(t.functions().iter().all(|f| (10.0..=300.0).contains(&f.memory_mib)));
    let arrivals = drain(&t, 42);
    assert_eq!(arrivals.len() as u64, s.invocations);
    assert!(arrivals.windows(2).all(|w| w[0].time <= w[1].time));
    for f in ["invocations_per_function_md.anon.d01.csv", DUR, MEM] {
        assert!(std::fs::metadata(dir.join(f)).unwrap().len() < 1 << 20, "{f} over 1 MiB");
    }
}

/// `cargo test --release -p mmesim-workload --test azure azure_throughput -- --ignored --nocapture`
#[test]
#[ignore = "benchmark: writes ~90 MB to the temp dir"]
fn azure_throughput() {
    use std::fmt::Write as _;
    use std::io::Write as _;
    use std::time::Instant;
    // The real day 1 has ~46,000 functions; here 30,000 in 10,000 apps, most
    // rarely called, one in 50 called every minute, one in 500 heavily.
    const N: usize = 30_000;
    let tmp = TempCopy::new("bench");
    let mut x: u64 = 1;
    let mut rand = move || {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        x >> 33
    };
    let hex = |tag: &str, i: usize| format!("{:0>64}", format!("{tag}{i:x}"));
    let (mut inv, mut dur, mut mem) = (String::new(), String::new(), String::new());
    inv.push_str("HashOwner,HashApp,HashFunction,Trigger");
    for m in 1..=1440 {
        write!(inv, ",{m}").unwrap();
    }
    inv.push('\n');
    dur.push_str(std::fs::read_to_string(tmp.0.join(DUR)).unwrap().lines().next().unwrap());
    dur.push('\n');
    mem.push_str(std::fs::read_to_string(tmp.0.join(MEM)).unwrap().lines().next().unwrap());
    mem.push('\n');
    for i in 0..N {
        let (o, a, f) = (hex("a0", i / 30), hex("b0", i / 3), hex("c0", i));
        write!(inv, "{o},{a},{f},http").unwrap();
        for _ in 0..1440 {
            let c = match i % 500 {
                0 => 200 + rand() % 100,
                k if k % 50 == 1 => 1,
                _ => u64::from(rand() % 200 == 0),
            };
            write!(inv, ",{c}").unwrap();
        }
        inv.push('\n');
        writeln!(dur, "{o},{a},{f},50,1,1,100,1,2,10,20,40,90,100").unwrap();
        if i % 3 == 0 {
            writeln!(mem, "{o},{a},1000,150,1,1,1,1,1,1,1,1").unwrap();
        }
    }
    for (name, text) in [(INV, inv), (DUR, dur), (MEM, mem)] {
        std::fs::File::create(tmp.0.join(name)).unwrap().write_all(text.as_bytes()).unwrap();
    }
    let size = std::fs::metadata(tmp.0.join(INV)).unwrap().len();
    let t0 = Instant::now();
    let trace = open_in(&tmp.0, &AzureOptions::default(), 1).unwrap();
    let open_s = t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let mut src = trace.source(&RngStreams::new(1));
    let mut n = 0u64;
    let mut last = SimTime::ZERO;
    while let Some(a) = src.next_arrival() {
        assert!(a.time >= last);
        last = a.time;
        n += 1;
    }
    let replay_s = t0.elapsed().as_secs_f64();
    assert_eq!(n, trace.summary().invocations);
    println!(
        "azure: opened {N} functions ({:.0} MB) in {open_s:.2} s; replayed {n} arrivals in {replay_s:.2} s = {:.1} M/s",
        size as f64 / 1e6,
        n as f64 / replay_s / 1e6
    );
}
