//! Cache-only replay (`mmesim cache`): a trace of sized objects through
//! one eviction policy at one capacity, or a grid of them in parallel. No
//! latency, no cluster: a miss inserts the object if it fits at all.

use crate::error::Error;
use mmesim_core::Bytes;
use mmesim_eviction::{CacheStats, EvictionPolicy, SizedCache};
use mmesim_workload::cachetrace::{open_trace, CacheTraceFormat, DenseIds, TraceError};
use rayon::prelude::*;
use serde::Serialize;
use std::path::Path;
use std::str::FromStr;

/// The largest cache a replay simulates, bytes: 2^62 (4 EiB). Sizes
/// given in bytes, and shares of a trace's working set (the error names
/// the trace), are refused above it: no trace needs more, and it keeps
/// every byte sum of the policies (ARC's four lists together hold up to
/// three times the capacity) within a `u64`.
pub const MAX_CACHE_BYTES: u64 = 1 << 62;

/// A cache size: bytes, or a share of the trace's working set (the bytes
/// of its distinct objects).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CacheSize {
    /// This many bytes.
    Bytes(u64),
    /// This percentage of the working set.
    Percent(f64),
}

impl FromStr for CacheSize {
    type Err = String;
    /// `1048576`, `512MiB`, `4GiB`, `2GB`, `10%`.
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if let Some(p) = t.strip_suffix('%') {
            let v: f64 = p.trim().parse().map_err(|_| format!("`{s}`: not a percentage"))?;
            if !(v.is_finite() && v > 0.0 && v <= 100.0) {
                return Err(format!("`{s}`: a percentage must be in (0, 100]"));
            }
            return Ok(CacheSize::Percent(v));
        }
        let units: [(&str, f64); 8] = [
            ("KiB", 1024.0),
            ("MiB", 1048576.0),
            ("GiB", 1073741824.0),
            ("TiB", 1099511627776.0),
            ("KB", 1e3),
            ("MB", 1e6),
            ("GB", 1e9),
            ("TB", 1e12),
        ];
        let (num, mult) = units
            .iter()
            .find_map(|(u, m)| t.strip_suffix(u).map(|n| (n.trim(), *m)))
            .unwrap_or((t.strip_suffix('B').unwrap_or(t).trim(), 1.0));
        let not_a_size = || {
            format!("`{s}`: not a size (bytes, or a number with KiB/MiB/GiB/TiB/KB/MB/GB/TB, or a percentage like 10%)")
        };
        let v: f64 = num.parse().map_err(|_| not_a_size())?;
        if v.is_nan() {
            return Err(not_a_size());
        }
        let bytes = v * mult;
        if bytes.is_infinite() && bytes > 0.0 || bytes > MAX_CACHE_BYTES as f64 {
            return Err(format!("`{s}`: too large: a cache has at most {MAX_CACHE_BYTES} bytes (4 EiB)"));
        }
        if bytes < 1.0 {
            return Err(format!("`{s}`: a cache size must be at least 1 byte"));
        }
        Ok(CacheSize::Bytes(bytes.round() as u64))
    }
}

/// One point of a replay grid (one element of `mmesim cache --json`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReplayResult {
    /// Policy name.
    pub policy: String,
    /// Cache capacity, bytes.
    pub cache_bytes: u64,
    /// The size as asked for: `"10%"` or the byte count.
    pub size: String,
    /// Requests replayed.
    pub requests: u64,
    /// Requests that missed.
    pub misses: u64,
    /// misses / requests.
    pub miss_ratio: f64,
    /// Bytes missed / bytes requested.
    pub byte_miss_ratio: f64,
}

/// What a pre-pass learns about a trace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TraceSummary {
    /// Requests.
    pub requests: u64,
    /// Distinct objects.
    pub objects: u64,
    /// Bytes of the distinct objects (each at the size of its first
    /// request); a `u128`, so the sum of any trace's sizes fits.
    pub working_set_bytes: u128,
}

fn trace_err(path: &Path, e: TraceError) -> Error {
    let message = e.to_string();
    crate::trace::from_trace_error(e, path.display().to_string(), message)
}

fn too_many(path: &Path) -> Error {
    Error::invalid_in(path.display().to_string(), format!("more than {} distinct objects", u32::MAX))
}

/// Reads the whole trace once: requests, distinct objects, working set.
pub fn scan_trace(path: &Path, format: CacheTraceFormat) -> Result<TraceSummary, Error> {
    let mut ids = DenseIds::new();
    let mut s = TraceSummary::default();
    for r in open_trace(path, format).map_err(|e| trace_err(path, e))? {
        let r = r.map_err(|e| trace_err(path, e))?;
        s.requests += 1;
        let before = ids.len();
        ids.try_id(r.object).ok_or_else(|| too_many(path))?;
        if ids.len() > before {
            s.working_set_bytes += u128::from(r.size);
        }
    }
    s.objects = ids.len() as u64;
    Ok(s)
}

/// Next-use indices for a trace without them (for offline policies on
/// CSV traces): one `u64` per request, the price of knowing the future.
fn future_of(path: &Path, format: CacheTraceFormat) -> Result<Vec<u64>, Error> {
    let mut ids = DenseIds::new();
    let mut last: Vec<u64> = Vec::new();
    let mut next: Vec<u64> = Vec::new();
    for (i, r) in open_trace(path, format).map_err(|e| trace_err(path, e))?.enumerate() {
        let r = r.map_err(|e| trace_err(path, e))?;
        let id = ids.try_id(r.object).ok_or_else(|| too_many(path))? as usize;
        if id >= last.len() {
            last.resize(id + 1, u64::MAX);
        }
        if last[id] != u64::MAX {
            next[last[id] as usize] = i as u64;
        }
        last[id] = i as u64;
        next.push(u64::MAX);
    }
    Ok(next)
}

/// Replays the trace through one policy at one capacity.
pub fn replay_one(
    path: &Path,
    format: CacheTraceFormat,
    policy: &EvictionPolicy,
    capacity: Bytes,
) -> Result<CacheStats, Error> {
    replay_evictor(path, format, policy.is_offline(), policy.build(capacity, 0), capacity)
}

/// Replays the trace through an evictor built elsewhere (a policy written
/// in Python, say) at one capacity; `offline`: it reads the next access
/// time of each request (computed by a pre-pass for a CSV trace).
pub fn replay_evictor(
    path: &Path,
    format: CacheTraceFormat,
    offline: bool,
    evictor: Box<dyn mmesim_core::Evictor>,
    capacity: Bytes,
) -> Result<CacheStats, Error> {
    let future =
        if offline && format != CacheTraceFormat::OracleGeneral { Some(future_of(path, format)?) } else { None };
    let mut ids = DenseIds::new();
    let mut cache = SizedCache::new(capacity, evictor);
    let mut trace = open_trace(path, format).map_err(|e| trace_err(path, e))?;
    // Requests go in batches: read a batch, map its ids in a tight loop,
    // read the cache state of every id in it (independent memory accesses
    // overlap), then replay it in order.
    const BATCH: usize = 32;
    let mut raw = [mmesim_workload::cachetrace::CacheRequest {
        time: mmesim_engine::SimTime::ZERO,
        object: 0,
        size: 0,
        next_access: None,
    }; BATCH];
    let mut dense = [0u32; BATCH];
    let mut i = 0usize;
    loop {
        let mut n = 0;
        while n < BATCH {
            let Some(r) = trace.next() else { break };
            raw[n] = r.map_err(|e| trace_err(path, e))?;
            n += 1;
        }
        if n == 0 {
            break;
        }
        for k in 0..n {
            dense[k] = ids.try_id(raw[k].object).ok_or_else(|| too_many(path))?;
        }
        let warm = dense[..n].iter().fold(0u64, |acc, &id| acc ^ cache.prefetch(id));
        std::hint::black_box(warm);
        for k in 0..n {
            let r = &raw[k];
            let next = match &future {
                Some(f) => Some(f[i + k]).filter(|&x| x != u64::MAX),
                None => r.next_access,
            };
            cache.access(dense[k], r.size, r.time, next);
        }
        i += n;
    }
    Ok(cache.stats())
}

/// Replays every (policy, size) pair, in parallel on `threads` threads
/// (all cores when `None`); results come in policy-major order whatever
/// the thread count. Sizes in percent need a pre-pass over the trace.
/// `threads` is at most [`MAX_THREADS`](crate::sweep::MAX_THREADS), a
/// capacity at most [`MAX_CACHE_BYTES`] (an error names the trace when a
/// share of its working set is larger).
pub fn replay_grid(
    path: &Path,
    format: CacheTraceFormat,
    policies: &[EvictionPolicy],
    sizes: &[CacheSize],
    threads: Option<usize>,
) -> Result<Vec<ReplayResult>, Error> {
    let origin = path.display().to_string();
    for p in policies {
        p.validate()
            .map_err(|e| Error::invalid_in(origin.clone(), format!("policy `{}`: {e}", p.name())).with_source(e))?;
    }
    let caps = capacities(path, format, sizes)?;
    let mut jobs = Vec::new();
    for p in policies {
        for (bytes, label) in &caps {
            jobs.push((p.clone(), *bytes, label.clone()));
        }
    }
    let run = |(p, bytes, label): &(EvictionPolicy, u64, String)| -> Result<ReplayResult, Error> {
        let st = replay_one(path, format, p, Bytes(*bytes))?;
        Ok(ReplayResult {
            policy: p.name().to_string(),
            cache_bytes: *bytes,
            size: label.clone(),
            requests: st.requests,
            misses: st.misses,
            miss_ratio: st.miss_ratio(),
            byte_miss_ratio: st.byte_miss_ratio(),
        })
    };
    crate::sweep::with_threads(threads, || jobs.par_iter().map(run).collect())?
}

/// The capacity in bytes of each size, with its label as results show it
/// (`"10%"`, or the byte count); sizes in percent of the trace's working
/// set need a pre-pass over the trace.
pub fn capacities(path: &Path, format: CacheTraceFormat, sizes: &[CacheSize]) -> Result<Vec<(u64, String)>, Error> {
    let origin = path.display().to_string();
    let working_set = if sizes.iter().any(|s| matches!(s, CacheSize::Percent(_))) {
        scan_trace(path, format)?.working_set_bytes
    } else {
        0
    };
    let mut out = Vec::new();
    for s in sizes {
        let (bytes, label) = match *s {
            CacheSize::Bytes(b) if b > MAX_CACHE_BYTES => {
                return Err(Error::usage(format!(
                    "--size: {b} bytes is more than the largest cache, {MAX_CACHE_BYTES} bytes (4 EiB)"
                )))
            }
            CacheSize::Bytes(b) => (b, b.to_string()),
            CacheSize::Percent(pct) => {
                let bytes = ((working_set as f64) * pct / 100.0).round().max(1.0);
                if bytes > MAX_CACHE_BYTES as f64 {
                    return Err(Error::invalid_in(
                        origin.clone(),
                        format!(
                            "--size {pct}%: {pct}% of the trace's working set of {working_set} bytes is \
                             more than the largest cache, {MAX_CACHE_BYTES} bytes (4 EiB)"
                        ),
                    ));
                }
                (bytes as u64, format!("{pct}%"))
            }
        };
        out.push((bytes, label));
    }
    Ok(out)
}

/// The results as a table for a terminal.
pub fn replay_table(results: &[ReplayResult]) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<10} {:>10} {:>16} {:>12} {:>12} {:>10} {:>10}",
        "policy", "size", "cache bytes", "requests", "misses", "miss", "byte miss"
    );
    for r in results {
        let _ = writeln!(
            s,
            "{:<10} {:>10} {:>16} {:>12} {:>12} {:>10.4} {:>10.4}",
            r.policy, r.size, r.cache_bytes, r.requests, r.misses, r.miss_ratio, r.byte_miss_ratio
        );
    }
    s
}

/// Parses a comma-separated list of policy names (`all` = every policy).
pub fn parse_policies(list: &str) -> Result<Vec<EvictionPolicy>, String> {
    let mut out = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if name == "all" {
            out.extend(EvictionPolicy::all());
            continue;
        }
        match EvictionPolicy::from_name(name) {
            Some(p) => out.push(p),
            None => {
                return Err(format!(
                    "unknown eviction policy `{name}`; known: {} (or `all`)",
                    EvictionPolicy::NAMES.join(", ")
                ))
            }
        }
    }
    if out.is_empty() {
        return Err("no policy given".into());
    }
    Ok(out)
}

/// Parses a comma-separated list of sizes.
pub fn parse_sizes(list: &str) -> Result<Vec<CacheSize>, String> {
    let v: Vec<CacheSize> =
        list.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::parse).collect::<Result<_, _>>()?;
    if v.is_empty() {
        return Err("no size given".into());
    }
    Ok(v)
}

/// The most requests [`synthetic_requests`] makes: the trace is built in
/// memory (about 60 bytes a request, 6 GB at this bound) before it is
/// written.
pub const MAX_SYNTH_REQUESTS: u64 = 100_000_000;

/// A synthetic trace: `requests` independent Zipf(`alpha`) references over
/// `objects` objects (object `i` has rank `i + 1` and id `i`, or a
/// scrambled 64-bit id ([`mix64`](mmesim_engine::mix64) of `i`) when `sparse_ids`, like the hashed ids of real
/// traces), one request per millisecond, every object `object_bytes` large
/// (1 = unit size). The next-access field is filled in, so offline policies
/// can replay it.
pub fn synthetic_requests(
    objects: u32,
    requests: u64,
    alpha: f64,
    object_bytes: u64,
    seed: u64,
    sparse_ids: bool,
) -> Result<Vec<mmesim_workload::cachetrace::CacheRequest>, String> {
    use mmesim_engine::{RngStreams, SimTime, Stream};
    use mmesim_workload::{ModelPicker, Popularity};
    if objects == 0 {
        return Err("--objects: must be at least 1".into());
    }
    if !(1..=MAX_SYNTH_REQUESTS).contains(&requests) {
        return Err(format!("--requests: must be between 1 and {MAX_SYNTH_REQUESTS}, got {requests}"));
    }
    let pop = Popularity::Zipf { alpha };
    pop.validate().map_err(|e| e.to_string())?;
    let mut picker = ModelPicker::new(&pop, objects, RngStreams::new(seed).stream(Stream::Popularity));
    let ids: Vec<u32> = (0..requests).map(|_| picker.pick().0).collect();
    let mut next = vec![None; ids.len()];
    let mut last = vec![u64::MAX; objects as usize];
    for (i, &id) in ids.iter().enumerate().rev() {
        let l = last[id as usize];
        next[i] = (l != u64::MAX).then_some(l);
        last[id as usize] = i as u64;
    }
    Ok(ids
        .iter()
        .zip(next)
        .enumerate()
        .map(|(i, (&id, next_access))| mmesim_workload::cachetrace::CacheRequest {
            time: SimTime::from_millis(i as u64),
            object: if sparse_ids { mmesim_engine::mix64(id as u64) } else { id as u64 },
            size: object_bytes,
            next_access,
        })
        .collect())
}

/// Writes [`synthetic_requests`] to `path` in oracle-general form.
pub fn write_synthetic_trace(
    path: &Path,
    objects: u32,
    requests: u64,
    alpha: f64,
    object_bytes: u64,
    seed: u64,
    sparse_ids: bool,
) -> Result<(), Error> {
    let origin = path.display().to_string();
    // Bad parameters are the command line's, not the output file's.
    let reqs = synthetic_requests(objects, requests, alpha, object_bytes, seed, sparse_ids).map_err(Error::usage)?;
    let file = std::fs::File::create(path).map_err(|e| Error::io_in(origin.clone(), format!("cannot create: {e}")))?;
    mmesim_workload::cachetrace::write_oracle_general(std::io::BufWriter::with_capacity(1 << 20, file), reqs)
        .map_err(|e| Error::io_in(origin, format!("cannot write: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!("1048576".parse(), Ok(CacheSize::Bytes(1048576)));
        assert_eq!("512MiB".parse(), Ok(CacheSize::Bytes(512 << 20)));
        assert_eq!("2 GB".parse(), Ok(CacheSize::Bytes(2_000_000_000)));
        assert_eq!("10%".parse(), Ok(CacheSize::Percent(10.0)));
        assert!("0".parse::<CacheSize>().unwrap_err().contains("at least 1 byte"));
        // Infinity is too large, not too small; NaN is not a size at all.
        for inf in ["inf", "infinity", "1e400", "inf GiB"] {
            assert!(inf.parse::<CacheSize>().unwrap_err().contains("too large"), "{inf}");
        }
        assert!("NaN".parse::<CacheSize>().unwrap_err().contains("not a size"));
        assert!("-inf".parse::<CacheSize>().unwrap_err().contains("at least 1 byte"));
        assert!("-5".parse::<CacheSize>().is_err());
        assert!("0%".parse::<CacheSize>().is_err());
        assert!("150%".parse::<CacheSize>().is_err());
        assert!("lots".parse::<CacheSize>().unwrap_err().contains("not a size"));
        assert!(parse_policies("lru,nope").unwrap_err().contains("unknown eviction policy `nope`"));
        assert_eq!(parse_policies("all").unwrap().len(), EvictionPolicy::NAMES.len());
    }
}
