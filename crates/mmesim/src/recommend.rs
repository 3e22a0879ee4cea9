//! The instance recommender: which instance type, and how many, meet a
//! latency target (and a hit-ratio floor) at the lowest cost.
//!
//! For each candidate type, a **bisection on the instance count** finds the
//! fewest instances that pass, each count judged over several seeds (and,
//! with `survive_zone_loss`, once more per zone with that zone out):
//!
//! ```text
//! for each type (in parallel):
//!     skip it if the scenario is invalid on it (a model that does not fit)
//!     if max_instances fails: no count passes
//!     lo, hi = 1, max_instances            # hi passes
//!     while lo < hi:
//!         mid = (lo + hi) / 2
//!         if passes(type, mid): hi = mid else lo = mid + 1
//!     best[type] = hi
//! rank best[] by hourly cost (instances × price), then worst p99, then name
//! ```
//!
//! `passes(type, n)` runs the scenario with that type and count (and no
//! autoscaling) for seeds `seed, seed + 1, …`; a point passes when **every**
//! run has p99 ≤ the target, error rate (failed + rejected over the
//! requests that arrived after the warm-up, like latency and hit ratio) ≤
//! the allowance and, if set, hit ratio ≥ the floor. Under
//! `survive_zone_loss`, each zone in turn fails for good at the end of the
//! warm-up (its instances are not replaced), so the measured window is the
//! failover and the time after it on the surviving zones.
//!
//! Bisection assumes that more instances never hurt, which holds for the
//! capacity and cache-room effects a sizing question is about; the test
//! suite checks the answer against an exhaustive sweep of the same grid.
//! Zone loss can break it: instances go to zones round-robin, so an odd
//! count puts one more instance in the first zone, and losing that zone
//! hurts more than losing a zone of the next smaller, even count (the
//! failover's cold starts land on fewer survivors). With
//! `survive_zone_loss`, prefer `exhaustive` (every count from 1 to the
//! maximum, the counts in parallel) when the answer matters.
//! Each evaluation is an ordinary scenario run, so a point's figures are
//! the ones `mmesim sweep` reports for the same type, count and seed.

use crate::chart::{ScatterGroup, ScatterPoint};
use crate::error::Error;
use crate::scenario::Scenario;
use crate::sweep::Figures;
use mmesim_autoscaling::AutoscalingPolicy;
use mmesim_core::InstanceType;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// What a configuration must achieve.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Targets {
    /// Highest acceptable end-to-end p99 latency, ms.
    pub p99_ms: f64,
    /// Lowest acceptable model-cache hit ratio, if any.
    pub min_hit: Option<f64>,
    /// Highest acceptable share of requests that fail or are rejected.
    pub max_error_rate: f64,
}

impl Targets {
    /// Default allowance for failed and rejected requests (0.1 %).
    pub const DEFAULT_MAX_ERROR_RATE: f64 = 0.001;

    /// `Ok` when one run meets every target, else the first one missed.
    pub fn check(&self, f: &Figures) -> Result<(), String> {
        if f.error_rate > self.max_error_rate {
            return Err(format!(
                "{:.2} % of requests failed or were rejected (allowed {:.2} %)",
                100.0 * f.error_rate,
                100.0 * self.max_error_rate
            ));
        }
        if f.latency_p99_ms > self.p99_ms {
            return Err(format!("p99 {:.1} ms > {} ms", f.latency_p99_ms, self.p99_ms));
        }
        if let Some(h) = self.min_hit {
            if f.model_cache_hit < h {
                return Err(format!("hit ratio {:.4} < {h}", f.model_cache_hit));
            }
        }
        Ok(())
    }

    fn validate(&self) -> Result<(), Error> {
        if !(self.p99_ms.is_finite() && self.p99_ms > 0.0) {
            return Err(Error::usage(format!("--p99-ms: must be a positive number, got {}", self.p99_ms)));
        }
        if let Some(h) = self.min_hit {
            if !(0.0..=1.0).contains(&h) {
                return Err(Error::usage(format!("--min-hit: must be between 0 and 1, got {h}")));
            }
        }
        if !(0.0..=1.0).contains(&self.max_error_rate) {
            return Err(Error::usage(format!("--max-errors: must be between 0 and 1, got {}", self.max_error_rate)));
        }
        Ok(())
    }
}

/// How to search.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchOptions {
    /// Candidate types; empty = every type of the scenario's catalog.
    pub types: Vec<String>,
    /// Largest count tried per type.
    pub max_instances: u32,
    /// Seeds per point (`seed`, `seed + 1`, …).
    pub seeds: u32,
    /// Require the targets with any one zone out.
    pub survive_zone_loss: bool,
    /// Try every count from 1 to `max_instances` instead of bisecting
    /// (for outcomes that are not monotone in the count; see the module
    /// documentation).
    pub exhaustive: bool,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions { types: Vec::new(), max_instances: 32, seeds: 3, survive_zone_loss: false, exhaustive: false }
    }
}

/// One configuration tried: its runs summarised, worst case over seeds and
/// zone losses.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    /// Instance type.
    pub instance_type: String,
    /// Instances.
    pub instances: u32,
    /// Instances × the type's hourly price, USD.
    pub cost_per_hour: f64,
    /// Whether every run met every target.
    pub passes: bool,
    /// The first target missed (with the run), when it fails.
    pub missed: Option<String>,
    /// Worst p99 latency over all runs, ms.
    pub p99_ms: f64,
    /// Worst p99 with all zones up, ms.
    pub p99_ms_all_zones: f64,
    /// Lowest hit ratio over all runs.
    pub model_cache_hit: f64,
    /// Highest unloads per minute with all zones up (thrashing).
    pub unloads_per_min: f64,
    /// Highest error rate over all runs.
    pub error_rate: f64,
    /// 100 − the fullest minute's memory-tier utilisation, percent (all
    /// zones up, worst seed).
    pub memory_headroom_pct: f64,
    /// 100 − the busiest minute's slot utilisation, percent (all zones up,
    /// worst seed).
    pub vcpu_headroom_pct: f64,
    /// Runs made.
    pub runs: u32,
}

/// The recommender's answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Recommendation {
    /// The targets.
    pub targets: Targets,
    /// Seeds per point.
    pub seeds: u32,
    /// Whether zone loss was required to be survived.
    pub survive_zone_loss: bool,
    /// Per type, the fewest instances that pass; cheapest first.
    pub ranked: Vec<Evaluation>,
    /// Types with no passing count up to the maximum (their largest count
    /// tried), or skipped (count 0, with the reason).
    pub no_fit: Vec<Evaluation>,
    /// Every configuration evaluated, by type then count.
    pub evaluated: Vec<Evaluation>,
    /// What the search changed in, or kept from, the scenario (shown above
    /// the table).
    pub notes: Vec<String>,
}

impl Recommendation {
    /// The cheapest passing configuration.
    pub fn cheapest(&self) -> Option<&Evaluation> {
        self.ranked.first()
    }

    /// A table for the terminal: the ranking, then the types that do not
    /// fit, then the answer.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let t = &self.targets;
        let _ = write!(out, "targets      p99 ≤ {} ms", t.p99_ms);
        if let Some(h) = t.min_hit {
            let _ = write!(out, ", hit ratio ≥ {h}");
        }
        let _ = writeln!(
            out,
            ", errors ≤ {:.2} %; worst of {} seed{}{}",
            100.0 * t.max_error_rate,
            self.seeds,
            if self.seeds == 1 { "" } else { "s" },
            if self.survive_zone_loss { ", and with each zone out in turn" } else { "" }
        );
        for n in &self.notes {
            let _ = writeln!(out, "note         {n}");
        }
        let _ = writeln!(out);
        let head = [
            "rank",
            "type",
            "instances",
            "$/hour",
            "$/month",
            "p99 ms",
            "hit",
            "unloads/min",
            "mem headroom",
            "vCPU headroom",
            "errors",
        ];
        let mut rows: Vec<Vec<String>> = vec![head.iter().map(|s| s.to_string()).collect()];
        for (i, e) in self.ranked.iter().enumerate() {
            rows.push(vec![
                (i + 1).to_string(),
                e.instance_type.clone(),
                e.instances.to_string(),
                format!("{:.3}", e.cost_per_hour),
                format!("{:.0}", e.cost_per_hour * 730.0),
                format!("{:.1}", e.p99_ms),
                format!("{:.4}", e.model_cache_hit),
                format!("{:.1}", e.unloads_per_min),
                format!("{:.0} %", e.memory_headroom_pct),
                format!("{:.0} %", e.vcpu_headroom_pct),
                format!("{:.3} %", 100.0 * e.error_rate),
            ]);
        }
        let widths: Vec<usize> =
            (0..head.len()).map(|k| rows.iter().map(|r| r[k].chars().count()).max().unwrap_or(0)).collect();
        for r in &rows {
            let cells: Vec<String> = r
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(k, (c, w))| if k == 1 { format!("{c:<w$}") } else { format!("{c:>w$}") })
                .collect();
            let _ = writeln!(out, "{}", cells.join("  ").trim_end());
        }
        if self.ranked.is_empty() {
            let _ = writeln!(out, "(no configuration meets the targets)");
        }
        if !self.no_fit.is_empty() {
            let _ = writeln!(out);
            for e in &self.no_fit {
                let why = e.missed.as_deref().unwrap_or("");
                if e.instances == 0 {
                    let _ = writeln!(out, "skipped      {}: {why}", e.instance_type);
                } else {
                    let _ = writeln!(out, "no fit       {} even at {} instances: {why}", e.instance_type, e.instances);
                }
            }
        }
        let _ = writeln!(out);
        match self.cheapest() {
            Some(e) => {
                let _ = writeln!(
                    out,
                    "cheapest     {} × {} at ${:.3}/hour (${:.0}/month): p99 {:.1} ms, hit ratio {:.4}, {:.1} unloads/min",
                    e.instances,
                    e.instance_type,
                    e.cost_per_hour,
                    e.cost_per_hour * 730.0,
                    e.p99_ms,
                    e.model_cache_hit,
                    e.unloads_per_min
                );
            }
            None => {
                let _ = writeln!(out, "cheapest     none: raise --max-instances, relax the targets or add types");
            }
        }
        out
    }

    /// Draws every evaluated configuration as cost per hour against worst
    /// p99 (log scale), passing ones filled, each labelled with its
    /// instance count (`3×`), the target as a line and the
    /// cost / p99 frontier (the configurations no other beats on both) as a
    /// step line, to `path` as SVG.
    pub fn frontier_svg(&self, path: &Path, title: &str) -> Result<(), Error> {
        let mut by_type: BTreeMap<&str, Vec<&Evaluation>> = BTreeMap::new();
        for e in self.evaluated.iter().filter(|e| e.instances > 0 && e.p99_ms > 0.0) {
            by_type.entry(e.instance_type.as_str()).or_default().push(e);
        }
        let groups: Vec<ScatterGroup> = by_type
            .iter()
            .map(|(ty, es)| ScatterGroup {
                label: ty.to_string(),
                points: es
                    .iter()
                    .map(|e| ScatterPoint {
                        cost: e.cost_per_hour,
                        p99_ms: e.p99_ms,
                        passes: e.passes,
                        label: format!("{}×", e.instances),
                    })
                    .collect(),
            })
            .collect();
        let all: Vec<(f64, f64)> = groups.iter().flat_map(|g| g.points.iter().map(|p| (p.cost, p.p99_ms))).collect();
        crate::chart::frontier_svg(path, title, &groups, &frontier(&all), self.targets.p99_ms)
    }
}

/// The cost / p99 frontier of a set of points `(cost, p99)`: sorted by
/// cost, each one with a lower p99 than every cheaper point.
pub fn frontier(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut v: Vec<(f64, f64)> = points.to_vec();
    v.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut out: Vec<(f64, f64)> = Vec::new();
    for p in v {
        if out.last().is_none_or(|l| p.1 < l.1) {
            out.push(p);
        }
    }
    out
}

/// The scenario of one run: `base` on `n` × `ty`, no autoscaling, the
/// `k`-th seed, and zone `zone_out` failed for good at the end of the
/// warm-up.
pub fn point_scenario(base: &Scenario, ty: &str, n: u32, k: u32, zone_out: Option<u16>) -> Scenario {
    let mut s = base.clone();
    s.cluster.instance_type = ty.to_string();
    s.cluster.instances = n;
    s.autoscaling = AutoscalingPolicy::None;
    s.seed = base.seed.wrapping_add(k as u64);
    if let Some(z) = zone_out {
        s.cluster.replace_failed = false;
        s.faults.push(crate::scenario::FaultSpec::ZoneOutage {
            zone: crate::scenario::ZoneRef::Index(z as i64),
            at_s: base.warmup_s,
            duration_s: None,
        });
    }
    s
}

/// Searches types × counts for the cheapest configurations that meet the
/// targets. `done` is called after each run (drive a progress bar).
pub fn recommend(
    base: &Scenario,
    targets: &Targets,
    opts: &SearchOptions,
    done: &(dyn Fn() + Sync),
) -> Result<Recommendation, Error> {
    targets.validate()?;
    let origin = base.name.clone();
    if opts.max_instances == 0 || opts.max_instances > crate::MAX_INSTANCES {
        return Err(Error::usage(format!(
            "--max-instances: must be between 1 and {}, got {}",
            crate::MAX_INSTANCES,
            opts.max_instances
        )));
    }
    if opts.seeds == 0 || opts.seeds > 1000 {
        return Err(Error::usage(format!("--seeds: must be between 1 and 1000, got {}", opts.seeds)));
    }
    let zones = base.cluster.zones.names().len();
    if opts.survive_zone_loss && zones < 2 {
        return Err(Error::invalid_in(
            origin,
            format!("--survive-zone-loss needs at least two zones; the scenario has {zones} (set `cluster.zones`)"),
        ));
    }
    let cat = base.catalog(&origin)?;
    let types: Vec<String> = if opts.types.is_empty() {
        cat.names().map(str::to_string).collect()
    } else {
        for t in &opts.types {
            if cat.get(t).is_none() {
                let known: Vec<&str> = cat.names().collect();
                return Err(Error::usage(format!("--types: unknown instance type `{t}`; known: {}", known.join(", "))));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        opts.types.iter().filter(|t| seen.insert(t.as_str())).cloned().collect()
    };
    // The models do not depend on the type: learn them (and read a trace)
    // once, not once per type.
    let models = base.sim_config(crate::RunOptions::default())?.models;
    let room_of = |ty: &str| cat.get(ty).expect("BUG: candidate types come from the catalog");
    let per_type: Vec<(Vec<Evaluation>, Evaluation)> = types
        .par_iter()
        .map(|ty| search_type(base, &models, room_of(ty), ty, targets, opts, done))
        .collect::<Result<_, _>>()?;
    let mut ranked = Vec::new();
    let mut no_fit = Vec::new();
    let mut evaluated = Vec::new();
    for (evals, best) in per_type {
        evaluated.extend(evals);
        if best.passes {
            ranked.push(best);
        } else {
            no_fit.push(best);
        }
    }
    ranked.sort_by(|a, b| {
        a.cost_per_hour
            .total_cmp(&b.cost_per_hour)
            .then(a.p99_ms.total_cmp(&b.p99_ms))
            .then(a.instance_type.cmp(&b.instance_type))
    });
    evaluated.sort_by(|a, b| a.instance_type.cmp(&b.instance_type).then(a.instances.cmp(&b.instances)));
    let mut notes = Vec::new();
    if base.autoscaling != AutoscalingPolicy::None {
        notes.push(format!(
            "the scenario's `{}` autoscaling is off while searching: each configuration is a fixed fleet",
            base.autoscaling.name()
        ));
    }
    if opts.survive_zone_loss && !opts.exhaustive {
        notes.push(
            "bisection assumes more instances never hurt, which zone loss can break (an odd count puts one more \
             instance in the first zone); --exhaustive tries every count"
                .into(),
        );
    }
    if !base.faults.is_empty() {
        notes.push(format!("the scenario's {} fault(s) happen in every run", base.faults.len()));
    }
    Ok(Recommendation {
        notes,
        targets: targets.clone(),
        seeds: opts.seeds,
        survive_zone_loss: opts.survive_zone_loss,
        ranked,
        no_fit,
        evaluated,
    })
}

/// Bisection over the count of one type: every evaluation made, and the
/// answer (the fewest passing instances, or the failing maximum, or a
/// skipped marker with `instances = 0`).
fn search_type(
    base: &Scenario,
    models: &mmesim_core::Models,
    room: &InstanceType,
    ty: &str,
    targets: &Targets,
    opts: &SearchOptions,
    done: &(dyn Fn() + Sync),
) -> Result<(Vec<Evaluation>, Evaluation), Error> {
    // A type the scenario is invalid on, or that cannot hold its largest
    // model (every request for it would fail), is skipped with the reason.
    let unfit = match point_scenario(base, ty, 1, 0, None).validate(&base.name) {
        Err(e) => Some(e.message().to_string()),
        Ok(()) => {
            let context = if room.gpu.is_some() {
                mmesim_core::Bytes::from_mib(base.cluster.gpu_context_mib)
            } else {
                mmesim_core::Bytes::ZERO
            };
            let cap = mmesim_core::Bytes(room.model_memory().0.saturating_sub(context.0));
            let too_big = (0..models.len()).find(|&i| room.tier_footprint(models.sizes(i).0) > cap);
            too_big.and_then(|i| models.get(i)).map(|m| {
                let with = room.tier_footprint(m.memory);
                let overhead = if with > m.memory {
                    format!(", {:.0} MiB with the container's per-model overhead", with.as_mib())
                } else {
                    String::new()
                };
                format!(
                    "model `{}` ({:.0} MiB{overhead}) is larger than the memory tier of `{ty}` ({:.0} MiB)",
                    m.name,
                    m.memory.as_mib(),
                    cap.as_mib()
                )
            })
        }
    };
    if let Some(why) = unfit {
        let skipped = Evaluation {
            instance_type: ty.to_string(),
            instances: 0,
            cost_per_hour: 0.0,
            passes: false,
            missed: Some(why),
            p99_ms: 0.0,
            p99_ms_all_zones: 0.0,
            model_cache_hit: 0.0,
            unloads_per_min: 0.0,
            error_rate: 0.0,
            memory_headroom_pct: 0.0,
            vcpu_headroom_pct: 0.0,
            runs: 0,
        };
        return Ok((Vec::new(), skipped));
    }
    if opts.exhaustive {
        let all: Vec<Evaluation> = (1..=opts.max_instances)
            .into_par_iter()
            .map(|n| evaluate(base, ty, n, targets, opts, done))
            .collect::<Result<_, _>>()?;
        let best = all.iter().find(|e| e.passes).or(all.last()).cloned().expect("BUG: max_instances ≥ 1 was checked");
        return Ok((all, best));
    }
    let mut seen: BTreeMap<u32, Evaluation> = BTreeMap::new();
    let mut eval = |n: u32| -> Result<Evaluation, Error> {
        if let Some(e) = seen.get(&n) {
            return Ok(e.clone());
        }
        let e = evaluate(base, ty, n, targets, opts, done)?;
        seen.insert(n, e.clone());
        Ok(e)
    };
    let top = eval(opts.max_instances)?;
    let best = if !top.passes {
        top
    } else {
        let (mut lo, mut hi) = (1u32, opts.max_instances);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if eval(mid)?.passes {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        eval(hi)?
    };
    Ok((seen.into_values().collect(), best))
}

/// Runs one configuration (`n` × `ty`) over every seed (and, with
/// `survive_zone_loss`, each zone out) and summarises it against the
/// targets.
pub fn evaluate(
    base: &Scenario,
    ty: &str,
    n: u32,
    targets: &Targets,
    opts: &SearchOptions,
    done: &(dyn Fn() + Sync),
) -> Result<Evaluation, Error> {
    let zones = base.cluster.zones.names().len();
    let outs: Vec<Option<u16>> = if opts.survive_zone_loss {
        std::iter::once(None).chain((0..zones).map(|z| Some(z as u16))).collect()
    } else {
        vec![None]
    };
    let jobs: Vec<(u32, Option<u16>)> = (0..opts.seeds).flat_map(|k| outs.iter().map(move |z| (k, *z))).collect();
    let runs: Vec<(u32, Option<u16>, Figures)> = jobs
        .par_iter()
        .map(|&(k, z)| {
            let s = point_scenario(base, ty, n, k, z);
            let out = s.run()?;
            done();
            Ok((k, z, Figures::of(&out.report)))
        })
        .collect::<Result<_, Error>>()?;
    let price = base.catalog(&base.name)?.get(ty).map_or(0.0, |t| t.price_per_hour);
    let mut missed = None;
    for (k, z, f) in &runs {
        if let Err(why) = targets.check(f) {
            let when = match z {
                Some(z) => format!("seed {}, zone {z} out", base.seed.wrapping_add(*k as u64)),
                None => format!("seed {}", base.seed.wrapping_add(*k as u64)),
            };
            missed = Some(format!("{why} ({when})"));
            break;
        }
    }
    let all_up = || runs.iter().filter(|r| r.1.is_none()).map(|r| &r.2);
    let max = |it: &mut dyn Iterator<Item = f64>| it.fold(0.0f64, f64::max);
    Ok(Evaluation {
        instance_type: ty.to_string(),
        instances: n,
        cost_per_hour: price * n as f64,
        passes: missed.is_none(),
        missed,
        p99_ms: max(&mut runs.iter().map(|r| r.2.latency_p99_ms)),
        p99_ms_all_zones: max(&mut all_up().map(|f| f.latency_p99_ms)),
        model_cache_hit: runs.iter().map(|r| r.2.model_cache_hit).fold(1.0f64, f64::min),
        unloads_per_min: max(&mut all_up().map(|f| f.unloads_per_min)),
        error_rate: max(&mut runs.iter().map(|r| r.2.error_rate)),
        memory_headroom_pct: 100.0 - max(&mut all_up().map(|f| f.peak_memory_utilization)),
        vcpu_headroom_pct: 100.0 - max(&mut all_up().map(|f| f.peak_cpu_utilization)),
        runs: runs.len() as u32,
    })
}
