//! Per-minute accounting and the end of a run.
//!
//! Owns the [`MinuteBook`]: the endpoint's figures per simulated minute (for
//! the autoscaler, the report and the [`MinuteSink`]), the CloudWatch-style
//! rows per instance, zone and endpoint (handed to the sink minute by
//! minute, never kept), the report's per-minute aggregates (kept
//! incrementally), and the endpoint-level accumulator of requests that
//! reached no instance. May touch: the instances' minute accumulators and
//! busy-slot areas (closing the minute), the agenda (the next tick) and,
//! through `fleet.rs`, the fleet size the autoscaler asks for. Reads the
//! tiers; writes none.
//!
//! Architecture invariant: a run ends when the source is exhausted and
//! nothing is in flight (requests, downloads, loads, unloads, launches,
//! replacements), or at its horizon ([`run_horizon`]); minute ticks do not
//! keep it alive on their own.
//!
//! Architecture invariant: memory does not grow with simulated time. A
//! closed minute goes to the sink; what the book keeps is the minute under
//! way, the report's running aggregates, and the minutes closed since the
//! last work that may still turn out to be idle ticks after the run's end,
//! run-length encoded (a stretch without work repeats the same figures),
//! at most [`MAX_PENDING_RUNS`] runs of them.

use super::event::Event;
use super::state::Life;
use super::{RunResult, Simulation, Truncation};
use crate::cw::{Dimension, MetricRow, MinuteAcc};
use crate::metrics::{FleetSummary, ModelsSummary, Report};
use crate::scale::{FleetStatus, MinuteMetrics};
use crate::Bytes;
use mmesim_engine::{SimDuration, SimTime};

/// What a [`MinuteSink`] reports when it cannot take more (a file that
/// cannot be written, a limit of its format): it ends the run, and the run
/// returns it.
pub type SinkError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Receives a run's per-minute output while the run goes
/// ([`Simulation::run_into`]), so that nothing per minute is kept in the
/// simulation: a file written as minutes close, a bounded chart, a
/// collector ([`CollectMinutes`], what [`Simulation::run`] uses).
///
/// Every method has a default that ignores its input. An error ends the
/// run at once; [`Simulation::run_into`] returns it.
pub trait MinuteSink {
    /// Called once before the first minute, with the zone names (what a
    /// [`Dimension::Zone`] indexes).
    fn begin(&mut self, zones: &[String]) -> Result<(), SinkError> {
        let _ = zones;
        Ok(())
    }

    /// The endpoint's figures of one minute, in minute order (0, 1, 2, …,
    /// none skipped), once the minute is known to be part of the run: the
    /// idle minute ticks after the run's last work are never given (what
    /// [`RunResult::minutes`] holds). A minute may come some minutes after
    /// it closed (while the run might still end before it).
    fn minute(&mut self, minute: &MinuteMetrics) -> Result<(), SinkError> {
        let _ = minute;
        Ok(())
    }

    /// The CloudWatch-style rows of one closed minute, as it closes (only
    /// with [`SimConfig::record_metrics`](crate::SimConfig::record_metrics)):
    /// instances in id order, then zones, then the endpoint, each with the
    /// metrics of [`METRIC_NAMES`](crate::METRIC_NAMES) in order. Every
    /// closed minute is given, idle ticks included (what
    /// [`RunResult::metrics`] holds).
    fn rows(&mut self, rows: &[MetricRow]) -> Result<(), SinkError> {
        let _ = rows;
        Ok(())
    }

    /// Called once after the last minute and row.
    fn end(&mut self) -> Result<(), SinkError> {
        Ok(())
    }
}

/// A [`MinuteSink`] that keeps everything in memory: what
/// [`Simulation::run`] fills [`RunResult::minutes`] and
/// [`RunResult::metrics`] with. Its memory grows with the simulated time.
#[derive(Clone, Debug, Default)]
pub struct CollectMinutes {
    /// The minutes given to [`MinuteSink::minute`].
    pub minutes: Vec<MinuteMetrics>,
    /// The rows given to [`MinuteSink::rows`].
    pub rows: Vec<MetricRow>,
}

impl MinuteSink for CollectMinutes {
    fn minute(&mut self, minute: &MinuteMetrics) -> Result<(), SinkError> {
        self.minutes.push(minute.clone());
        Ok(())
    }

    fn rows(&mut self, rows: &[MetricRow]) -> Result<(), SinkError> {
        self.rows.extend_from_slice(rows);
        Ok(())
    }
}

/// The shortest drain a run is allowed after its arrivals stop, seconds
/// (one day): see [`run_horizon`].
pub const MIN_DRAIN_LIMIT_S: u64 = 86_400;

/// Most runs of identical minutes the book holds back while it cannot tell
/// whether they are idle ticks after the run's end (minutes closed since
/// the last work, run-length encoded). Past it the oldest are given to the
/// sink as they are; only an autoscaler changing its mind every minute
/// through a stretch with no work reaches it.
pub const MAX_PENDING_RUNS: usize = 1024;

/// The simulated time a run stops at, at the latest, for arrivals that
/// stop at `duration`: the drain after `duration` (requests still waiting
/// or in service, downloads, loads, unloads, launches, replacements) may
/// last as long as `duration` itself, and at least
/// [`MIN_DRAIN_LIMIT_S`]. Work still in flight then is not simulated: the
/// run ends there and reports it ([`RunResult::truncated`]). Events after
/// it (a fault scheduled later) are not simulated either.
pub fn run_horizon(duration: SimDuration) -> SimTime {
    let drain = duration.max(SimDuration::from_secs(MIN_DRAIN_LIMIT_S));
    SimTime::ZERO + duration.saturating_add(drain)
}

/// The report's figures over the minutes of the run, kept as they come.
#[derive(Clone, Copy, Debug, Default)]
struct Aggregates {
    minutes: u64,
    memory_sum: f64,
    memory_peak: f64,
    cpu_peak: f64,
}

/// What is recorded minute by minute.
#[derive(Default)]
pub(super) struct MinuteBook {
    /// The minute under way (0-based).
    pub(super) index: u64,
    /// Endpoint-level counts with no instance (4XX with no instance
    /// accepting, …) for the current minute.
    pub(super) endpoint_acc: MinuteAcc,
    /// The rows of the minute being closed (reused).
    scratch: Vec<MetricRow>,
    /// Minutes closed but not yet known to be part of the run (a minute
    /// that began after the run's last work is an idle tick, left out),
    /// oldest first, as (figures of the first, how many minutes in a row
    /// have the same figures).
    pending: Vec<(MinuteMetrics, u64)>,
    /// Over the minutes given to the sink.
    agg: Aggregates,
}

/// Whether two minutes have the same figures, whatever their numbers.
fn same_figures(a: &MinuteMetrics, b: &MinuteMetrics) -> bool {
    MinuteMetrics { minute: 0, ..a.clone() } == MinuteMetrics { minute: 0, ..b.clone() }
}

impl MinuteBook {
    /// Holds a closed minute back until it is known to be part of the run.
    fn hold(&mut self, mm: &MinuteMetrics) {
        if let Some((first, n)) = self.pending.last_mut() {
            if first.minute + *n == mm.minute && same_figures(first, mm) {
                *n += 1;
                return;
            }
        }
        self.pending.push((mm.clone(), 1));
        #[cfg(test)]
        MAX_HELD.with(|m| m.set(m.get().max(self.pending.len())));
    }

    /// Gives the sink the held minutes that began before `limit_s` (whole
    /// seconds), and the oldest runs past [`MAX_PENDING_RUNS`] whatever
    /// their start.
    fn release(&mut self, limit_s: u64, sink: &mut dyn MinuteSink) -> Result<(), SinkError> {
        let excess = self.pending.len().saturating_sub(MAX_PENDING_RUNS);
        let mut done = 0;
        for (i, (first, n)) in self.pending.iter_mut().enumerate() {
            while *n > 0 && (i < excess || first.minute * 60 < limit_s) {
                self.agg.add(first);
                sink.minute(first)?;
                first.minute += 1;
                *n -= 1;
            }
            if *n > 0 {
                break;
            }
            done = i + 1;
        }
        self.pending.drain(..done);
        Ok(())
    }
}

#[cfg(test)]
thread_local! {
    /// The most runs of minutes a book of this thread held back at once,
    /// and the most rows of one minute (the scratch's capacity): what
    /// the tests check stays the same whatever the simulated time.
    pub(super) static MAX_HELD: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

impl Aggregates {
    fn add(&mut self, m: &MinuteMetrics) {
        self.minutes += 1;
        self.memory_sum += m.memory_utilization;
        self.memory_peak = self.memory_peak.max(m.memory_utilization);
        self.cpu_peak = self.cpu_peak.max(m.cpu_utilization);
    }
}

impl Simulation {
    /// A minute tick: close the minute, let the autoscaler decide, and tick
    /// again while anything is still to happen.
    pub(super) fn on_minute(&mut self, sink: &mut dyn MinuteSink) -> Result<(), SinkError> {
        let now = self.now;
        let (mm, fleet) = self.flush_minute(sink)?;
        if let Some(desired) = self.autoscaler.evaluate(&mm, &fleet) {
            self.scale_to(desired);
        }
        // Keep ticking while anything is still to happen (stale timeout
        // events do not count).
        if !self.inflow.done || self.reqs.live > 0 || self.ops_in_flight > 0 || self.fleet.replacements_due > 0 {
            self.agenda.push(now + SimDuration::from_secs(60), Event::Minute);
        }
        Ok(())
    }

    /// Closes the current minute: endpoint figures for the autoscaler and
    /// the report, and (when recording) CloudWatch-style rows per instance,
    /// zone and endpoint, handed to the sink; the figures are held until
    /// the minute is known to be part of the run.
    fn flush_minute(&mut self, sink: &mut dyn MinuteSink) -> Result<(MinuteMetrics, FleetStatus), SinkError> {
        let now = self.now;
        let minute = self.book.index;
        self.book.index += 1;
        let since = SimTime::from_secs(60 * minute);
        let mut mm = std::mem::take(&mut self.m.minute);
        mm.minute = minute;
        let (mut serving, mut pending, mut draining) = (0u32, 0u32, 0u32);
        let mut zone_acc: Vec<MinuteAcc> = vec![MinuteAcc::default(); self.fleet.zones.len()];
        let mut endpoint = std::mem::take(&mut self.book.endpoint_acc);
        let record = self.cfg.record_metrics;
        self.book.scratch.clear();
        for (i, it) in self.fleet.instances.iter_mut().enumerate() {
            let alive = matches!(it.life, Life::InService | Life::Draining);
            match it.life {
                Life::Launching => pending += 1,
                Life::InService => serving += 1,
                Life::Draining => draining += 1,
                _ => {}
            }
            if !alive && it.acc == MinuteAcc::default() {
                continue;
            }
            let mut acc = std::mem::take(&mut it.acc);
            if alive {
                it.accrue_busy(now);
                acc.busy_ns = it.busy_area - it.busy_area_at_minute;
                it.busy_area_at_minute = it.busy_area;
                let from = it.launched_at.max(since);
                acc.slot_ns = it.busy_capacity() as u128 * now.saturating_since(from).as_nanos() as u128;
                let t = self.tiers.get(i as u32);
                // CloudWatch's MemoryUtilization is the instance's RAM in
                // use: the OS and container's part, plus loaded models (the
                // memory tier is GPU memory on GPU types).
                let ty = &self.cfg.cluster.instance_type;
                (acc.mem_used, acc.mem_cap) = match ty.gpu {
                    Some(_) => (t.mem_used(), self.tiers.mem_cap()),
                    None => (ty.reserved_memory.0 + t.mem_used(), ty.memory.0),
                };
                acc.disk_used = t.disk_used();
                acc.disk_cap = self.tiers.disk_cap();
                acc.loaded = t.loaded() as u64;
                acc.instances = 1;
            }
            let z = self.fleet.status[i].zone.index();
            if record {
                acc.rows(minute, Dimension::Instance(i as u32), &mut self.book.scratch);
            }
            zone_acc[z].merge(&acc);
            endpoint.merge(&acc);
        }
        endpoint.pending = pending as u64;
        for (it, st) in self.fleet.instances.iter().zip(&self.fleet.status) {
            if it.life == Life::Launching {
                zone_acc[st.zone.index()].pending += 1;
            }
        }
        if record {
            for (z, acc) in zone_acc.iter().enumerate() {
                acc.rows(minute, Dimension::Zone(z as u16), &mut self.book.scratch);
            }
            endpoint.rows(minute, Dimension::Endpoint, &mut self.book.scratch);
            sink.rows(&self.book.scratch)?;
        }
        let pct = |a: f64, b: f64| if b > 0.0 { 100.0 * a / b } else { 0.0 };
        mm.instance_count = serving;
        mm.pending_instances = pending;
        mm.invocations_per_instance = if serving > 0 { mm.invocations as f64 / serving as f64 } else { 0.0 };
        mm.model_cache_hit =
            if self.m.minute_routed > 0 { self.m.minute_hits as f64 / self.m.minute_routed as f64 } else { 0.0 };
        mm.cpu_utilization = pct(endpoint.busy_ns as f64, endpoint.slot_ns as f64);
        mm.memory_utilization = pct(endpoint.mem_used as f64, endpoint.mem_cap as f64);
        mm.disk_utilization = pct(endpoint.disk_used as f64, endpoint.disk_cap as f64);
        mm.loaded_model_count = endpoint.loaded;
        mm.mean_latency_ms =
            if mm.completed > 0 { self.m.minute_latency_sum_ns as f64 / mm.completed as f64 / 1e6 } else { 0.0 };
        mm.p99_latency_ms = if mm.completed > 0 {
            crate::metrics::ns_to_ms(self.m.minute_latency.value_at_quantile(0.99))
        } else {
            0.0
        };
        self.m.minute_latency.reset();
        self.m.minute_latency_sum_ns = 0;
        self.m.minute_routed = 0;
        self.m.minute_hits = 0;
        // Replacements on their way count as launching: an autoscaler must
        // not launch more in their place.
        let fleet =
            FleetStatus { now, in_service: serving, pending: pending + self.fleet.replacements_due as u32, draining };
        self.book.hold(&mm);
        let limit = self.last_work.max(SimTime::ZERO + self.cfg.duration);
        self.book.release(limit.as_secs_f64().ceil() as u64, sink)?;
        Ok((mm, fleet))
    }

    /// Closes the last, partial minute, gives the sink the minutes of the
    /// run, and builds the report. A run stopped at its horizon with work
    /// in flight (`truncated`) ends there.
    /// The models against the memory tier of the fleet at the start.
    fn models_summary(&self) -> ModelsSummary {
        let ty = &self.cfg.cluster.instance_type;
        // What each loaded model costs in the tier beyond its footprint.
        let per_model = ty.tier_footprint(Bytes::ZERO).0;
        let count = self.models.len() as u64;
        let tier = if ty.gpu.is_some() { "gpu" } else { "ram" };
        ModelsSummary {
            count,
            footprint_bytes: self.models.iter().fold(0u64, |a, m| a.saturating_add(m.memory.saturating_sub(per_model))),
            overhead_bytes: per_model.saturating_mul(count),
            tier: tier.to_string(),
            tier_bytes_per_instance: super::cache::memory_tier_bytes(&self.cfg.cluster),
            instances_at_start: self.cfg.cluster.instances,
        }
    }

    pub(super) fn finish(
        mut self,
        truncated: Option<Truncation>,
        sink: &mut dyn MinuteSink,
    ) -> Result<RunResult, SinkError> {
        let end = match truncated {
            Some(t) => t.at,
            None => SimTime::from_nanos(self.last_work.as_nanos().max(self.cfg.duration.as_nanos())),
        };
        // The last, partial minute.
        let active = self.m.minute != MinuteMetrics::default()
            || self.book.endpoint_acc != MinuteAcc::default()
            || self.fleet.instances.iter().any(|i| i.acc != MinuteAcc::default());
        if active {
            self.flush_minute(sink)?;
        }
        // Minutes that began after the last piece of work are idle ticks:
        // those still held are left out.
        self.book.release(end.as_secs_f64().ceil() as u64, sink)?;
        sink.end()?;
        let models = self.models_summary();
        let mut life_ns: u128 = 0;
        let mut busy: u128 = 0;
        let mut cap: u128 = 0;
        let f = &mut self.fleet;
        for (it, st) in f.instances.iter_mut().zip(&f.status) {
            let stop = it.ended_at.unwrap_or(end).max(it.launched_at);
            life_ns += (stop - it.launched_at).as_nanos() as u128;
            f.zones[st.zone.index()].instance_hours += (stop - it.launched_at).as_secs_f64() / 3600.0;
            if it.ended_at.is_none() && it.life != Life::Launching {
                it.busy_area += it.busy_units() as u128 * end.saturating_since(it.last_change).as_nanos() as u128;
            }
            busy += it.busy_area;
            cap += it.busy_capacity() as u128 * (stop - it.launched_at).as_nanos() as u128;
        }
        let hours = life_ns as f64 / 3.6e12;
        let agg = self.book.agg;
        let m = &self.m;
        let report = Report {
            name: String::new(),
            seed: self.cfg.seed,
            simulated_s: end.as_secs_f64(),
            requests: m.report_counts(),
            latency_ms: m.latency_summary(),
            client_latency_ms: (self.inflow.users > 0).then(|| m.client_latency_summary()),
            queue_wait_ms: m.queue_wait_summary(),
            model_loading_wait_ms: m.loading_wait_summary(),
            model_cache_hit: if m.measured_routed > 0 {
                m.measured_hits as f64 / m.measured_routed as f64
            } else {
                0.0
            },
            cache: m.cache.clone(),
            cost_usd: hours * self.cfg.cluster.instance_type.price_per_hour,
            instance_hours: hours,
            fleet: FleetSummary {
                launched: f.instances.len() as u32,
                peak_in_service: f.peak_in_service,
                cpu_utilization: if cap > 0 { 100.0 * busy as f64 / cap as f64 } else { 0.0 },
                peak_cpu_utilization: agg.cpu_peak,
                memory_utilization: if agg.minutes == 0 { 0.0 } else { agg.memory_sum / agg.minutes as f64 },
                peak_memory_utilization: agg.memory_peak,
                failed: f.instances.iter().filter(|i| i.life == Life::Failed).count() as u32,
                replacements: m.replacements,
                retries: m.retries,
            },
            models,
            zones: {
                let mut z = f.zones.clone();
                for zs in &mut z {
                    zs.model_cache_hit = if zs.requests > 0 { zs.hits as f64 / zs.requests as f64 } else { 0.0 };
                }
                z
            },
            faults: f.fault_windows.clone(),
        };
        Ok(RunResult {
            report,
            minutes: Vec::new(),
            metrics: Vec::new(),
            trace: self.trace,
            events: self.events,
            truncated,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Seen(Vec<u64>);
    impl MinuteSink for Seen {
        fn minute(&mut self, m: &MinuteMetrics) -> Result<(), SinkError> {
            self.0.push(m.minute);
            Ok(())
        }
    }

    fn minute(k: u64, invocations: u64) -> MinuteMetrics {
        MinuteMetrics { minute: k, invocations, memory_utilization: 50.0, ..Default::default() }
    }

    #[test]
    fn held_minutes_are_run_length_encoded_and_released_in_order() {
        let mut b = MinuteBook::default();
        let mut seen = Seen::default();
        b.hold(&minute(0, 5));
        for k in 1..1000 {
            b.hold(&minute(k, 0));
        }
        assert_eq!(b.pending.len(), 2, "a stretch without work is one run");
        // Minutes that began before 600 s are part of the run.
        b.release(600, &mut seen).unwrap();
        assert_eq!(seen.0, (0..10).collect::<Vec<_>>());
        assert_eq!((b.pending.len(), b.pending[0].0.minute, b.pending[0].1), (1, 10, 990));
        b.release(60 * 1000, &mut seen).unwrap();
        assert_eq!(seen.0, (0..1000).collect::<Vec<_>>());
        assert!(b.pending.is_empty());
        assert_eq!(b.agg.minutes, 1000);
        assert_eq!(b.agg.memory_sum, 50_000.0);
    }

    #[test]
    fn held_runs_are_bounded() {
        let mut b = MinuteBook::default();
        let mut seen = Seen::default();
        let n = MAX_PENDING_RUNS as u64 + 500;
        for k in 0..n {
            // Every minute differs: no two in a row are one run.
            b.hold(&minute(k, k % 2));
        }
        b.release(0, &mut seen).unwrap();
        assert_eq!(b.pending.len(), MAX_PENDING_RUNS);
        assert_eq!(seen.0, (0..500).collect::<Vec<_>>(), "the oldest runs go, in order");
    }

    #[test]
    fn the_horizon_is_the_duration_and_a_drain_of_at_least_a_day() {
        let s = SimDuration::from_secs;
        assert_eq!(run_horizon(s(60)), SimTime::from_secs(60 + MIN_DRAIN_LIMIT_S));
        assert_eq!(run_horizon(s(3 * 86_400)), SimTime::from_secs(6 * 86_400));
        assert_eq!(run_horizon(SimDuration::from_nanos(u64::MAX)), SimTime::from_nanos(u64::MAX));
    }
}
