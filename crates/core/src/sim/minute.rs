//! Per-minute accounting and the end of a run.
//!
//! Owns the [`MinuteBook`]: the endpoint's figures per simulated minute (for
//! the autoscaler and the report), the CloudWatch-style rows per instance,
//! zone and endpoint, and the endpoint-level accumulator of requests that
//! reached no instance. May touch: the instances' minute accumulators and
//! busy-slot areas (closing the minute), the agenda (the next tick) and,
//! through `fleet.rs`, the fleet size the autoscaler asks for. Reads the
//! tiers; writes none.
//!
//! Architecture invariant: a run ends when the source is exhausted and
//! nothing is in flight (requests, downloads, loads, unloads, launches,
//! replacements); minute ticks do not keep it alive on their own.

use super::event::Event;
use super::state::Life;
use super::{RunResult, Simulation};
use crate::cw::{Dimension, MetricRow, MinuteAcc};
use crate::metrics::{FleetSummary, Report};
use crate::scale::{FleetStatus, MinuteMetrics};
use mmesim_engine::{SimDuration, SimTime};

/// What is recorded minute by minute.
#[derive(Default)]
pub(super) struct MinuteBook {
    /// Endpoint figures, one per closed minute.
    pub(super) minutes: Vec<MinuteMetrics>,
    /// CloudWatch-style rows (when recording metrics).
    pub(super) rows: Vec<MetricRow>,
    /// The minute under way (0-based).
    pub(super) index: u64,
    /// Endpoint-level counts with no instance (4XX with no instance
    /// accepting, …) for the current minute.
    pub(super) endpoint_acc: MinuteAcc,
}

impl Simulation {
    /// A minute tick: close the minute, let the autoscaler decide, and tick
    /// again while anything is still to happen.
    pub(super) fn on_minute(&mut self) {
        let now = self.now;
        let (mm, fleet) = self.flush_minute();
        if let Some(desired) = self.autoscaler.evaluate(&mm, &fleet) {
            self.scale_to(desired);
        }
        // Keep ticking while anything is still to happen (stale timeout
        // events do not count).
        if !self.inflow.done || self.reqs.live > 0 || self.ops_in_flight > 0 || self.fleet.replacements_due > 0 {
            self.agenda.push(now + SimDuration::from_secs(60), Event::Minute);
        }
    }

    /// Closes the current minute: endpoint figures for the autoscaler and
    /// the report, and (when recording) CloudWatch-style rows per instance,
    /// zone and endpoint.
    fn flush_minute(&mut self) -> (MinuteMetrics, FleetStatus) {
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
                    Some(_) => (t.mem_used(), t.mem_cap()),
                    None => (ty.reserved_memory.0 + t.mem_used(), ty.memory.0),
                };
                acc.disk_used = t.disk_used();
                acc.disk_cap = t.disk_cap();
                acc.loaded = t.loaded() as u64;
                acc.instances = 1;
            }
            let z = self.fleet.status[i].zone.index();
            if record {
                acc.rows(minute, Dimension::Instance(i as u32), &mut self.book.rows);
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
                acc.rows(minute, Dimension::Zone(z as u16), &mut self.book.rows);
            }
            endpoint.rows(minute, Dimension::Endpoint, &mut self.book.rows);
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
        self.book.minutes.push(mm.clone());
        (mm, fleet)
    }

    /// Closes the last, partial minute and builds the report.
    pub(super) fn finish(mut self) -> RunResult {
        let end = SimTime::from_nanos(self.last_work.as_nanos().max(self.cfg.duration.as_nanos()));
        // The last, partial minute.
        let active = self.m.minute != MinuteMetrics::default()
            || self.book.endpoint_acc != MinuteAcc::default()
            || self.fleet.instances.iter().any(|i| i.acc != MinuteAcc::default());
        if active {
            self.flush_minute();
        }
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
        let minutes = &mut self.book.minutes;
        // Minutes that began after the last piece of work are idle ticks.
        minutes.retain(|m| m.minute * 60 < end.as_secs_f64().ceil() as u64);
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
                peak_cpu_utilization: minutes.iter().map(|m| m.cpu_utilization).fold(0.0, f64::max),
                memory_utilization: if minutes.is_empty() {
                    0.0
                } else {
                    minutes.iter().map(|m| m.memory_utilization).sum::<f64>() / minutes.len() as f64
                },
                peak_memory_utilization: minutes.iter().map(|m| m.memory_utilization).fold(0.0, f64::max),
                failed: f.instances.iter().filter(|i| i.life == Life::Failed).count() as u32,
                replacements: m.replacements,
                retries: m.retries,
            },
            zones: {
                let mut z = f.zones.clone();
                for zs in &mut z {
                    zs.model_cache_hit = if zs.requests > 0 { zs.hits as f64 / zs.requests as f64 } else { 0.0 };
                }
                z
            },
            faults: f.fault_windows.clone(),
        };
        RunResult {
            report,
            minutes: self.book.minutes,
            metrics: self.book.rows,
            trace: self.trace,
            events: self.events,
        }
    }
}
