//! The cluster simulation: one [`Simulation`] per run, split into rooms.
//!
//! ```text
//!             ┌──────────── mod.rs: Simulation::new, the run loop, dispatch of events ───────────────┐
//!  Arrival ─► │ request.rs ── route, admit, wait, serve, time out, retry ──► completed/failed        │
//! UserSends ► │ clients.rs ── closed-loop users: send, request_ended → think → send again            │
//!             │     │ ensure_model / pin / unpin / touch_hit        ▲ admit_waiters                  │
//!             │     ▼                                               │                                │
//!             │ cache.rs ── the tiers: download → load, unload, room, expiry (private fields)        │
//!             │ fleet.rs ── faults, replacements, scale-out/in, drain                                │
//!             │ minute.rs ── per-minute metrics, autoscaler tick, the report                         │
//!             └── event.rs (events, agenda) · state.rs (data) · invariants.rs (checks) ──────────────┘
//! ```
//!
//! Each file opens with what it owns and what it may touch. The data is
//! grouped by writer: [`Fleet`](state::Fleet) and each
//! [`Instance`](state::Instance) (life, slots, minute accumulators),
//! [`Requests`](state::Requests) (the slab), [`Tiers`](cache::Tiers) (every
//! model's memory and disk state, behind fields private to `cache.rs`),
//! [`Agenda`](event::Agenda) (events and timeouts) and
//! [`MinuteBook`](minute::MinuteBook).
//!
//! Architecture invariant: only `cache.rs` writes tier state (a model's
//! memory and disk state, pins, the tiers' byte counts, evictors, the
//! routing view's copies); the compiler enforces it through field privacy.

#[cfg(test)]
mod bounded_tests;
mod cache;
mod clients;
mod cpu;
mod event;
mod fleet;
mod invariants;
mod minute;
mod request;
mod slotindex;
mod slots;
mod state;
pub(crate) use state::ModelInfo;
#[cfg(test)]
mod tests;

use crate::cw::MetricRow;
use crate::evict::Evictor;
use crate::metrics::{FailReason, Metrics, Report, ZoneSummary};
use crate::model::{FaultKind, SimConfig};
use crate::route::{RejectReason, Router};
use crate::scale::{Autoscaler, MinuteMetrics};
use crate::source::{ClosedLoop, RequestSource};
use crate::{Bytes, CoreError, InstanceId, ModelId, ZoneId};
use cache::Tiers;
use event::{Agenda, Event, Next};
use minute::MinuteBook;
pub use minute::{run_horizon, CollectMinutes, MinuteSink, SinkError, MAX_PENDING_RUNS, MIN_DRAIN_LIMIT_S};
use mmesim_engine::{RngStreams, SimDuration, SimTime, Stream};
use state::{Feed, Fleet, Inflow, Life, ModelClass, Requests, NIL};

/// Which tier an evictor serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tier {
    /// Loaded models in RAM or GPU memory.
    Memory,
    /// Downloaded artifacts on disk.
    Disk,
}

/// Builds an evictor for one tier (of the given capacity) of one instance;
/// called at start and for every instance launched later.
pub type EvictorFactory = Box<dyn FnMut(InstanceId, Tier, Bytes) -> Box<dyn Evictor> + Send>;

/// The policies a simulation runs with.
pub struct Policies {
    /// Picks the instance for each request.
    pub router: Box<dyn Router>,
    /// Decides the fleet size once a minute.
    pub autoscaler: Box<dyn Autoscaler>,
    /// Makes the memory- and disk-tier evictors of each instance.
    pub evictors: EvictorFactory,
}

/// What a [`TraceRecord`] records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceKind {
    /// A download began.
    DownloadStart,
    /// A download ended; the artifact is on disk.
    DownloadEnd,
    /// A load began.
    LoadStart,
    /// A load ended; the model is warm.
    LoadEnd,
    /// An unload began.
    UnloadStart,
    /// An unload ended; its memory is free.
    UnloadEnd,
    /// An artifact was deleted from disk to make room.
    DiskEvict,
    /// Request number `seq` (0-based arrival order) completed.
    Completed {
        /// Arrival sequence number.
        seq: u64,
        /// End-to-end latency.
        latency: SimDuration,
        /// Whether it found its model loaded.
        hit: bool,
    },
    /// Request `seq` failed.
    Failed {
        /// Arrival sequence number.
        seq: u64,
        /// Why.
        reason: FailReason,
    },
    /// Request `seq` was rejected.
    Rejected {
        /// Arrival sequence number.
        seq: u64,
        /// Why.
        reason: RejectReason,
    },
}

/// One line of a run's trace (see [`SimConfig::record_trace`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceRecord {
    /// When.
    pub time: SimTime,
    /// Where (`InstanceId(u32::MAX)` for rejections before routing).
    pub instance: InstanceId,
    /// Which model.
    pub model: ModelId,
    /// What happened.
    pub kind: TraceKind,
}

/// A run stopped at its horizon ([`run_horizon`]) with work still in
/// flight: that work is in none of the report's outcomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Truncation {
    /// When the run stopped (the report's `simulated_s`).
    pub at: SimTime,
    /// Requests still in flight (waiting for a model or a slot, in
    /// service, or waiting to retry): arrived, but neither completed,
    /// failed nor rejected.
    pub requests: u64,
    /// Downloads, loads and unloads under way, launches pending and
    /// replacements due.
    pub operations: u64,
    /// Inference slots (vCPUs on CPU types) still busy: with the requests
    /// above, or with requests whose clients already gave up (their
    /// response deadline passed), which the container still finishes.
    pub busy_slots: u64,
}

/// What a run produces.
#[derive(Clone, Debug)]
pub struct RunResult {
    /// The summary report.
    pub report: Report,
    /// Endpoint metrics per simulated minute (by [`Simulation::run`]; empty
    /// from [`Simulation::run_into`], whose sink gets them).
    pub minutes: Vec<MinuteMetrics>,
    /// CloudWatch-style rows per minute × metric × (instance, zone,
    /// endpoint), if [`SimConfig::record_metrics`](crate::SimConfig::record_metrics)
    /// (by [`Simulation::run`]; empty from [`Simulation::run_into`]).
    pub metrics: Vec<MetricRow>,
    /// The event trace, if recorded.
    pub trace: Vec<TraceRecord>,
    /// Events processed (for throughput measurements).
    pub events: u64,
    /// Set if the run reached its horizon ([`run_horizon`]) with work
    /// still in flight, and stopped there.
    pub truncated: Option<Truncation>,
}

/// A configured run, ready to go: build with [`Simulation::new`] (open
/// arrivals) or [`Simulation::closed_loop`] (users who wait for each
/// response), then [`run`](Simulation::run).
pub struct Simulation {
    cfg: SimConfig,
    /// The models' sizes, read-only after setup.
    models: Vec<ModelInfo>,
    /// The models' classes: service-time sampler and fixed times.
    classes: Vec<ModelClass>,
    /// Each model's index into `classes`; empty when there is one class
    /// (a generated population): most runs never read it.
    class_ids: Vec<u32>,
    /// Each model's overhead (the fixed request overhead plus its payload
    /// over the network); empty when all share `uniform_overhead`.
    overheads: Vec<SimDuration>,
    /// Every model fits its instance type's memory and disk tiers, so a
    /// routed request needs no size check (nor a read of its model's
    /// record, with a million models a miss).
    all_fit: bool,
    /// Every model's overhead, when all share one (every payload the same
    /// size, as in a generated population): a request's end then reads no
    /// per-model array (with a million models, a miss).
    uniform_overhead: Option<SimDuration>,
    agenda: Agenda,
    now: SimTime,
    /// Events processed.
    events: u64,
    /// When the last event that did something happened.
    last_work: SimTime,
    /// Virtual time for evictors: one tick per access or insertion.
    vtime: u64,
    inflow: Inflow,
    router: Box<dyn Router>,
    autoscaler: Box<dyn Autoscaler>,
    evictors: EvictorFactory,
    fleet: Fleet,
    tiers: Tiers,
    reqs: Requests,
    m: Metrics,
    book: MinuteBook,
    trace: Vec<TraceRecord>,
    /// Downloads, loads and unloads under way, and launches pending: with
    /// live requests, what keeps the minute ticks going after arrivals end.
    ops_in_flight: u64,
    /// The most a CPU type's vCPUs can slow a job down: (inference slots +
    /// concurrent loads) ÷ vCPUs, at least 1 (1 on GPU types, whose
    /// service runs at a fixed speed).
    worst_slowdown: f64,
    /// Reused buffer for the requests of a batch ending together.
    batch_scratch: Vec<state::Req>,
    /// Reused buffer for the requests a batch takes from a slot queue.
    batch_ids: Vec<u32>,
    /// Reused buffer for CPU jobs ending together.
    cpu_scratch: (Vec<cpu::Job>, Vec<(SimTime, cpu::Job)>),
}

/// With at least this many models, or instances (`PREFETCH_INSTANCES`),
/// the simulation prefetches what each arrival will read
/// (`schedule_next_arrival`): the per-model and per-instance data outgrow
/// the CPU's own caches (a few MB), and the hints then pay for their
/// instructions (about 150 per arrival). Below, everything stays in cache
/// and they would only cost: docs/PERFORMANCE.md (issue 15, step 5) has
/// the scaling table and the instruction counts of `large.toml` with and
/// without them.
/// Hints only: results are the same either way.
pub(super) const PREFETCH_MODELS: usize = 20_000;
/// See [`PREFETCH_MODELS`].
pub(super) const PREFETCH_INSTANCES: usize = 512;

fn dur_for(bytes: u64, per_s: f64) -> SimDuration {
    SimDuration::from_secs_f64(bytes as f64 / per_s)
}

impl Simulation {
    /// Uncontended download time of an artifact of `art` bytes (the fixed
    /// overhead, then the bytes at the type's full bandwidth): its
    /// disk-tier reload cost.
    fn download_time(&self, art: u64) -> SimDuration {
        let ty = &self.cfg.cluster.instance_type;
        self.cfg.cluster.download_overhead + dur_for(art, ty.download_bytes_per_s.min(ty.download_cap_bytes_per_s()))
    }

    /// Uncontended load time of `model`, whose artifact is `art` bytes (the
    /// artifact at the disk's full throughput, then the fixed overhead).
    fn load_time(&self, model: u32, art: u64) -> SimDuration {
        self.class_of(model).load_overhead + dur_for(art, self.cfg.cluster.instance_type.storage.read_bytes_per_s)
    }

    /// The time a request for `model` spends outside it
    /// (`ModelInfo::overhead`).
    #[inline]
    fn overhead_of(&self, model: u32) -> SimDuration {
        match self.uniform_overhead {
            Some(o) => o,
            None => self.overheads[model as usize],
        }
    }

    /// The class of `model`: its service sampler and fixed times. With one
    /// class (a generated population) the model table is not read: with a
    /// million models each read is a miss.
    #[inline]
    fn class_of(&self, model: u32) -> &ModelClass {
        class_of(&self.classes, &self.class_ids, model)
    }
}

/// [`Simulation::class_of`] over the two tables alone, for callers that
/// hold another part of the simulation mutably.
#[inline]
fn class_of<'a>(classes: &'a [ModelClass], class_ids: &[u32], model: u32) -> &'a ModelClass {
    match classes {
        [one] => one,
        all => &all[class_ids[model as usize] as usize],
    }
}

impl Simulation {
    /// Validates the configuration and sets up the initial fleet, for open
    /// arrivals from `source`.
    pub fn new(cfg: SimConfig, source: Box<dyn RequestSource>, policies: Policies) -> Result<Simulation, CoreError> {
        Simulation::build(cfg, Feed::Open(source), policies)
    }

    /// Validates the configuration and sets up the initial fleet, for
    /// closed-loop `clients`: each user sends its next request when its
    /// previous one ends, plus a think time (see [`ClosedLoop`]). No
    /// request is sent at or after the configured duration.
    pub fn closed_loop(
        cfg: SimConfig,
        clients: Box<dyn ClosedLoop>,
        policies: Policies,
    ) -> Result<Simulation, CoreError> {
        if clients.users() == 0 {
            return Err(CoreError::config("a closed loop needs at least one user"));
        }
        if clients.users() == NIL {
            return Err(CoreError::config("too many closed-loop users"));
        }
        if clients.client_station().is_some_and(|s| s.processes == 0) {
            return Err(CoreError::config("a client station needs at least one process"));
        }
        Simulation::build(cfg, Feed::Closed(clients), policies)
    }

    fn build(mut cfg: SimConfig, feed: Feed, policies: Policies) -> Result<Simulation, CoreError> {
        let ty = &cfg.cluster.instance_type;
        ty.validate().map_err(|e| CoreError::invalid(format!("instance type `{}`", ty.name), e))?;
        if cfg.models.is_empty() {
            return Err(CoreError::config("the endpoint has no models"));
        }
        if cfg.models.len() >= 1 << 31 {
            return Err(CoreError::config("too many models"));
        }
        if cfg.cluster.zones.is_empty() {
            return Err(CoreError::config("at least one availability zone is needed"));
        }
        if cfg.cluster.zones.len() > u16::MAX as usize {
            return Err(CoreError::config("too many zones"));
        }
        if let Some(b) = cfg.cluster.batching {
            if b.max_batch == 0 || !(b.marginal.is_finite() && (0.0..=1e3).contains(&b.marginal)) {
                return Err(CoreError::config("batching needs `max_batch` ≥ 1 and `marginal` in [0, 1000]"));
            }
        }
        if cfg.cluster.cpu_per_request == 0 {
            return Err(CoreError::config("`cpu_per_request` must be at least 1"));
        }
        if cfg.cluster.cpu_per_request > ty.slots() {
            return Err(CoreError::config(format!(
                "`cpu_per_request` ({}) exceeds the {} inference slots of `{}`",
                cfg.cluster.cpu_per_request,
                ty.slots(),
                ty.name
            )));
        }
        // The specs are consumed as the run's own records are made, and
        // models with the same service distribution and fixed times share
        // one class. A generated population is one class and a size per
        // model, never a million specs (issue 15).
        let specs = std::mem::take(&mut cfg.models);
        let mut models = Vec::with_capacity(specs.len());
        let mut classes: Vec<(crate::Dist, ModelClass)> = Vec::new();
        // The largest memory footprint and artifact (for `all_fit`), and
        // each model's class and overhead unless all share one.
        let mut largest = (0u64, 0u64);
        let (mut class_ids, mut overheads) = (Vec::new(), Vec::new());
        let overhead_of = |payload: Bytes| cfg.cluster.request_overhead + dur_for(payload.0, ty.network_bytes_per_s);
        let mut add = |memory: Bytes, artifact: Bytes| {
            let memory = ty.tier_footprint(memory).0;
            largest = (largest.0.max(memory), largest.1.max(artifact.0));
            models.push(ModelInfo { memory, artifact: artifact.0 });
        };
        // A new class, from the spec of model `i` (the first of it).
        let new_class = |i: usize, ms: &crate::ModelSpec| -> Result<(crate::Dist, ModelClass), CoreError> {
            let name = &ms.name;
            ms.service_ms.validate().map_err(|e| CoreError::invalid(format!("model {i} (`{name}`) service_ms"), e))?;
            let class = ModelClass {
                service: ms.service_ms.sampler(),
                load_overhead: ms.load_overhead,
                unload_time: ms.unload_time,
                preprocess: ms.preprocess,
            };
            Ok((ms.service_ms.clone(), class))
        };
        match specs {
            crate::Models::Listed(specs) => {
                for (i, ms) in specs.into_iter().enumerate() {
                    // The last few classes are searched, so a population of
                    // all-different ones costs O(1) per model, not O(n).
                    let recent = classes.len().saturating_sub(8);
                    let same = |(d, c): &(crate::Dist, ModelClass)| {
                        *d == ms.service_ms
                            && c.load_overhead == ms.load_overhead
                            && c.unload_time == ms.unload_time
                            && c.preprocess == ms.preprocess
                    };
                    let class = match classes[recent..].iter().rposition(same) {
                        Some(k) => recent + k,
                        None => {
                            classes.push(new_class(i, &ms)?);
                            classes.len() - 1
                        }
                    };
                    add(ms.memory, ms.artifact);
                    class_ids.push(class as u32);
                    overheads.push(overhead_of(ms.payload));
                }
            }
            // One class, and each model's sizes made as it is recorded.
            crate::Models::Generated(p) => {
                // (Not empty: checked above.)
                classes.push(new_class(0, &p.spec(0))?);
                for i in 0..p.memory_mib.len() {
                    add(p.memory(i), p.artifact(i));
                }
                overheads.push(overhead_of(p.payload));
            }
        }
        // What every model shares is kept once.
        if classes.len() == 1 {
            class_ids = Vec::new();
        }
        let uniform_overhead = match overheads.split_first() {
            Some((&first, rest)) if rest.iter().all(|&o| o == first) => Some(first),
            _ => None,
        };
        if uniform_overhead.is_some() {
            overheads = Vec::new();
        }
        let classes = classes.into_iter().map(|(_, c)| c).collect();
        let tiers = Tiers::new(models.len(), &cfg.cluster, policies.router.reads_lru_age());
        let all_fit = largest.0 <= tiers.mem_cap() && largest.1 <= tiers.disk_cap();
        let streams = RngStreams::new(cfg.seed);
        let (station, station_cpu, user_woke) = match &feed {
            Feed::Closed(c) => match c.client_station() {
                Some(s) => (
                    (0..s.processes).map(|p| std::cmp::Reverse((SimTime::ZERO, p))).collect(),
                    s.cpu,
                    vec![SimTime::ZERO; c.users() as usize],
                ),
                None => (Default::default(), SimDuration::ZERO, vec![SimTime::ZERO; c.users() as usize]),
            },
            Feed::Open(_) => (Default::default(), SimDuration::ZERO, Vec::new()),
        };
        // What only traces, retries and closed-loop users read.
        let with_cold = cfg.record_trace || cfg.client.retries > 0 || matches!(feed, Feed::Closed(_));
        let mut sim = Simulation {
            tiers,
            models,
            classes,
            class_ids,
            overheads,
            all_fit,
            uniform_overhead,
            agenda: Agenda::new(),
            now: SimTime::ZERO,
            events: 0,
            last_work: SimTime::ZERO,
            vtime: 0,
            inflow: Inflow {
                users: match &feed {
                    Feed::Open(_) => 0,
                    Feed::Closed(c) => c.users(),
                },
                thinking: 0,
                users_done: 0,
                station,
                station_cpu,
                user_woke,
                feed,
                done: false,
                next: None,
                ahead: [None; 2],
                primed: false,
                prefetch: false,
                drawing: true,
                last: SimTime::ZERO,
                seq: 0,
                service_rng: streams.stream(Stream::Service),
                backoff_rng: streams.stream(Stream::Backoff),
            },
            router: policies.router,
            autoscaler: policies.autoscaler,
            evictors: policies.evictors,
            fleet: Fleet::default(),
            reqs: Requests::new(with_cold),
            m: Metrics::new(),
            book: MinuteBook::default(),
            trace: Vec::new(),
            ops_in_flight: 0,
            cpu_scratch: (Vec::new(), Vec::new()),
            batch_scratch: Vec::new(),
            batch_ids: Vec::new(),
            worst_slowdown: {
                let ty = &cfg.cluster.instance_type;
                let loads =
                    if cfg.cluster.max_concurrent_loads == 0 { ty.vcpus } else { cfg.cluster.max_concurrent_loads };
                if ty.gpu.is_some() {
                    1.0
                } else {
                    ((ty.slots() as f64 + loads as f64) / ty.vcpus as f64).max(1.0)
                }
            },
            cfg,
        };
        sim.fleet.zones =
            sim.cfg.cluster.zones.iter().map(|z| ZoneSummary { name: z.clone(), ..Default::default() }).collect();
        sim.fleet.zone_down = vec![0; sim.cfg.cluster.zones.len()];
        for (i, f) in sim.cfg.faults.iter().enumerate() {
            match f.kind {
                FaultKind::InstanceFailure { instance } if instance.0 >= sim.cfg.cluster.instances => {
                    return Err(CoreError::config(format!("fault {i}: no instance {instance}")))
                }
                FaultKind::ZoneOutage { zone } if zone.index() >= sim.cfg.cluster.zones.len() => {
                    return Err(CoreError::config(format!("fault {i}: no zone {zone}")))
                }
                _ => {}
            }
            sim.agenda.push(SimTime::ZERO + f.at, Event::Fault { idx: i as u32 });
        }
        for _ in 0..sim.cfg.cluster.instances {
            let zone = ZoneId((sim.fleet.instances.len() % sim.cfg.cluster.zones.len()) as u16);
            sim.add_instance(zone, Life::InService);
        }
        sim.fleet.peak_in_service = sim.cfg.cluster.instances;
        sim.inflow.prefetch |= sim.models.len() >= PREFETCH_MODELS;
        Ok(sim)
    }

    /// Runs to completion: until the source is exhausted (or its arrivals
    /// pass the configured duration; closed loop: no user sends again) and
    /// every admitted request has ended, or until the run's horizon
    /// ([`run_horizon`]: [`RunResult::truncated`] says what was left in
    /// flight). Keeps every minute in [`RunResult::minutes`] and every row
    /// in [`RunResult::metrics`]: memory grows with the simulated time;
    /// [`run_into`](Simulation::run_into) streams them instead.
    pub fn run(self) -> RunResult {
        let mut all = CollectMinutes::default();
        match self.run_into(&mut all) {
            Ok(mut out) => {
                out.minutes = all.minutes;
                out.metrics = all.rows;
                out
            }
            Err(e) => panic!("BUG: collecting minutes cannot fail: {e}"),
        }
    }

    /// Runs like [`run`](Simulation::run), handing each minute's figures
    /// and rows to `sink` as they are known instead of keeping them
    /// ([`RunResult::minutes`] and [`RunResult::metrics`] stay empty): the
    /// run's memory is then bounded by its models, instances and requests
    /// in flight, whatever its simulated time. An error from the sink ends
    /// the run and is returned.
    pub fn run_into(mut self, sink: &mut dyn MinuteSink) -> Result<RunResult, SinkError> {
        sink.begin(&self.cfg.cluster.zones)?;
        let horizon = run_horizon(self.cfg.duration);
        self.schedule_next_arrival();
        self.start_users();
        self.agenda.push(SimTime::from_secs(60), Event::Minute);
        let mut truncated = None;
        while let Some(next) = self.agenda.pop() {
            let at = match &next {
                Next::Timeout(tm) => tm.at,
                Next::Event(t, _) => *t,
            };
            if at > horizon {
                truncated = self.truncation(horizon);
                break;
            }
            let (t, ev) = match next {
                Next::Timeout(tm) => {
                    self.advance_to(tm.at);
                    if self.inflow.prefetch {
                        // Deadlines come in order, so what the next ones
                        // read (long idle, so cold) is known now: the
                        // request of the one after next, and the model
                        // the next one's request waits for (fetched at the
                        // previous deadline).
                        if let Some(r) = self.agenda.timeout_req(1) {
                            mmesim_engine::prefetch(&self.reqs.slab, r as usize);
                        }
                        if let Some(r) = self.agenda.timeout_req(0) {
                            self.prefetch_waiting(r);
                        }
                    }
                    if self.on_timeout(tm.req, tm.gen) {
                        self.after_work();
                    }
                    continue; // else stale: the request started or ended in time
                }
                Next::Event(t, ev) => (t, ev),
            };
            if self.inflow.prefetch {
                self.prefetch_heap_top();
            }
            self.advance_to(t);
            if let Some(inst) = ev.instance() {
                if self.fleet.instances[inst as usize].life == Life::Failed {
                    // Work of a lost instance: nothing happens any more.
                    if let Event::LinkDone { link, .. } = ev {
                        // (Never: its links were cleared when it failed.
                        // Left in place, the completion would come again.)
                        self.agenda.clear_link(inst, link);
                    }
                    if let Event::ServiceDone { req, .. } = ev {
                        // The request and any batched with it.
                        let mut r = req;
                        while r != NIL {
                            let next = self.reqs.slab[r as usize].next;
                            self.reqs.free(r);
                            r = next;
                        }
                    }
                    continue;
                }
            }
            match ev {
                Event::Arrival => {
                    let Some(a) = self.inflow.next.take() else {
                        panic!("BUG: arrival event without a pending arrival")
                    };
                    self.on_arrival(a, NIL);
                    self.schedule_next_arrival();
                }
                Event::UserSends { user } => self.on_user_sends(user),
                Event::ClientReady { user } => self.on_client_ready(user),
                Event::TransferStart { inst, slot } => self.on_transfer_start(inst, slot),
                Event::LinkDone { inst, link } => self.on_link_done(inst, link),
                Event::JobDone { inst, job } => {
                    if !self.on_job_done(inst, job) {
                        continue; // stale: the CPU was shared since
                    }
                }
                Event::CpuDone { inst, gen } => {
                    if !self.on_cpu_done(inst, gen) {
                        continue; // stale: the CPU's shares changed since
                    }
                }
                Event::UnloadDone { inst, slot } => self.on_unload_done(inst, slot),
                Event::ServiceDone { inst, req } => self.on_service_done(inst, req),
                Event::InstanceReady { inst } => self.on_instance_ready(inst),
                Event::Expiry { inst, tier } => {
                    if !self.on_expiry(inst, tier) {
                        continue; // nothing idled out
                    }
                }
                Event::Retry { req, gen } => self.on_retry(req, gen),
                Event::Fault { idx } => self.on_fault(idx),
                Event::FaultEnd { idx } => self.on_fault_end(idx),
                Event::Replace { failed } => self.on_replace(failed),
                Event::Minute => {
                    self.on_minute(sink)?;
                    continue;
                }
            }
            self.after_work();
        }
        if let Some(t) = truncated {
            self.now = self.now.max(t.at);
        }
        self.finish(truncated, sink)
    }

    /// Prefetches what the heap's earliest event will read first: the
    /// residency of a load or unload that ends, the request whose service
    /// ends. Those were touched when the work started, long enough ago to
    /// have left the cache, and the event is at most a few events away.
    #[inline]
    fn prefetch_heap_top(&self) {
        match self.agenda.peek_heap() {
            Some(Event::JobDone { inst, job }) => match cpu::Job::unpack(job) {
                cpu::Job::Req(r) => mmesim_engine::prefetch(&self.reqs.slab, r as usize),
                cpu::Job::Load(slot) => self.tiers.prefetch_residency(inst as usize, slot),
            },
            Some(Event::UnloadDone { inst, slot }) => self.tiers.prefetch_residency(inst as usize, slot),
            Some(Event::ServiceDone { req, .. }) => mmesim_engine::prefetch(&self.reqs.slab, req as usize),
            _ => {}
        }
    }

    /// What is still in flight at the horizon, if anything.
    fn truncation(&self, horizon: SimTime) -> Option<Truncation> {
        let busy_slots: u64 = self
            .fleet
            .instances
            .iter()
            .filter(|i| matches!(i.life, Life::InService | Life::Draining))
            .map(|i| i.busy_units() as u64)
            .sum();
        let operations = self.ops_in_flight + self.fleet.replacements_due;
        let requests = self.reqs.live;
        (requests > 0 || operations > 0 || busy_slots > 0).then_some(Truncation {
            at: horizon,
            requests,
            operations,
            busy_slots,
        })
    }

    #[inline]
    fn advance_to(&mut self, t: SimTime) {
        if t < self.now {
            panic!("BUG: time went backwards: {} after {}", t, self.now);
        }
        self.now = t;
        self.events += 1;
    }

    #[inline(always)]
    fn after_work(&mut self) {
        self.last_work = self.now;
        if self.cfg.check_invariants {
            self.check_invariants();
        }
    }

    /// Appends to the run's trace, if recording.
    fn record(&mut self, inst: u32, model: u32, kind: TraceKind) {
        if self.cfg.record_trace {
            self.trace.push(TraceRecord { time: self.now, instance: InstanceId(inst), model: ModelId(model), kind });
        }
    }
}
