//! Helpers shared by the fuzz targets (`fuzz_targets/*.rs`).
//!
//! The readers of traces and exports take paths, as the CLI gives them:
//! the targets write the fuzzer's bytes to scratch files (one set per
//! process, removed after each execution) and call the library exactly as
//! `mmesim` does.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Where the scratch files go: a RAM file system (`/dev/shm`, a hundred
/// times faster than a disk for files rewritten at every execution)
/// unless TMPDIR says otherwise.
fn scratch_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let shm = Path::new("/dev/shm");
        if std::env::var_os("TMPDIR").is_none() && shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        }
    })
}

/// A scratch file holding one execution's input, removed when dropped
/// (at the end of the execution; a crash leaves it behind).
pub struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Writes `bytes` to the scratch file `name` (of this process) and
/// returns it.
pub fn write_scratch(name: &str, bytes: &[u8]) -> Scratch {
    let path = scratch_dir().join(format!("mmesim-fuzz-{}-{name}", std::process::id()));
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    Scratch(path)
}

/// The directory the `sweep` target reads sweeps from: it holds
/// `base.toml`, a tiny valid scenario that sweeps name as their `base`.
pub fn sweep_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sweep_base")
}

/// A small scenario replaying a request trace: `trace` is the inline
/// table of `[workload] trace` (its format and files). One instance of a
/// small custom type, so that loads, unloads and timeouts happen; arrivals
/// stop at 60 s.
pub fn trace_scenario(trace: &str) -> String {
    format!(
        r#"name = "fuzz-trace"
seed = 7
duration_s = 60.0
[[instance_types]]
name = "tiny"
vcpus = 2
memory_gib = 2.0
price_per_hour = 0.1
[cluster]
instance_type = "tiny"
instances = 1
queue_limit = 20
request_timeout_s = 5.0
[models]
memory_mib = {{ dist = "uniform", min = 10.0, max = 400.0 }}
service_ms = {{ dist = "exponential", mean = 20.0 }}
load_overhead_ms = 50.0
[workload]
trace = {trace}
"#
    )
}

/// Checks a finished run's request accounting: every arrived request
/// ended exactly once, and the per-reason counts add up. Panics naming the
/// figures otherwise.
pub fn check_accounting(report: &mmesim::core::Report, context: &str) {
    let q = &report.requests;
    assert_eq!(
        q.arrived,
        q.completed + q.failed + q.rejected,
        "accounting: arrived {} != completed {} + failed {} + rejected {}\n{context}",
        q.arrived,
        q.completed,
        q.failed,
        q.rejected
    );
    let failed: u64 = q.failed_by_reason.values().sum();
    let rejected: u64 = q.rejected_by_reason.values().sum();
    assert_eq!(q.failed, failed, "accounting: failed {} != Σ failed_by_reason {failed}\n{context}", q.failed);
    assert_eq!(
        q.rejected, rejected,
        "accounting: rejected {} != Σ rejected_by_reason {rejected}\n{context}",
        q.rejected
    );
    assert!(
        q.measured <= q.arrived && q.measured_failed + q.measured_rejected <= q.measured,
        "accounting: measured {} (failed {}, rejected {}) of {} arrived\n{context}",
        q.measured,
        q.measured_failed,
        q.measured_rejected,
        q.arrived
    );
}

/// Replays the cache trace at `path` as
/// `mmesim cache --format F --policy all --size 1000,50% --threads 1`
/// does; when it reads, checks that every replay counted the same
/// requests and at most that many misses.
pub fn replay_all(path: &Path, format: mmesim::workload::cachetrace::CacheTraceFormat) {
    use mmesim::replay::{parse_policies, parse_sizes, replay_grid};
    let policies = parse_policies("all").expect("`all` names the policies");
    let sizes = parse_sizes("1000,50%").expect("valid sizes");
    let results = replay_grid(path, format, &policies, &sizes, Some(1));
    debug("replay_grid", &results);
    let Ok(results) = results else { return };
    assert_eq!(results.len(), policies.len() * sizes.len(), "one result per policy and size");
    let requests = results[0].requests;
    for r in &results {
        assert_eq!(r.requests, requests, "{} at {}: requests differ between replays", r.policy, r.size);
        assert!(r.misses <= r.requests, "{} at {}: {} misses of {} requests", r.policy, r.size, r.misses, r.requests);
    }
}

/// Whether `MMESIM_FUZZ_DEBUG` is set: the targets then print what the
/// readers said about each input (run a target's binary on files to see
/// which seeds parse, or what a slow input does).
pub fn debug_on() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("MMESIM_FUZZ_DEBUG").is_some())
}

/// With [`debug_on`], prints what a reader said about the input.
pub fn debug<T, E: std::fmt::Display>(what: &str, r: &Result<T, E>) {
    if debug_on() {
        match r {
            Ok(_) => eprintln!("{what}: ok"),
            Err(e) => eprintln!("{what}: error: {e}"),
        }
    }
}
