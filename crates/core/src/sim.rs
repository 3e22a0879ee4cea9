//! The cluster simulation: events, instances, the request lifecycle.
//!
//! One `match` arm per [`Event`] kind; every state change of a model on an
//! instance goes through a handful of functions (`ensure_model`,
//! `pump_downloads`, `pump_loads`, `start_unload`, …) so the pinning and
//! accounting rules live in one place.

use crate::cw::{Dimension, MetricRow, MinuteAcc};
use crate::evict::{AccessCtx, Evictor, ObjectMeta};
use crate::metrics::{FailReason, FaultWindow, FleetSummary, Metrics, Report, ZoneSummary};
use crate::model::SimConfig;
use crate::model::{FaultKind, ScaleInPick};
use crate::pipe::Pipe;
use crate::route::{
    ClusterView, DiskState, FleetIndex, InstanceStatus, MemState, ModelCopy, RejectReason, RouteDecision, Router,
};
use crate::scale::{Autoscaler, FleetStatus, MinuteMetrics};
use crate::source::{Arrival, RequestSource};
use crate::{Bytes, CoreError, InstanceId, ModelId, Sampler, ZoneId};
use mmesim_engine::{EventQueue, RngStreams, SimDuration, SimRng, SimTime, Stream};
use std::collections::VecDeque;

const NIL: u32 = u32::MAX;

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

/// What a run produces.
#[derive(Clone, Debug)]
pub struct RunResult {
    /// The summary report.
    pub report: Report,
    /// Endpoint metrics per simulated minute.
    pub minutes: Vec<MinuteMetrics>,
    /// CloudWatch-style rows per minute × metric × (instance, zone,
    /// endpoint), if [`SimConfig::record_metrics`](crate::SimConfig::record_metrics).
    pub metrics: Vec<MetricRow>,
    /// The event trace, if recorded.
    pub trace: Vec<TraceRecord>,
    /// Events processed (for throughput measurements).
    pub events: u64,
}

/// An instance's shared links.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Link {
    /// Downloads from the model store.
    Net,
    /// Reads from the disk tier (loads).
    Disk,
}

#[derive(Clone, Copy, Debug)]
enum Event {
    /// The pending arrival (kept in `Simulation::next_arrival`: one at a
    /// time, which keeps this enum small).
    Arrival,
    /// A download's fixed overhead has passed: its bytes start to flow.
    TransferStart {
        inst: u32,
        model: u32,
    },
    /// The earliest transfer on a link should be done (stale unless `gen`
    /// is the link's current generation).
    LinkDone {
        inst: u32,
        link: Link,
        gen: u32,
    },
    LoadDone {
        inst: u32,
        model: u32,
    },
    UnloadDone {
        inst: u32,
        model: u32,
    },
    ServiceDone {
        inst: u32,
        req: u32,
    },
    InstanceReady {
        inst: u32,
    },
    /// The client retries request `req`.
    Retry {
        req: u32,
        gen: u32,
    },
    /// Fault number `idx` of the configuration strikes.
    Fault {
        idx: u32,
    },
    /// Fault number `idx` ends (its zone comes back).
    FaultEnd {
        idx: u32,
    },
    /// Replace failed instance `failed` (in its zone if that zone is up).
    Replace {
        failed: u32,
    },
    /// A keep-alive evictor said an object of this tier may have idled out.
    Expiry {
        inst: u32,
        tier: Tier,
    },
    Minute,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReqState {
    Free,
    WaitModel,
    WaitSlot,
    Serving,
    /// Timed out (or lost with its instance) while linked in a wait list or
    /// in service; freed when unlinked or when its service event comes.
    Dead,
    /// Waiting for the client's retry (no instance).
    Retrying,
}

#[derive(Clone, Copy, Debug)]
struct Req {
    seq: u64,
    model: u32,
    inst: u32,
    arrival: SimTime,
    ready: SimTime,
    service: SimDuration,
    next: u32,
    gen: u32,
    state: ReqState,
    hit: bool,
    measured: bool,
    timeout_armed: bool,
    /// Retries made so far.
    attempt: u32,
    /// Start of the current attempt (its timeout counts from here).
    started: SimTime,
}

#[derive(Clone, Copy, Debug)]
struct ModelSlot {
    mem: MemState,
    disk: DiskState,
    /// Requests queued for a slot or being served for this model here.
    pins: u32,
    /// Requests waiting for this model's download/load (intrusive list).
    head: u32,
    tail: u32,
    /// Reload once the running unload ends.
    reload: bool,
    /// The instance's recency list of loaded models (intrusive): newer and
    /// older neighbours, and when the model was last used.
    newer: u32,
    older: u32,
    last_used: SimTime,
    /// Start of the download, load or unload under way (for their times).
    t0: SimTime,
}

const EMPTY_SLOT: ModelSlot = ModelSlot {
    mem: MemState::Absent,
    disk: DiskState::Absent,
    pins: 0,
    head: NIL,
    tail: NIL,
    reload: false,
    newer: NIL,
    older: NIL,
    last_used: SimTime::ZERO,
    t0: SimTime::ZERO,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Life {
    Launching,
    InService,
    Draining,
    Removed,
    /// Lost to a fault: memory, disk and requests gone; never returns.
    Failed,
}

struct Instance {
    life: Life,
    slots_total: u32,
    slots_busy: u32,
    slot_queue: VecDeque<u32>,
    /// Live requests waiting here (for a model or a slot).
    queued: u32,
    mem_cap: u64,
    mem_used: u64,
    mem_unloading: u64,
    disk_cap: u64,
    disk_used: u64,
    /// Artifact bytes of models being unloaded (they unpin when it ends).
    disk_unpinning: u64,
    downloads_active: u32,
    loads_active: u32,
    max_downloads: u32,
    max_loads: u32,
    download_queue: VecDeque<u32>,
    load_queue: VecDeque<u32>,
    net: Pipe,
    disk_io: Pipe,
    models: Vec<ModelSlot>,
    mem_ev: Box<dyn Evictor>,
    disk_ev: Box<dyn Evictor>,
    loaded: u32,
    /// Most and least recently used loaded models (the recency list through
    /// `ModelSlot::newer/older`), for `InstanceStatus::lru_last_used`.
    mru: u32,
    lru: u32,
    /// Earliest pending `Expiry` event per tier (memory, disk).
    expiry_armed: [Option<SimTime>; 2],
    busy_area: u128,
    busy_area_at_minute: u128,
    /// This minute's CloudWatch accumulators.
    acc: MinuteAcc,
    last_change: SimTime,
    launched_at: SimTime,
    ended_at: Option<SimTime>,
}

const _: () = assert!(std::mem::size_of::<Event>() <= 12, "keep events small: the heap moves them");

impl Event {
    /// The instance whose state the event changes, if any.
    fn instance(&self) -> Option<u32> {
        match *self {
            Event::TransferStart { inst, .. }
            | Event::LinkDone { inst, .. }
            | Event::LoadDone { inst, .. }
            | Event::UnloadDone { inst, .. }
            | Event::ServiceDone { inst, .. }
            | Event::InstanceReady { inst }
            | Event::Expiry { inst, .. } => Some(inst),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Timer {
    at: SimTime,
    seq: u64,
    req: u32,
    gen: u32,
}

struct ModelInfo {
    memory: u64,
    artifact: u64,
    service: Sampler,
    /// Uncontended download time (overhead + artifact at full bandwidth).
    download_time: SimDuration,
    /// Uncontended load time (artifact at full disk throughput + overhead).
    load_time: SimDuration,
    load_overhead: SimDuration,
    unload_time: SimDuration,
}

/// A configured run, ready to go: build with [`Simulation::new`], then
/// [`run`](Simulation::run).
pub struct Simulation {
    cfg: SimConfig,
    models: Vec<ModelInfo>,
    q: EventQueue<Event>,
    now: SimTime,
    source: Box<dyn RequestSource>,
    source_done: bool,
    next_arrival: Option<Arrival>,
    /// Timeouts, armed at arrival with a fixed timeout, so in deadline
    /// order: a FIFO merged with the event queue by `(time, seq)`.
    timeouts: VecDeque<Timer>,
    last_arrival: SimTime,
    service_rng: SimRng,
    router: Box<dyn Router>,
    autoscaler: Box<dyn Autoscaler>,
    evictors: EvictorFactory,
    instances: Vec<Instance>,
    status: Vec<InstanceStatus>,
    fleet: FleetIndex,
    copies: Vec<Vec<ModelCopy>>,
    model_memory: Vec<Bytes>,
    reqs: Vec<Req>,
    free_reqs: Vec<u32>,
    m: Metrics,
    minutes: Vec<MinuteMetrics>,
    trace: Vec<TraceRecord>,
    vtime: u64,
    seq: u64,
    events: u64,
    last_work: SimTime,
    peak_in_service: u32,
    /// Downloads, loads and unloads under way, and launches pending: with
    /// live requests, what keeps the minute ticks going after arrivals end.
    ops_in_flight: u64,
    live_requests: u64,
    scratch: Vec<u32>,
    zones: Vec<ZoneSummary>,
    /// Outages under way per zone (overlapping outages count separately).
    zone_down: Vec<u32>,
    /// Failed instances waiting for a zone to come back to be replaced.
    pending_replacements: Vec<u32>,
    fault_windows: Vec<FaultWindow>,
    /// Replacements scheduled or waiting for a zone.
    replacements_due: u64,
    /// Endpoint-level counts with no instance (4XX with no instance
    /// accepting, …) for the current minute.
    endpoint_acc: MinuteAcc,
    metric_rows: Vec<MetricRow>,
    minute_index: u64,
}

fn dur_for(bytes: u64, per_s: f64) -> SimDuration {
    SimDuration::from_secs_f64(bytes as f64 / per_s)
}

impl Simulation {
    /// Validates the configuration and sets up the initial fleet.
    pub fn new(cfg: SimConfig, source: Box<dyn RequestSource>, policies: Policies) -> Result<Simulation, CoreError> {
        let ty = &cfg.cluster.instance_type;
        ty.validate().map_err(|e| CoreError::config(format!("instance type `{}`: {e}", ty.name)))?;
        if cfg.models.is_empty() {
            return Err(CoreError::config("the endpoint has no models"));
        }
        if cfg.models.len() >= u32::MAX as usize {
            return Err(CoreError::config("too many models"));
        }
        if cfg.cluster.zones.is_empty() {
            return Err(CoreError::config("at least one availability zone is needed"));
        }
        if cfg.cluster.zones.len() > u16::MAX as usize {
            return Err(CoreError::config("too many zones"));
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
        let mut models = Vec::with_capacity(cfg.models.len());
        for (i, ms) in cfg.models.iter().enumerate() {
            ms.service_ms
                .validate()
                .map_err(|e| CoreError::config(format!("model {i} (`{}`) service_ms: {e}", ms.name)))?;
            models.push(ModelInfo {
                memory: ms.memory.0,
                artifact: ms.artifact.0,
                service: ms.service_ms.sampler(),
                download_time: cfg.cluster.download_overhead + dur_for(ms.artifact.0, ty.download_bytes_per_s),
                load_time: ms.load_overhead + dur_for(ms.artifact.0, ty.storage.read_bytes_per_s),
                load_overhead: ms.load_overhead,
                unload_time: ms.unload_time,
            });
        }
        let model_memory = cfg.models.iter().map(|m| m.memory).collect();
        let streams = RngStreams::new(cfg.seed);
        let mut sim = Simulation {
            copies: vec![Vec::new(); models.len()],
            models,
            q: EventQueue::with_capacity(1024),
            now: SimTime::ZERO,
            source,
            source_done: false,
            next_arrival: None,
            timeouts: VecDeque::new(),
            last_arrival: SimTime::ZERO,
            service_rng: streams.stream(Stream::Service),
            router: policies.router,
            autoscaler: policies.autoscaler,
            evictors: policies.evictors,
            instances: Vec::new(),
            status: Vec::new(),
            fleet: FleetIndex::default(),
            model_memory,
            reqs: Vec::new(),
            free_reqs: Vec::new(),
            m: Metrics::new(),
            minutes: Vec::new(),
            trace: Vec::new(),
            vtime: 0,
            seq: 0,
            events: 0,
            last_work: SimTime::ZERO,
            peak_in_service: 0,
            ops_in_flight: 0,
            live_requests: 0,
            scratch: Vec::new(),
            zones: Vec::new(),
            zone_down: Vec::new(),
            pending_replacements: Vec::new(),
            fault_windows: Vec::new(),
            replacements_due: 0,
            endpoint_acc: MinuteAcc::default(),
            metric_rows: Vec::new(),
            minute_index: 0,
            cfg,
        };
        sim.zones =
            sim.cfg.cluster.zones.iter().map(|z| ZoneSummary { name: z.clone(), ..Default::default() }).collect();
        sim.zone_down = vec![0; sim.cfg.cluster.zones.len()];
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
            sim.q.push(SimTime::ZERO + f.at, Event::Fault { idx: i as u32 });
        }
        for _ in 0..sim.cfg.cluster.instances {
            let zone = ZoneId((sim.instances.len() % sim.cfg.cluster.zones.len()) as u16);
            sim.add_instance(zone, Life::InService);
        }
        sim.peak_in_service = sim.cfg.cluster.instances;
        Ok(sim)
    }

    fn add_instance(&mut self, zone: ZoneId, life: Life) -> u32 {
        let id = self.instances.len() as u32;
        let ty = &self.cfg.cluster.instance_type;
        let c = &self.cfg.cluster;
        let or_vcpus = |n: u32| if n == 0 { ty.vcpus } else { n };
        let inst = Instance {
            life,
            slots_total: ty.slots(),
            slots_busy: 0,
            slot_queue: VecDeque::new(),
            queued: 0,
            mem_cap: ty.model_memory().0,
            mem_used: 0,
            mem_unloading: 0,
            disk_cap: ty.storage.size.0,
            disk_used: 0,
            disk_unpinning: 0,
            downloads_active: 0,
            loads_active: 0,
            max_downloads: or_vcpus(c.max_concurrent_downloads),
            max_loads: or_vcpus(c.max_concurrent_loads),
            download_queue: VecDeque::new(),
            load_queue: VecDeque::new(),
            net: Pipe::new(ty.download_bytes_per_s),
            disk_io: Pipe::new(ty.storage.read_bytes_per_s),
            models: vec![EMPTY_SLOT; self.models.len()],
            mem_ev: (self.evictors)(InstanceId(id), Tier::Memory, ty.model_memory()),
            disk_ev: (self.evictors)(InstanceId(id), Tier::Disk, ty.storage.size),
            loaded: 0,
            mru: NIL,
            lru: NIL,
            expiry_armed: [None, None],
            busy_area: 0,
            busy_area_at_minute: 0,
            acc: MinuteAcc::default(),
            last_change: self.now,
            launched_at: self.now,
            ended_at: None,
        };
        self.status.push(InstanceStatus {
            id: InstanceId(id),
            zone,
            healthy: life == Life::InService,
            draining: false,
            outstanding: 0,
            serving: 0,
            queued_for_slot: 0,
            slots: inst.slots_total,
            memory_capacity: Bytes(inst.mem_cap),
            memory_free: Bytes(inst.mem_cap),
            loaded_models: 0,
            lru_last_used: None,
        });
        self.instances.push(inst);
        self.fleet.update(&self.status[id as usize], false);
        id
    }

    /// Puts a loaded model at the head of the instance's recency list.
    fn recency_touch(&mut self, inst: u32, model: u32, insert: bool) {
        let now = self.now;
        let it = &mut self.instances[inst as usize];
        if !insert && it.mru == model {
            it.models[model as usize].last_used = now;
            if it.lru == model {
                self.sync_lru_age(inst);
            }
            return;
        }
        // Only a change at the least-recent end moves `lru_last_used`.
        let lru_changes = it.lru == model || it.lru == NIL;
        if !insert {
            Self::recency_unlink(it, model);
        }
        let m = model as usize;
        it.models[m].newer = NIL;
        it.models[m].older = it.mru;
        it.models[m].last_used = now;
        if it.mru != NIL {
            it.models[it.mru as usize].newer = model;
        } else {
            it.lru = model;
        }
        it.mru = model;
        if lru_changes {
            self.sync_lru_age(inst);
        }
    }

    fn recency_unlink(it: &mut Instance, model: u32) {
        let (newer, older) = (it.models[model as usize].newer, it.models[model as usize].older);
        if newer != NIL {
            it.models[newer as usize].older = older;
        } else {
            it.mru = older;
        }
        if older != NIL {
            it.models[older as usize].newer = newer;
        } else {
            it.lru = newer;
        }
    }

    fn sync_lru_age(&mut self, inst: u32) {
        let it = &self.instances[inst as usize];
        self.status[inst as usize].lru_last_used = (it.lru != NIL).then(|| it.models[it.lru as usize].last_used);
    }

    /// Changes an instance's health or draining flags, keeping the routing
    /// index in step.
    fn set_flags(&mut self, inst: u32, healthy: bool, draining: bool) {
        let st = &mut self.status[inst as usize];
        let was = st.accepts();
        st.healthy = healthy;
        st.draining = draining;
        self.fleet.update(&self.status[inst as usize], was);
    }

    /// Runs to completion: until the source is exhausted (or its arrivals
    /// pass the configured duration) and every admitted request has ended.
    pub fn run(mut self) -> RunResult {
        self.schedule_next_arrival();
        self.q.push(SimTime::from_secs(60), Event::Minute);
        loop {
            let timer_first = match (self.timeouts.front(), self.q.peek_key()) {
                (None, None) => break,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some(tm), Some(key)) => (tm.at, tm.seq) < key,
            };
            if timer_first {
                let Some(tm) = self.timeouts.pop_front() else { break };
                self.advance_to(tm.at);
                if !self.on_timeout(tm.req, tm.gen) {
                    continue; // stale: the request started or ended in time
                }
                self.after_work();
                continue;
            }
            let Some((t, ev)) = self.q.pop() else { break };
            self.advance_to(t);
            if let Some(inst) = ev.instance() {
                if self.instances[inst as usize].life == Life::Failed {
                    // Work of a lost instance: nothing happens any more.
                    if let Event::ServiceDone { req, .. } = ev {
                        self.free_req(req);
                    }
                    continue;
                }
            }
            match ev {
                Event::Arrival => {
                    let Some(a) = self.next_arrival.take() else {
                        panic!("BUG: arrival event without a pending arrival")
                    };
                    self.on_arrival(a);
                    self.schedule_next_arrival();
                }
                Event::TransferStart { inst, model } => {
                    let bytes = self.models[model as usize].artifact;
                    self.start_transfer(inst, Link::Net, model, bytes);
                }
                Event::LinkDone { inst, link, gen } => {
                    if !self.on_link_done(inst, link, gen) {
                        continue; // stale: the link's shares changed since
                    }
                }
                Event::LoadDone { inst, model } => self.on_load_done(inst, model),
                Event::UnloadDone { inst, model } => self.on_unload_done(inst, model),
                Event::ServiceDone { inst, req } => self.on_service_done(inst, req),
                Event::InstanceReady { inst } => self.on_instance_ready(inst),
                Event::Expiry { inst, tier } => {
                    if !self.on_expiry(inst, tier) {
                        continue; // nothing idled out
                    }
                }
                Event::Retry { req, gen } => {
                    if self.reqs[req as usize].gen != gen || self.reqs[req as usize].state != ReqState::Retrying {
                        panic!("BUG: retry of request slot {req} in state {:?}", self.reqs[req as usize].state);
                    }
                    let p = self.reqs[req as usize];
                    self.dispatch(p, Some(req));
                }
                Event::Fault { idx } => self.on_fault(idx),
                Event::FaultEnd { idx } => self.on_fault_end(idx),
                Event::Replace { failed } => self.on_replace(failed),
                Event::Minute => {
                    self.on_minute();
                    continue;
                }
            }
            self.after_work();
        }
        self.finish()
    }

    fn advance_to(&mut self, t: SimTime) {
        if t < self.now {
            panic!("BUG: time went backwards: {} after {}", t, self.now);
        }
        self.now = t;
        self.events += 1;
    }

    fn after_work(&mut self) {
        self.last_work = self.now;
        if self.cfg.check_invariants {
            self.check_invariants();
        }
    }

    fn schedule_next_arrival(&mut self) {
        if self.source_done {
            return;
        }
        match self.source.next_arrival() {
            Some(a) if a.time.as_nanos() < self.cfg.duration.as_nanos() => {
                if a.time < self.last_arrival {
                    panic!("BUG: request source went back in time ({} after {})", a.time, self.last_arrival);
                }
                self.last_arrival = a.time;
                if a.model.index() >= self.models.len() {
                    panic!("BUG: request source produced model {} of {}", a.model, self.models.len());
                }
                self.next_arrival = Some(a);
                self.q.push(a.time, Event::Arrival);
            }
            _ => self.source_done = true,
        }
    }

    // ----- requests ---------------------------------------------------------

    fn ctx(&mut self) -> AccessCtx {
        let c = AccessCtx { now: self.now, vtime: self.vtime, next_access: None };
        self.vtime += 1;
        c
    }

    fn record(&mut self, inst: u32, model: u32, kind: TraceKind) {
        if self.cfg.record_trace {
            self.trace.push(TraceRecord { time: self.now, instance: InstanceId(inst), model: ModelId(model), kind });
        }
    }

    fn reject(&mut self, seq: u64, model: u32, reason: RejectReason, measured: bool) {
        *self.m.rejected.entry(reason).or_insert(0) += 1;
        self.m.measured_rejected += measured as u64;
        self.m.minute.rejected += 1;
        self.record(NIL, model, TraceKind::Rejected { seq, reason });
    }

    fn on_arrival(&mut self, a: Arrival) {
        let seq = self.seq;
        self.seq += 1;
        let model = a.model.0;
        // Drawn for every arrival, whatever happens to it, so the service
        // stream never depends on a policy.
        let drawn = self.models[model as usize].service.sample(&mut self.service_rng);
        let service = a.service.unwrap_or_else(|| SimDuration::from_millis_f64(drawn));
        let measured = self.now.as_nanos() >= self.cfg.warmup.as_nanos();
        self.m.arrived += 1;
        self.m.minute.invocations += 1;
        if measured {
            self.m.measured += 1;
        }
        let req = Req {
            seq,
            model,
            inst: NIL,
            arrival: self.now,
            ready: self.now,
            service,
            next: NIL,
            gen: 0,
            state: ReqState::Free,
            hit: false,
            measured,
            timeout_armed: false,
            attempt: 0,
            started: self.now,
        };
        self.dispatch(req, None);
    }

    /// Routes a request (a new arrival, or a retry held in slab entry
    /// `existing`) and admits it to the chosen instance.
    fn dispatch(&mut self, mut req: Req, existing: Option<u32>) {
        let (seq, model) = (req.seq, req.model);
        let view = ClusterView {
            instances: &self.status,
            copies: &self.copies,
            model_memory: &self.model_memory,
            fleet: &self.fleet,
            now: self.now,
        };
        let inst = match self.router.route(ModelId(model), &view) {
            RouteDecision::To(i) => i.0,
            RouteDecision::Reject(r) => {
                self.endpoint_acc.errors_4xx += 1;
                return self.reject_or_retry(req, existing, r);
            }
        };
        match self.status.get(inst as usize) {
            Some(s) if s.accepts() => {}
            _ => panic!("BUG: router `{}` chose instance {inst}, which does not accept requests", self.router.name()),
        }
        let zone = self.status[inst as usize].zone.index();
        let info = &self.models[model as usize];
        let it = &self.instances[inst as usize];
        let fail = if info.memory > it.mem_cap {
            Some(FailReason::ModelTooLarge)
        } else if info.artifact > it.disk_cap {
            Some(FailReason::ArtifactTooLarge)
        } else {
            None
        };
        let slot = it.models[model as usize];
        let hit = slot.mem == MemState::Loaded;
        if req.measured {
            self.m.measured_routed += 1;
            self.m.measured_hits += hit as u64;
            self.zones[zone].requests += 1;
            self.zones[zone].hits += hit as u64;
        }
        self.m.minute_routed += 1;
        self.m.minute_hits += hit as u64;
        let acc = &mut self.instances[inst as usize].acc;
        acc.invocations += 1;
        acc.hits += hit as u64;
        if let Some(reason) = fail {
            if let Some(r) = existing {
                self.free_req(r);
            }
            self.live_requests -= existing.is_some() as u64;
            return self.count_failure(seq, inst, model, reason, req.measured);
        }
        let k = self.cfg.cluster.cpu_per_request;
        let it = &self.instances[inst as usize];
        let would_wait = !hit || !it.slot_queue.is_empty() || it.slots_total - it.slots_busy < k;
        if would_wait && it.queued >= self.cfg.cluster.queue_limit {
            self.instances[inst as usize].acc.errors_4xx += 1;
            return self.reject_or_retry(req, existing, RejectReason::Throttled);
        }
        req.inst = inst;
        req.hit = hit;
        req.ready = self.now;
        req.started = self.now;
        req.next = NIL;
        req.timeout_armed = false;
        let r = match existing {
            Some(r) => {
                req.gen = self.reqs[r as usize].gen;
                self.reqs[r as usize] = req;
                r
            }
            None => self.alloc_req(req),
        };
        let st = &mut self.status[inst as usize];
        st.outstanding += 1;
        self.fleet.load_changed(inst, st.outstanding - 1, st.outstanding);
        if hit {
            let ctx = self.ctx();
            self.instances[inst as usize].mem_ev.on_access(model, ctx);
            self.recency_touch(inst, model, false);
            self.arm_expiry(inst, Tier::Memory);
            self.enqueue_for_slot(inst, r);
        } else {
            if matches!(slot.mem, MemState::Pending | MemState::Loading) {
                self.m.cache.joined_in_flight += 1;
            }
            let it = &mut self.instances[inst as usize];
            let s = &mut it.models[model as usize];
            if s.tail == NIL {
                s.head = r;
            } else {
                self.reqs[s.tail as usize].next = r;
            }
            s.tail = r;
            it.queued += 1;
            self.reqs[r as usize].state = ReqState::WaitModel;
            self.arm_timeout(r);
            self.ensure_model(inst, model);
        }
    }

    fn count_failure(&mut self, seq: u64, inst: u32, model: u32, reason: FailReason, measured: bool) {
        *self.m.failed.entry(reason).or_insert(0) += 1;
        self.m.measured_failed += measured as u64;
        self.m.minute.failed += 1;
        if inst != NIL {
            self.zones[self.status[inst as usize].zone.index()].failed += 1;
            self.instances[inst as usize].acc.errors_5xx += 1;
        } else {
            self.endpoint_acc.errors_5xx += 1;
        }
        self.record(inst, model, TraceKind::Failed { seq, reason });
    }

    /// Whether the client retries after this outcome.
    fn will_retry(&self, attempt: u32) -> bool {
        attempt < self.cfg.client.retries
    }

    /// Schedules the client's next attempt for the request in slab entry
    /// `r` (or a new entry) with exponential backoff.
    fn schedule_retry(&mut self, mut req: Req, existing: Option<u32>) {
        let backoff =
            SimDuration::from_nanos(self.cfg.client.backoff.as_nanos().saturating_mul(1 << req.attempt.min(30)));
        req.attempt += 1;
        req.state = ReqState::Retrying;
        req.inst = NIL;
        req.next = NIL;
        let r = match existing {
            Some(r) => {
                // A new generation: timers of the previous attempt go stale.
                req.gen = self.reqs[r as usize].gen.wrapping_add(1);
                self.reqs[r as usize] = req;
                r
            }
            None => self.alloc_req(req),
        };
        self.m.retries += 1;
        let gen = self.reqs[r as usize].gen;
        self.q.push(self.now + backoff, Event::Retry { req: r, gen });
    }

    fn reject_or_retry(&mut self, req: Req, existing: Option<u32>, reason: RejectReason) {
        if self.will_retry(req.attempt) {
            return self.schedule_retry(req, existing);
        }
        if let Some(r) = existing {
            self.free_req(r);
            self.live_requests -= 1;
        }
        self.reject(req.seq, req.model, reason, req.measured);
    }

    fn alloc_req(&mut self, mut req: Req) -> u32 {
        self.live_requests += 1;
        match self.free_reqs.pop() {
            Some(r) => {
                req.gen = self.reqs[r as usize].gen.wrapping_add(1);
                self.reqs[r as usize] = req;
                r
            }
            None => {
                let r = self.reqs.len() as u32;
                self.reqs.push(req);
                r
            }
        }
    }

    fn free_req(&mut self, r: u32) {
        self.reqs[r as usize].state = ReqState::Free;
        self.free_reqs.push(r);
    }

    fn arm_timeout(&mut self, r: u32) {
        let req = &mut self.reqs[r as usize];
        if !req.timeout_armed {
            req.timeout_armed = true;
            let at = req.started + self.cfg.cluster.request_timeout;
            let gen = req.gen;
            if self.timeouts.back().is_some_and(|b| b.at > at) {
                panic!("BUG: timeouts armed out of deadline order");
            }
            let seq = self.q.take_seq();
            self.timeouts.push_back(Timer { at, seq, req: r, gen });
        }
    }

    /// A request whose model is loaded: take slots now, or queue FIFO.
    fn enqueue_for_slot(&mut self, inst: u32, r: u32) {
        let k = self.cfg.cluster.cpu_per_request;
        let model = self.reqs[r as usize].model;
        let it = &mut self.instances[inst as usize];
        it.models[model as usize].pins += 1;
        if it.slot_queue.is_empty() && it.slots_total - it.slots_busy >= k {
            self.start_service(inst, r);
        } else {
            it.slot_queue.push_back(r);
            it.queued += 1;
            self.status[inst as usize].queued_for_slot += 1;
            self.reqs[r as usize].state = ReqState::WaitSlot;
            self.arm_timeout(r);
        }
    }

    fn set_busy(&mut self, inst: u32, busy: u32) {
        let now = self.now;
        let it = &mut self.instances[inst as usize];
        it.busy_area += it.slots_busy as u128 * (now - it.last_change).as_nanos() as u128;
        it.last_change = now;
        it.slots_busy = busy;
    }

    fn start_service(&mut self, inst: u32, r: u32) {
        let k = self.cfg.cluster.cpu_per_request;
        let busy = self.instances[inst as usize].slots_busy + k;
        self.set_busy(inst, busy);
        self.status[inst as usize].serving += 1;
        let now = self.now;
        let req = &mut self.reqs[r as usize];
        req.state = ReqState::Serving;
        let wait = now - req.ready;
        let load_wait = req.ready - req.started;
        let measured = req.measured;
        let hit = req.hit;
        self.q.push(now + req.service, Event::ServiceDone { inst, req: r });
        if !hit {
            self.instances[inst as usize].acc.loading_wait.add(load_wait.as_millis_f64());
        }
        if measured {
            let w = wait.as_nanos();
            self.m.queue_wait.saturating_record(w);
            self.m.queue_wait_sum_ns += w as u128;
            self.m.waited += (w > 0) as u64;
            if !hit {
                let lw = load_wait.as_nanos();
                self.m.loading_wait.saturating_record(lw);
                self.m.loading_wait_sum_ns += lw as u128;
                self.m.loading_wait_n += 1;
            }
        }
    }

    fn on_service_done(&mut self, inst: u32, r: u32) {
        let k = self.cfg.cluster.cpu_per_request;
        let busy = self.instances[inst as usize].slots_busy - k;
        self.set_busy(inst, busy);
        self.status[inst as usize].serving -= 1;
        let req = self.reqs[r as usize];
        let latency = self.now - req.arrival;
        let acc = &mut self.instances[inst as usize].acc;
        acc.model_latency.add(req.service.as_millis_f64());
        acc.overhead_latency.add(latency.saturating_sub(req.service).as_millis_f64());
        self.m.minute_latency.saturating_record(latency.as_nanos());
        self.m.completed += 1;
        self.zones[self.status[inst as usize].zone.index()].completed += 1;
        self.m.minute.completed += 1;
        self.m.minute_latency_sum_ns += latency.as_nanos() as u128;
        if req.measured {
            let l = latency.as_nanos();
            self.m.latency.saturating_record(l);
            self.m.latency_sum_ns += l as u128;
            self.m.latency_n += 1;
        }
        self.record(inst, req.model, TraceKind::Completed { seq: req.seq, latency, hit: req.hit });
        self.free_req(r);
        self.unpin(inst, req.model);
        self.request_left(inst);
        self.drain_slot_queue(inst);
    }

    fn drain_slot_queue(&mut self, inst: u32) {
        let k = self.cfg.cluster.cpu_per_request;
        loop {
            let it = &mut self.instances[inst as usize];
            let Some(&r) = it.slot_queue.front() else { break };
            if self.reqs[r as usize].state == ReqState::Dead {
                it.slot_queue.pop_front();
                self.free_req(r);
                continue;
            }
            if it.slots_total - it.slots_busy < k {
                break;
            }
            it.slot_queue.pop_front();
            it.queued -= 1;
            self.status[inst as usize].queued_for_slot -= 1;
            self.start_service(inst, r);
        }
    }

    fn unpin(&mut self, inst: u32, model: u32) {
        let it = &mut self.instances[inst as usize];
        let s = &mut it.models[model as usize];
        s.pins -= 1;
        if s.pins == 0 {
            if !it.load_queue.is_empty() || !it.download_queue.is_empty() {
                self.pump_downloads(inst);
                self.pump_loads(inst);
            }
            self.arm_expiry(inst, Tier::Memory);
        }
    }

    /// Schedules an `Expiry` check for when the tier's keep-alive evictor
    /// says its next unpinned object idles out (nothing for other policies).
    fn arm_expiry(&mut self, inst: u32, tier: Tier) {
        let it = &self.instances[inst as usize];
        let models = &it.models;
        let next = match tier {
            Tier::Memory => it.mem_ev.next_expiry(&|x| models[x as usize].pins > 0),
            Tier::Disk => it.disk_ev.next_expiry(&|x| models[x as usize].mem != MemState::Absent),
        };
        let Some(t) = next else { return };
        let t = t.max(self.now);
        let slot = &mut self.instances[inst as usize].expiry_armed[tier as usize];
        if slot.is_none_or(|armed| t < armed) {
            *slot = Some(t);
            self.q.push(t, Event::Expiry { inst, tier });
        }
    }

    /// Removes the tier's idled-out unpinned objects (memory: unloads;
    /// disk: deletions) and re-arms. `false` if nothing happened. Once the
    /// workload is over and nothing is in flight, idle expiries are not
    /// simulated: the run ends.
    fn on_expiry(&mut self, inst: u32, tier: Tier) -> bool {
        let now = self.now;
        let slot = &mut self.instances[inst as usize].expiry_armed[tier as usize];
        if *slot != Some(now) {
            return false; // superseded by an earlier check at the same or an earlier time
        }
        *slot = None;
        if self.source_done && self.live_requests == 0 {
            return false;
        }
        if self.instances[inst as usize].life == Life::Removed {
            return false;
        }
        let mut any = false;
        loop {
            let it = &mut self.instances[inst as usize];
            let models = &it.models;
            let v = match tier {
                Tier::Memory => it.mem_ev.expired(now, &|x| models[x as usize].pins > 0),
                Tier::Disk => it.disk_ev.expired(now, &|x| models[x as usize].mem != MemState::Absent),
            };
            let Some(v) = v else { break };
            any = true;
            match tier {
                Tier::Memory => {
                    let s = it.models[v as usize];
                    if s.mem != MemState::Loaded || s.pins > 0 {
                        panic!(
                            "BUG: evictor `{}` let model {v} expire in state {:?} with {} pins",
                            it.mem_ev.name(),
                            s.mem,
                            s.pins
                        );
                    }
                    self.start_unload(inst, v);
                }
                Tier::Disk => self.delete_artifact(inst, v, "let expire"),
            }
        }
        if any {
            self.m.cache.expired += 1;
        }
        self.arm_expiry(inst, tier);
        if any && tier == Tier::Disk {
            self.pump_downloads(inst);
        }
        any
    }

    /// A request routed to `inst` has ended (completed or failed there).
    fn request_left(&mut self, inst: u32) {
        self.live_requests -= 1;
        let st = &mut self.status[inst as usize];
        st.outstanding -= 1;
        self.fleet.load_changed(inst, st.outstanding + 1, st.outstanding);
        if st.outstanding == 0 && self.instances[inst as usize].life == Life::Draining {
            self.remove_instance(inst);
        }
    }

    /// Fails a request still waiting at its deadline; `false` if the event
    /// is stale.
    fn on_timeout(&mut self, r: u32, gen: u32) -> bool {
        let req = self.reqs[r as usize];
        if req.gen != gen {
            return false;
        }
        match req.state {
            ReqState::WaitModel | ReqState::WaitSlot => {}
            _ => return false,
        }
        self.reqs[r as usize].state = ReqState::Dead;
        self.instances[req.inst as usize].queued -= 1;
        self.instances[req.inst as usize].acc.errors_5xx += 1;
        self.zones[self.status[req.inst as usize].zone.index()].failed += 1;
        *self.m.failed.entry(FailReason::Timeout).or_insert(0) += 1;
        self.m.measured_failed += req.measured as u64;
        self.m.minute.failed += 1;
        self.record(req.inst, req.model, TraceKind::Failed { seq: req.seq, reason: FailReason::Timeout });
        if req.state == ReqState::WaitSlot {
            self.status[req.inst as usize].queued_for_slot -= 1;
            self.unpin(req.inst, req.model);
        }
        self.request_left(req.inst);
        true
    }

    // ----- models on an instance ------------------------------------------

    fn sync_copy(&mut self, inst: u32, model: u32) {
        let s = self.instances[inst as usize].models[model as usize];
        let list = &mut self.copies[model as usize];
        let pos = list.iter().position(|c| c.instance.0 == inst);
        let gone = s.mem == MemState::Absent && s.disk == DiskState::Absent;
        match (pos, gone) {
            (Some(p), true) => {
                list.swap_remove(p);
            }
            (Some(p), false) => {
                list[p].memory = s.mem;
                list[p].disk = s.disk;
            }
            (None, false) => list.push(ModelCopy { instance: InstanceId(inst), memory: s.mem, disk: s.disk }),
            (None, true) => {}
        }
    }

    fn sync_status(&mut self, inst: u32) {
        let it = &self.instances[inst as usize];
        let st = &mut self.status[inst as usize];
        st.memory_free = Bytes(it.mem_cap - it.mem_used);
        st.loaded_models = it.loaded;
    }

    /// A request wants `model` in memory on `inst`: start (or join) the path
    /// download → load.
    fn ensure_model(&mut self, inst: u32, model: u32) {
        let it = &mut self.instances[inst as usize];
        let s = &mut it.models[model as usize];
        match s.mem {
            MemState::Absent => {
                s.mem = MemState::Pending;
                match s.disk {
                    DiskState::Present => {
                        it.load_queue.push_back(model);
                        self.sync_copy(inst, model);
                        self.pump_loads(inst);
                    }
                    DiskState::Pending | DiskState::Downloading => self.sync_copy(inst, model),
                    DiskState::Absent => {
                        s.disk = DiskState::Pending;
                        it.download_queue.push_back(model);
                        self.sync_copy(inst, model);
                        self.pump_downloads(inst);
                    }
                }
            }
            MemState::Unloading => s.reload = true,
            MemState::Pending | MemState::Loading => {}
            MemState::Loaded => panic!("BUG: ensure_model on a loaded model"),
        }
    }

    fn pump_downloads(&mut self, inst: u32) {
        loop {
            let it = &self.instances[inst as usize];
            if it.downloads_active >= it.max_downloads {
                break;
            }
            let Some(&model) = it.download_queue.front() else { break };
            let art = self.models[model as usize].artifact;
            if !self.make_disk_room(inst, art) {
                break;
            }
            let it = &mut self.instances[inst as usize];
            it.download_queue.pop_front();
            it.disk_used += art;
            it.downloads_active += 1;
            it.models[model as usize].disk = DiskState::Downloading;
            it.models[model as usize].t0 = self.now;
            self.sync_copy(inst, model);
            self.m.cache.downloads += 1;
            self.ops_in_flight += 1;
            self.record(inst, model, TraceKind::DownloadStart);
            let overhead = self.cfg.cluster.download_overhead;
            if overhead == SimDuration::ZERO {
                self.start_transfer(inst, Link::Net, model, art);
            } else {
                self.q.push(self.now + overhead, Event::TransferStart { inst, model });
            }
        }
    }

    /// Frees disk room for `need` bytes: deletes unpinned artifacts at once;
    /// if that is not enough, unloads idle models so that their artifacts
    /// unpin. Returns whether the room is there now.
    fn make_disk_room(&mut self, inst: u32, need: u64) -> bool {
        loop {
            let it = &mut self.instances[inst as usize];
            let free = it.disk_cap - it.disk_used;
            if free >= need {
                return true;
            }
            let models = &it.models;
            if let Some(v) = it.disk_ev.victim(&|x| models[x as usize].mem != MemState::Absent) {
                self.delete_artifact(inst, v, "proposed");
                continue;
            }
            if free + it.disk_unpinning >= need {
                return false; // unloads under way will unpin enough
            }
            match self.mem_victim(inst) {
                Some(v) => self.start_unload(inst, v),
                None => return false,
            }
        }
    }

    /// Deletes an unpinned artifact the disk evictor chose (to make room,
    /// or because it idled out); `why` is for the `BUG:` message.
    fn delete_artifact(&mut self, inst: u32, v: u32, why: &str) {
        let it = &mut self.instances[inst as usize];
        let s = &mut it.models[v as usize];
        if s.disk != DiskState::Present || s.mem != MemState::Absent {
            panic!("BUG: disk evictor `{}` {why} artifact {v} in state {:?}/{:?}", it.disk_ev.name(), s.disk, s.mem);
        }
        it.disk_ev.on_remove(v);
        s.disk = DiskState::Absent;
        it.disk_used -= self.models[v as usize].artifact;
        self.m.cache.disk_evictions += 1;
        self.sync_copy(inst, v);
        self.record(inst, v, TraceKind::DiskEvict);
    }

    fn mem_victim(&mut self, inst: u32) -> Option<u32> {
        let it = &mut self.instances[inst as usize];
        let models = &it.models;
        let v = it.mem_ev.victim(&|x| models[x as usize].pins > 0)?;
        let s = models[v as usize];
        if s.mem != MemState::Loaded || s.pins > 0 {
            panic!(
                "BUG: memory evictor `{}` proposed model {v} in state {:?} with {} pins",
                it.mem_ev.name(),
                s.mem,
                s.pins
            );
        }
        Some(v)
    }

    fn on_download_done(&mut self, inst: u32, model: u32) {
        let info = &self.models[model as usize];
        let meta = ObjectMeta { size: Bytes(info.artifact), reload_cost: info.download_time.as_secs_f64() };
        let ctx = self.ctx();
        self.ops_in_flight -= 1;
        let now = self.now;
        let it = &mut self.instances[inst as usize];
        it.downloads_active -= 1;
        it.acc.downloading.add((now - it.models[model as usize].t0).as_millis_f64());
        let s = &mut it.models[model as usize];
        s.disk = DiskState::Present;
        it.disk_ev.on_insert(model, meta, ctx);
        self.arm_expiry(inst, Tier::Disk);
        let it = &mut self.instances[inst as usize];
        let s = &mut it.models[model as usize];
        if s.mem == MemState::Pending {
            it.load_queue.push_back(model);
        }
        self.sync_copy(inst, model);
        self.record(inst, model, TraceKind::DownloadEnd);
        self.pump_loads(inst);
        self.pump_downloads(inst);
    }

    fn pump_loads(&mut self, inst: u32) {
        loop {
            let it = &self.instances[inst as usize];
            if it.loads_active >= it.max_loads {
                break;
            }
            let Some(&model) = it.load_queue.front() else { break };
            let size = self.models[model as usize].memory;
            if !self.make_mem_room(inst, size) {
                break;
            }
            let ctx = self.ctx();
            let it = &mut self.instances[inst as usize];
            it.load_queue.pop_front();
            it.mem_used += size;
            it.loads_active += 1;
            it.models[model as usize].mem = MemState::Loading;
            it.models[model as usize].t0 = self.now;
            it.disk_ev.on_access(model, ctx);
            self.sync_copy(inst, model);
            self.sync_status(inst);
            self.m.cache.loads += 1;
            self.ops_in_flight += 1;
            self.m.minute.loads += 1;
            self.zones[self.status[inst as usize].zone.index()].loads += 1;
            self.record(inst, model, TraceKind::LoadStart);
            let art = self.models[model as usize].artifact;
            self.start_transfer(inst, Link::Disk, model, art);
        }
    }

    /// Starts moving `bytes` for `model` on one of `inst`'s shared links.
    fn start_transfer(&mut self, inst: u32, link: Link, model: u32, bytes: u64) {
        let it = &mut self.instances[inst as usize];
        let pipe = match link {
            Link::Net => &mut it.net,
            Link::Disk => &mut it.disk_io,
        };
        let (at, gen) = pipe.start(self.now, model, bytes);
        self.q.push(at, Event::LinkDone { inst, link, gen });
    }

    /// Transfers on a link finished: downloads are done; loads have read
    /// their artifact and spend their fixed overhead next. `false` if the
    /// event is stale.
    fn on_link_done(&mut self, inst: u32, link: Link, gen: u32) -> bool {
        let mut done = std::mem::take(&mut self.scratch);
        done.clear();
        let it = &mut self.instances[inst as usize];
        let pipe = match link {
            Link::Net => &mut it.net,
            Link::Disk => &mut it.disk_io,
        };
        let Some(next) = pipe.complete(self.now, gen, &mut done) else {
            self.scratch = done;
            return false;
        };
        if let Some((at, gen)) = next {
            self.q.push(at, Event::LinkDone { inst, link, gen });
        }
        for &model in &done {
            match link {
                Link::Net => self.on_download_done(inst, model),
                Link::Disk => {
                    let overhead = self.models[model as usize].load_overhead;
                    if overhead == SimDuration::ZERO {
                        self.on_load_done(inst, model);
                    } else {
                        self.q.push(self.now + overhead, Event::LoadDone { inst, model });
                    }
                }
            }
        }
        self.scratch = done;
        true
    }

    /// Frees memory for `need` bytes by unloading idle models. Returns
    /// whether the room is free now (unloads take time: usually not).
    fn make_mem_room(&mut self, inst: u32, need: u64) -> bool {
        loop {
            let it = &self.instances[inst as usize];
            let free = it.mem_cap - it.mem_used;
            if free >= need {
                return true;
            }
            if free + it.mem_unloading >= need {
                return false;
            }
            match self.mem_victim(inst) {
                Some(v) => self.start_unload(inst, v),
                None => return false,
            }
        }
    }

    fn start_unload(&mut self, inst: u32, model: u32) {
        let info = &self.models[model as usize];
        let (size, art, ut) = (info.memory, info.artifact, info.unload_time);
        let it = &mut self.instances[inst as usize];
        let s = &mut it.models[model as usize];
        if s.pins > 0 || s.mem != MemState::Loaded {
            panic!("BUG: unloading model {model} on instance {inst} with {} pins in state {:?}", s.pins, s.mem);
        }
        it.mem_ev.on_remove(model);
        s.mem = MemState::Unloading;
        s.t0 = self.now;
        it.loaded -= 1;
        Self::recency_unlink(it, model);
        self.sync_lru_age(inst);
        let it = &mut self.instances[inst as usize];
        it.mem_unloading += size;
        it.disk_unpinning += art;
        self.sync_copy(inst, model);
        self.sync_status(inst);
        self.record(inst, model, TraceKind::UnloadStart);
        self.ops_in_flight += 1;
        self.q.push(self.now + ut, Event::UnloadDone { inst, model });
    }

    fn on_unload_done(&mut self, inst: u32, model: u32) {
        let info = &self.models[model as usize];
        let (size, art) = (info.memory, info.artifact);
        let now = self.now;
        let it = &mut self.instances[inst as usize];
        it.acc.unloading.add((now - it.models[model as usize].t0).as_millis_f64());
        it.mem_used -= size;
        it.mem_unloading -= size;
        it.disk_unpinning -= art;
        let s = &mut it.models[model as usize];
        s.mem = MemState::Absent;
        let reload = std::mem::take(&mut s.reload);
        self.m.cache.unloads += 1;
        self.ops_in_flight -= 1;
        self.m.minute.unloads += 1;
        self.zones[self.status[inst as usize].zone.index()].unloads += 1;
        self.sync_copy(inst, model);
        self.sync_status(inst);
        self.record(inst, model, TraceKind::UnloadEnd);
        self.arm_expiry(inst, Tier::Disk);
        if reload {
            self.ensure_model(inst, model);
        }
        self.pump_downloads(inst);
        self.pump_loads(inst);
    }

    fn on_load_done(&mut self, inst: u32, model: u32) {
        let info = &self.models[model as usize];
        let meta =
            ObjectMeta { size: Bytes(info.memory), reload_cost: (info.load_time + info.download_time).as_secs_f64() };
        let ctx = self.ctx();
        self.ops_in_flight -= 1;
        let now = self.now;
        let it = &mut self.instances[inst as usize];
        it.loads_active -= 1;
        it.acc.loading.add((now - it.models[model as usize].t0).as_millis_f64());
        it.loaded += 1;
        let s = &mut it.models[model as usize];
        s.mem = MemState::Loaded;
        let mut r = std::mem::replace(&mut s.head, NIL);
        s.tail = NIL;
        it.mem_ev.on_insert(model, meta, ctx);
        self.recency_touch(inst, model, true);
        self.sync_copy(inst, model);
        self.sync_status(inst);
        self.record(inst, model, TraceKind::LoadEnd);
        while r != NIL {
            let next = self.reqs[r as usize].next;
            self.reqs[r as usize].next = NIL;
            if self.reqs[r as usize].state == ReqState::Dead {
                self.free_req(r);
            } else {
                self.instances[inst as usize].queued -= 1;
                self.reqs[r as usize].ready = self.now;
                self.enqueue_for_slot(inst, r);
            }
            r = next;
        }
        self.arm_expiry(inst, Tier::Memory);
        self.pump_loads(inst);
    }

    // ----- fleet ------------------------------------------------------------

    /// A fault strikes.
    fn on_fault(&mut self, idx: u32) {
        let f = self.cfg.faults[idx as usize];
        let end = f.duration.map(|d| self.now + d);
        match f.kind {
            FaultKind::InstanceFailure { instance } => {
                let i = instance.0;
                self.fault_windows.push(FaultWindow { start: self.now, end, what: format!("instance {i} fails") });
                if matches!(self.instances[i as usize].life, Life::Launching | Life::InService | Life::Draining) {
                    self.fail_instance(i);
                    let delay =
                        f.duration.or(self.cfg.cluster.replace_failed.then_some(self.cfg.cluster.replacement_delay));
                    if let Some(d) = delay {
                        self.replacements_due += 1;
                        self.q.push(self.now + d, Event::Replace { failed: i });
                    }
                }
            }
            FaultKind::ZoneOutage { zone } => {
                let z = zone.index();
                self.fault_windows.push(FaultWindow {
                    start: self.now,
                    end,
                    what: format!("zone {} out", self.cfg.cluster.zones[z]),
                });
                self.zone_down[z] += 1;
                let victims: Vec<u32> = (0..self.instances.len() as u32)
                    .filter(|&i| {
                        self.status[i as usize].zone.index() == z
                            && matches!(
                                self.instances[i as usize].life,
                                Life::Launching | Life::InService | Life::Draining
                            )
                    })
                    .collect();
                for i in victims {
                    self.fail_instance(i);
                    if self.cfg.cluster.replace_failed {
                        self.replacements_due += 1;
                        self.q.push(self.now + self.cfg.cluster.replacement_delay, Event::Replace { failed: i });
                    }
                }
                if let Some(d) = f.duration {
                    self.q.push(self.now + d, Event::FaultEnd { idx });
                }
            }
        }
    }

    /// A zone comes back: replacements that were waiting for a zone go in.
    fn on_fault_end(&mut self, idx: u32) {
        if let FaultKind::ZoneOutage { zone } = self.cfg.faults[idx as usize].kind {
            self.zone_down[zone.index()] -= 1;
            for failed in std::mem::take(&mut self.pending_replacements) {
                self.place_replacement(failed);
            }
        }
    }

    /// Starts an empty instance in place of `failed`: in its zone if that
    /// zone is up, else in the up zone with the fewest instances; if every
    /// zone is out, when one comes back.
    fn on_replace(&mut self, failed: u32) {
        self.replacements_due -= 1;
        self.place_replacement(failed);
    }

    /// Starts the replacement, or parks it until a zone comes back (a parked
    /// replacement does not keep the run going: if no zone ever returns,
    /// it never starts).
    fn place_replacement(&mut self, failed: u32) {
        let own = self.status[failed as usize].zone.index();
        let zone = if self.zone_down[own] == 0 { Some(own) } else { self.least_populated_up_zone() };
        match zone {
            Some(z) => {
                self.add_instance(ZoneId(z as u16), Life::InService);
                self.m.replacements += 1;
                self.peak_in_service = self.peak_in_service.max(self.in_service());
            }
            None => self.pending_replacements.push(failed),
        }
    }

    fn least_populated_up_zone(&self) -> Option<usize> {
        let mut per_zone = vec![0u32; self.zone_down.len()];
        for (it, st) in self.instances.iter().zip(&self.status) {
            if matches!(it.life, Life::Launching | Life::InService) {
                per_zone[st.zone.index()] += 1;
            }
        }
        (0..per_zone.len()).filter(|&z| self.zone_down[z] == 0).min_by_key(|&z| (per_zone[z], z))
    }

    /// Loses an instance: its memory and disk are gone, its requests fail
    /// (or go back to their clients for a retry), the router stops choosing
    /// it, its pending work never completes, and billing stops.
    fn fail_instance(&mut self, inst: u32) {
        let now = self.now;
        let was_launching = self.instances[inst as usize].life == Life::Launching;
        self.set_flags(inst, false, false);
        {
            let it = &mut self.instances[inst as usize];
            if !was_launching {
                it.busy_area += it.slots_busy as u128 * (now - it.last_change).as_nanos() as u128;
            }
            it.last_change = now;
            it.life = Life::Failed;
            it.ended_at = Some(now);
        }
        self.zones[self.status[inst as usize].zone.index()].instances_failed += 1;
        // Requests on it.
        for r in 0..self.reqs.len() as u32 {
            let q = self.reqs[r as usize];
            if q.inst != inst {
                continue;
            }
            match q.state {
                ReqState::Dead => self.free_req(r), // timed out earlier, still linked
                ReqState::WaitModel | ReqState::WaitSlot | ReqState::Serving => {
                    let serving = q.state == ReqState::Serving;
                    if serving {
                        // Its service event is pending: freed when it comes.
                        self.reqs[r as usize].state = ReqState::Dead;
                    }
                    if self.will_retry(q.attempt) {
                        self.schedule_retry(q, (!serving).then_some(r));
                        if serving {
                            self.live_requests -= 1; // the retry took a new entry
                        }
                    } else {
                        if !serving {
                            self.free_req(r);
                        }
                        self.live_requests -= 1;
                        self.count_failure(q.seq, inst, q.model, FailReason::InstanceFailed, q.measured);
                    }
                }
                _ => {}
            }
        }
        // Its state.
        let unloading =
            self.instances[inst as usize].models.iter().filter(|s| s.mem == MemState::Unloading).count() as u64;
        let it = &mut self.instances[inst as usize];
        self.ops_in_flight -= it.downloads_active as u64 + it.loads_active as u64 + unloading + was_launching as u64;
        let touched: Vec<u32> = (0..it.models.len() as u32)
            .filter(|&m| {
                let s = &it.models[m as usize];
                s.mem != MemState::Absent || s.disk != DiskState::Absent
            })
            .collect();
        it.models.iter_mut().for_each(|s| *s = EMPTY_SLOT);
        it.slot_queue.clear();
        it.download_queue.clear();
        it.load_queue.clear();
        it.net.clear();
        it.disk_io.clear();
        (it.queued, it.slots_busy, it.mem_used, it.mem_unloading, it.disk_used, it.disk_unpinning) = (0, 0, 0, 0, 0, 0);
        (it.downloads_active, it.loads_active, it.loaded, it.mru, it.lru) = (0, 0, 0, NIL, NIL);
        for m in touched {
            self.sync_copy(inst, m);
        }
        let st = &mut self.status[inst as usize];
        (st.outstanding, st.serving, st.queued_for_slot, st.loaded_models) = (0, 0, 0, 0);
        st.memory_free = Bytes(self.instances[inst as usize].mem_cap);
        st.lru_last_used = None;
    }

    fn in_service(&self) -> u32 {
        self.instances.iter().filter(|i| i.life == Life::InService).count() as u32
    }

    fn on_instance_ready(&mut self, inst: u32) {
        let now = self.now;
        if self.instances[inst as usize].life != Life::Launching {
            return; // cancelled while launching: counted down then
        }
        self.ops_in_flight -= 1;
        let it = &mut self.instances[inst as usize];
        it.life = Life::InService;
        it.last_change = now;
        self.set_flags(inst, true, false);
        self.peak_in_service = self.peak_in_service.max(self.in_service());
    }

    fn remove_instance(&mut self, inst: u32) {
        let now = self.now;
        let it = &mut self.instances[inst as usize];
        it.life = Life::Removed;
        it.ended_at = Some(now);
        self.set_flags(inst, false, false);
    }

    /// Applies an autoscaler's desired count: launch cold instances in the
    /// least-populated zones, or drain the newest ones.
    fn scale_to(&mut self, desired: u32) {
        let active = |i: &Instance| matches!(i.life, Life::Launching | Life::InService);
        // Replacements already on their way count towards the fleet.
        let current = self.instances.iter().filter(|i| active(i)).count() as u32 + self.replacements_due as u32;
        if desired > current {
            for _ in current..desired {
                // The up zone with the fewest instances; none up: no launch.
                let Some(zone) = self.least_populated_up_zone() else { break };
                let id = self.add_instance(ZoneId(zone as u16), Life::Launching);
                self.ops_in_flight += 1;
                self.q.push(self.now + self.cfg.cluster.launch_delay, Event::InstanceReady { inst: id });
            }
        } else {
            // Replacements on their way are not cancelled: the excess comes
            // out of launching and in-service instances.
            let mut excess = current - desired;
            // Pending launches are cancelled first (newest first)…
            for id in (0..self.instances.len()).rev() {
                if excess == 0 {
                    break;
                }
                if self.instances[id].life == Life::Launching {
                    self.remove_instance(id as u32);
                    self.ops_in_flight -= 1;
                    excess -= 1;
                }
            }
            // …then instances in service drain, picked as configured.
            while excess > 0 {
                let pick = self.cfg.cluster.scale_in_pick;
                let victim = (0..self.instances.len())
                    .rev()
                    .filter(|&i| self.instances[i].life == Life::InService)
                    .min_by_key(|&i| {
                        let newest_first = usize::MAX - i;
                        match pick {
                            ScaleInPick::Newest => (0, newest_first),
                            ScaleInPick::FewestLoaded => (self.status[i].loaded_models as usize, newest_first),
                            ScaleInPick::FewestOutstanding => (self.status[i].outstanding as usize, newest_first),
                        }
                    });
                let Some(id) = victim else { break };
                self.instances[id].life = Life::Draining;
                self.set_flags(id as u32, true, true);
                if self.status[id].outstanding == 0 {
                    self.remove_instance(id as u32);
                }
                excess -= 1;
            }
        }
    }

    fn on_minute(&mut self) {
        let now = self.now;
        let (mm, fleet) = self.flush_minute();
        if let Some(desired) = self.autoscaler.evaluate(&mm, &fleet) {
            self.scale_to(desired);
        }
        // Keep ticking while anything is still to happen (stale timeout
        // events do not count).
        if !self.source_done || self.live_requests > 0 || self.ops_in_flight > 0 || self.replacements_due > 0 {
            self.q.push(now + SimDuration::from_secs(60), Event::Minute);
        }
    }

    /// Closes the current minute: endpoint figures for the autoscaler and
    /// the report, and (when recording) CloudWatch-style rows per instance,
    /// zone and endpoint.
    fn flush_minute(&mut self) -> (MinuteMetrics, FleetStatus) {
        let now = self.now;
        let minute = self.minute_index;
        self.minute_index += 1;
        let since = SimTime::from_secs(60 * minute);
        let mut mm = std::mem::take(&mut self.m.minute);
        mm.minute = minute;
        let (mut serving, mut pending, mut draining) = (0u32, 0u32, 0u32);
        let mut zone_acc: Vec<MinuteAcc> = vec![MinuteAcc::default(); self.zones.len()];
        let mut endpoint = std::mem::take(&mut self.endpoint_acc);
        let record = self.cfg.record_metrics;
        for (i, it) in self.instances.iter_mut().enumerate() {
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
                it.busy_area += it.slots_busy as u128 * (now - it.last_change).as_nanos() as u128;
                it.last_change = now;
                acc.busy_ns = it.busy_area - it.busy_area_at_minute;
                it.busy_area_at_minute = it.busy_area;
                let from = it.launched_at.max(since);
                acc.slot_ns = it.slots_total as u128 * now.saturating_since(from).as_nanos() as u128;
                acc.mem_used = it.mem_used;
                acc.mem_cap = it.mem_cap;
                acc.disk_used = it.disk_used;
                acc.disk_cap = it.disk_cap;
                acc.loaded = it.loaded as u64;
                acc.instances = 1;
            }
            let z = self.status[i].zone.index();
            if record {
                acc.rows(minute, Dimension::Instance(i as u32), &mut self.metric_rows);
            }
            zone_acc[z].merge(&acc);
            endpoint.merge(&acc);
        }
        endpoint.pending = pending as u64;
        for (it, st) in self.instances.iter().zip(&self.status) {
            if it.life == Life::Launching {
                zone_acc[st.zone.index()].pending += 1;
            }
        }
        if record {
            for (z, acc) in zone_acc.iter().enumerate() {
                acc.rows(minute, Dimension::Zone(z as u16), &mut self.metric_rows);
            }
            endpoint.rows(minute, Dimension::Endpoint, &mut self.metric_rows);
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
        let fleet = FleetStatus { now, in_service: serving, pending: pending + self.replacements_due as u32, draining };
        self.minutes.push(mm.clone());
        (mm, fleet)
    }

    // ----- end of run -------------------------------------------------------

    fn finish(mut self) -> RunResult {
        let end = SimTime::from_nanos(self.last_work.as_nanos().max(self.cfg.duration.as_nanos()));
        // The last, partial minute.
        let active = self.m.minute != MinuteMetrics::default()
            || self.endpoint_acc != MinuteAcc::default()
            || self.instances.iter().any(|i| i.acc != MinuteAcc::default());
        if active {
            self.flush_minute();
        }
        let mut life_ns: u128 = 0;
        let mut busy: u128 = 0;
        let mut cap: u128 = 0;
        for (it, st) in self.instances.iter_mut().zip(&self.status) {
            let stop = it.ended_at.unwrap_or(end).max(it.launched_at);
            life_ns += (stop - it.launched_at).as_nanos() as u128;
            self.zones[st.zone.index()].instance_hours += (stop - it.launched_at).as_secs_f64() / 3600.0;
            if it.ended_at.is_none() && it.life != Life::Launching {
                it.busy_area += it.slots_busy as u128 * end.saturating_since(it.last_change).as_nanos() as u128;
            }
            busy += it.busy_area;
            cap += it.slots_total as u128 * (stop - it.launched_at).as_nanos() as u128;
        }
        let hours = life_ns as f64 / 3.6e12;
        // Minutes that began after the last piece of work are idle ticks.
        self.minutes.retain(|m| m.minute * 60 < end.as_secs_f64().ceil() as u64);
        let m = &self.m;
        let report = Report {
            name: String::new(),
            seed: self.cfg.seed,
            simulated_s: end.as_secs_f64(),
            requests: m.report_counts(),
            latency_ms: m.latency_summary(),
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
                launched: self.instances.len() as u32,
                peak_in_service: self.peak_in_service,
                cpu_utilization: if cap > 0 { 100.0 * busy as f64 / cap as f64 } else { 0.0 },
                peak_cpu_utilization: self.minutes.iter().map(|m| m.cpu_utilization).fold(0.0, f64::max),
                memory_utilization: if self.minutes.is_empty() {
                    0.0
                } else {
                    self.minutes.iter().map(|m| m.memory_utilization).sum::<f64>() / self.minutes.len() as f64
                },
                peak_memory_utilization: self.minutes.iter().map(|m| m.memory_utilization).fold(0.0, f64::max),
                failed: self.instances.iter().filter(|i| i.life == Life::Failed).count() as u32,
                replacements: m.replacements,
                retries: m.retries,
            },
            zones: {
                let mut z = self.zones.clone();
                for zs in &mut z {
                    zs.model_cache_hit = if zs.requests > 0 { zs.hits as f64 / zs.requests as f64 } else { 0.0 };
                }
                z
            },
            faults: self.fault_windows.clone(),
        };
        RunResult { report, minutes: self.minutes, metrics: self.metric_rows, trace: self.trace, events: self.events }
    }

    // ----- invariants -------------------------------------------------------

    /// Checks every invariant of the model; panics with `BUG:` on a
    /// violation. O(instances × models): for tests.
    fn check_invariants(&self) {
        for (i, it) in self.instances.iter().enumerate() {
            let bug = |what: String| -> ! { panic!("BUG: instance {i} at {}: {what}", self.now) };
            if it.life == Life::Failed {
                if self.status[i].accepts() || self.status[i].outstanding != 0 {
                    bug("a failed instance still takes requests".into());
                }
                if self.copies.iter().any(|l| l.iter().any(|c| c.instance.index() == i)) {
                    bug("a failed instance still listed as holding a model".into());
                }
                continue;
            }
            if it.slots_busy > it.slots_total {
                bug(format!("{} slots busy of {}", it.slots_busy, it.slots_total));
            }
            if it.mem_used > it.mem_cap {
                bug(format!("memory {} over capacity {}", it.mem_used, it.mem_cap));
            }
            if it.disk_used > it.disk_cap {
                bug(format!("disk {} over capacity {}", it.disk_used, it.disk_cap));
            }
            let (mut mem, mut disk, mut loaded, mut unloading, mut pins) = (0u64, 0u64, 0u32, 0u64, 0u32);
            let mut present = 0usize;
            for (m, s) in it.models.iter().enumerate() {
                let info = &self.models[m];
                if matches!(s.mem, MemState::Loading | MemState::Loaded | MemState::Unloading) {
                    mem += info.memory;
                }
                if s.mem == MemState::Loaded {
                    loaded += 1;
                }
                if s.mem == MemState::Unloading {
                    unloading += info.memory;
                }
                if s.mem != MemState::Absent && s.disk == DiskState::Absent {
                    bug(format!("model {m} wanted in memory ({:?}) with no artifact on its way", s.mem));
                }
                if matches!(s.mem, MemState::Loading | MemState::Loaded | MemState::Unloading)
                    && s.disk != DiskState::Present
                {
                    bug(format!("model {m} in memory ({:?}) without its artifact on disk ({:?})", s.mem, s.disk));
                }
                if matches!(s.disk, DiskState::Downloading | DiskState::Present) {
                    disk += info.artifact;
                }
                if s.disk == DiskState::Present {
                    present += 1;
                }
                if s.pins > 0 && s.mem != MemState::Loaded {
                    bug(format!("model {m} pinned {} times but {:?}", s.pins, s.mem));
                }
                pins += s.pins;
                let listed = self.copies[m].iter().filter(|c| c.instance.index() == i).count();
                let expect = usize::from(s.mem != MemState::Absent || s.disk != DiskState::Absent);
                if listed != expect {
                    bug(format!("model {m} listed {listed} times in the routing view"));
                }
            }
            if mem != it.mem_used || disk != it.disk_used || loaded != it.loaded || unloading != it.mem_unloading {
                bug(format!(
                    "accounting: mem {mem} vs {}, disk {disk} vs {}, loaded {loaded} vs {}, unloading {unloading} vs {}",
                    it.mem_used, it.disk_used, it.loaded, it.mem_unloading
                ));
            }
            if it.net.len() > it.downloads_active as usize || it.disk_io.len() > it.loads_active as usize {
                bug(format!(
                    "{} transfers on the link for {} downloads, {} reads for {} loads",
                    it.net.len(),
                    it.downloads_active,
                    it.disk_io.len(),
                    it.loads_active
                ));
            }
            let mut listed = 0u32;
            let mut x = it.mru;
            while x != NIL {
                listed += 1;
                if it.models[x as usize].mem != MemState::Loaded {
                    bug(format!("model {x} in the recency list but {:?}", it.models[x as usize].mem));
                }
                x = it.models[x as usize].older;
            }
            if listed != loaded {
                bug(format!("{listed} models in the recency list, {loaded} loaded"));
            }
            if it.mem_ev.len() != loaded as usize {
                bug(format!("memory evictor tracks {} models, {loaded} loaded", it.mem_ev.len()));
            }
            if it.disk_ev.len() != present {
                bug(format!("disk evictor tracks {} artifacts, {present} present", it.disk_ev.len()));
            }
            let live_slot_q =
                it.slot_queue.iter().filter(|&&r| self.reqs[r as usize].state == ReqState::WaitSlot).count();
            let serving = self.reqs.iter().filter(|r| r.inst as usize == i && r.state == ReqState::Serving).count();
            if pins as usize != live_slot_q + serving {
                bug(format!("{pins} pins but {live_slot_q} queued for a slot and {serving} serving"));
            }
            if live_slot_q as u32 != self.status[i].queued_for_slot || serving as u32 != self.status[i].serving {
                bug("stale serving/queued_for_slot in the routing view".into());
            }
            if serving as u32 * self.cfg.cluster.cpu_per_request != it.slots_busy {
                bug(format!("{serving} serving but {} slots busy", it.slots_busy));
            }
            let live = self
                .reqs
                .iter()
                .filter(|r| {
                    r.inst as usize == i
                        && matches!(r.state, ReqState::WaitModel | ReqState::WaitSlot | ReqState::Serving)
                })
                .count();
            if live as u32 != self.status[i].outstanding {
                bug(format!("{live} live requests but outstanding = {}", self.status[i].outstanding));
            }
            if self.status[i].memory_free.0 != it.mem_cap - it.mem_used {
                bug("stale memory_free in the routing view".into());
            }
        }
        if !self.fleet.same_members(&FleetIndex::from_statuses(&self.status)) {
            panic!("BUG: the routing index disagrees with the instance statuses");
        }
        let ended = self.m.completed + self.m.failed_total() + self.m.rejected_total();
        let live = self
            .reqs
            .iter()
            .filter(|r| {
                r.inst != NIL
                    && self.instances[r.inst as usize].life != Life::Failed
                    && matches!(r.state, ReqState::WaitModel | ReqState::WaitSlot | ReqState::Serving)
                    || r.state == ReqState::Retrying
            })
            .count();
        if live as u64 != self.live_requests {
            panic!("BUG: {live} live requests but live_requests = {}", self.live_requests);
        }
        let ops: u64 = self
            .instances
            .iter()
            .filter(|it| it.life != Life::Failed)
            .map(|it| {
                let unloading = it.models.iter().filter(|s| s.mem == MemState::Unloading).count() as u64;
                it.downloads_active as u64 + it.loads_active as u64 + unloading + (it.life == Life::Launching) as u64
            })
            .sum();
        if ops != self.ops_in_flight {
            panic!("BUG: {ops} operations under way but ops_in_flight = {}", self.ops_in_flight);
        }
        if ended + live as u64 != self.m.arrived {
            panic!("BUG: {} arrived but {ended} ended and {live} live", self.m.arrived);
        }
    }
}
