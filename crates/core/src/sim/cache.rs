//! The memory and disk tiers of every instance: the only writer of model
//! state.
//!
//! Owns [`Tiers`]: per instance, the [`Residency`] (memory and disk state,
//! pins, waiters, recency) of each model it holds, in the model's slot
//! (`slots.rs`: everything per instance is indexed by slot, and a slot is
//! released — `retire` — once its model has left both tiers, no request
//! waits for it and no evictor remembers it), the tiers' byte accounting,
//! the download and load queues, the shared links, the two evictors and
//! the recency list; and the routing view's list of copies per model. Every
//! change of a model on an instance is a method here — `ensure_model`,
//! `pump_downloads`, `pump_loads`, `start_unload`, the room makers, expiry —
//! so the pinning and accounting rules live in one place.
//!
//! May touch: the agenda (its own events), metrics and the trace, the
//! routing status's memory fields, and — once a model is warm — hand its
//! waiters to `request.rs` (`admit_waiters`).
//!
//! Architecture invariant: the fields of [`Tiers`] and [`InstanceTiers`]
//! are private to this file; other rooms get `&` access only, so the
//! compiler, not a convention, keeps them from writing tier state.

use super::cpu::Job;
use super::event::{Event, Link};
use super::slots::SlotTable;
use super::state::{Life, NIL};
use super::{Simulation, Tier, TraceKind};
use crate::evict::{AccessCtx, Evictor, ObjectMeta};
use crate::pipe::Pipe;
use crate::route::{CopyList, DiskState, MemState, ModelCopy};
use crate::{Bytes, ClusterConfig, InstanceId, ModelCacheSetting};
use mmesim_engine::{IdList, SimDuration, SimTime};
use std::collections::VecDeque;

/// A slot in a download or load queue, with its model: when a queue's
/// head starts, the next head's residency and routing-view copies are
/// fetched ahead (a deep queue's entries were queued long ago and are
/// cold; in a thrashing run they are the loads' main cache misses).
#[derive(Clone, Copy, Debug)]
struct Queued {
    slot: u32,
    model: u32,
}

/// One model's state on one instance, in the instance's slot for it
/// (`slots.rs`). One aligned 64-byte line: its 52 bytes of fields in a
/// 56-byte stride straddled two lines seven times in eight, so a read
/// from main memory (a victim, an ending load, the target of a prefetch)
/// was often two.
#[derive(Clone, Copy, Debug)]
#[repr(align(64))]
pub(super) struct Residency {
    /// The model (`NIL` in a free slot).
    pub(super) model: u32,
    /// The model's memory-tier footprint and artifact bytes
    /// (`ModelInfo::memory`, `artifact`), kept here so that downloads,
    /// loads and unloads do not read the model table (a million entries,
    /// issue 15) at every step.
    pub(super) memory: u64,
    pub(super) artifact: u64,
    pub(super) mem: MemState,
    pub(super) disk: DiskState,
    /// Requests queued for a slot or being served for this model here.
    pub(super) pins: u32,
    /// Requests waiting for this model's download/load: the ends of a
    /// list of `Requests::wait` nodes.
    head: u32,
    tail: u32,
    /// Reload once the running unload ends.
    reload: bool,
    /// When the model was last used (for the recency list's oldest end).
    last_used: SimTime,
    /// Start of the download, load or unload under way (for their times).
    t0: SimTime,
    /// Idle but remembered by an evictor: listed in `InstanceTiers::limbo`.
    pub(super) in_limbo: bool,
}

const _: () = assert!(std::mem::size_of::<Residency>() == 64);

impl Residency {
    /// A free slot.
    pub(super) const FREE: Residency = Residency::absent(NIL, 0, 0);

    /// `model` (of `memory` and `artifact` bytes), absent from both tiers,
    /// with no one waiting.
    pub(super) const fn absent(model: u32, memory: u64, artifact: u64) -> Residency {
        Residency {
            model,
            memory,
            artifact,
            mem: MemState::Absent,
            disk: DiskState::Absent,
            pins: 0,
            head: NIL,
            tail: NIL,
            reload: false,
            last_used: SimTime::ZERO,
            t0: SimTime::ZERO,
            in_limbo: false,
        }
    }

    /// The first node of the model's waiter list here (`NIL`: none).
    pub(super) fn waiters_head(&self) -> u32 {
        self.head
    }

    /// Nothing of the model is here, on its way or waited for: its slot
    /// may go (unless an evictor remembers it).
    pub(super) fn idle(&self) -> bool {
        self.mem == MemState::Absent
            && self.disk == DiskState::Absent
            && self.pins == 0
            && self.head == NIL
            && !self.reload
    }
}

/// One instance's memory and disk tiers.
/// Its capacities are the endpoint's (`Tiers::mem_cap`, `disk_cap`).
pub(super) struct InstanceTiers {
    mem_used: u64,
    /// Bytes of models being unloaded (freed when the unload ends).
    mem_unloading: u64,
    disk_used: u64,
    /// Artifact bytes of models being unloaded (they unpin when it ends).
    disk_unpinning: u64,
    /// Host RAM for staging artifacts of loads under way on GPU types
    /// (models go disk → host RAM → GPU); `u64::MAX` on CPU types.
    host_cap: u64,
    host_staging: u64,
    downloads_active: u32,
    loads_active: u32,
    max_downloads: u32,
    max_loads: u32,
    /// Slots waiting to download, and (downloaded) to load, in order.
    download_queue: VecDeque<Queued>,
    load_queue: VecDeque<Queued>,
    net: Pipe,
    /// Most bytes per second one download moves (its S3 connections).
    download_cap: f64,
    disk_io: Pipe,
    /// The models this instance holds, by slot; the evictors, the recency
    /// list, the queues, the links and CPU jobs name models by slot.
    slots: SlotTable,
    /// Idle slots an evictor still remembers (ghosts), released once it
    /// forgets them (`retire`).
    limbo: Vec<u32>,
    /// Slots the last sweep of `limbo` kept: the next sweep comes when the
    /// list has doubled, so sweeping costs O(1) per retired slot.
    limbo_kept: usize,
    mem_ev: Box<dyn Evictor>,
    disk_ev: Box<dyn Evictor>,
    loaded: u32,
    /// Loaded models no request holds (pins == 0): the memory evictor's
    /// possible victims. When there is none, the room makers do not ask it
    /// (its `victim` would scan every pinned model to say so).
    idle_loaded: u32,
    /// Artifacts on disk whose model is not in memory (nor on its way):
    /// the disk evictor's possible victims, likewise.
    idle_artifacts: u32,
    /// Loaded models' slots, most recently used first (for
    /// `InstanceStatus::lru_last_used`).
    recency: IdList,
    /// Earliest pending `Expiry` event per tier (memory, disk).
    expiry_armed: [Option<SimTime>; 2],
    /// Per tier: whether its evictor keeps alive (`Evictor::keeps_alive`),
    /// so expiries are looked for at all.
    keeps_alive: [bool; 2],
}

/// Read access for the other rooms.
impl InstanceTiers {
    /// The slot of `model` here, if any.
    #[inline]
    pub(super) fn slot_of(&self, model: u32) -> Option<u32> {
        self.slots.find(model)
    }
    /// The residency in `slot`.
    pub(super) fn residency(&self, slot: u32) -> &Residency {
        self.slots.get(slot)
    }
    /// `(slot, residency)` of every slot in use.
    pub(super) fn residencies(&self) -> impl Iterator<Item = (u32, &Residency)> + '_ {
        self.slots.in_use()
    }
    /// Idle slots kept for an evictor's ghosts.
    pub(super) fn limbo(&self) -> &[u32] {
        &self.limbo
    }
    pub(super) fn mem_used(&self) -> u64 {
        self.mem_used
    }
    pub(super) fn mem_unloading(&self) -> u64 {
        self.mem_unloading
    }
    pub(super) fn disk_used(&self) -> u64 {
        self.disk_used
    }
    pub(super) fn loaded(&self) -> u32 {
        self.loaded
    }
    /// Loaded models no request holds, and artifacts on disk whose model
    /// is not in memory.
    pub(super) fn idle_counts(&self) -> (u32, u32) {
        (self.idle_loaded, self.idle_artifacts)
    }
    /// Downloads, loads and unloads under way.
    pub(super) fn ops_under_way(&self) -> u64 {
        let unloading = self.slots.all().iter().filter(|s| s.mem == MemState::Unloading).count() as u64;
        self.downloads_active as u64 + self.loads_active as u64 + unloading
    }
    /// Slots of the loaded models, most recent first.
    pub(super) fn recency(&self) -> impl Iterator<Item = u32> + '_ {
        self.recency.iter()
    }
    /// (transfers on the network link, downloads active, reads on the disk
    /// link, loads active).
    pub(super) fn transfers(&self) -> (usize, u32, usize, u32) {
        (self.net.len(), self.downloads_active, self.disk_io.len(), self.loads_active)
    }
    pub(super) fn evictor(&self, tier: Tier) -> &dyn Evictor {
        match tier {
            Tier::Memory => &*self.mem_ev,
            Tier::Disk => &*self.disk_ev,
        }
    }
}

/// Every instance's tiers, and the routing view's copies of each model.
pub(super) struct Tiers {
    inst: Vec<InstanceTiers>,
    /// Per model, the instances holding it (loaded, loading or on disk).
    copies: Vec<CopyList>,
    /// Reused buffer for transfers completed together.
    scratch: Vec<u32>,
    /// Whether the instances keep their recency lists (and
    /// `InstanceStatus::lru_last_used`): only for a router that reads it
    /// (`Router::reads_lru_age`). Otherwise the memory evictor's order is
    /// the only recency order kept.
    recency_kept: bool,
    /// Every instance's memory and disk tier capacities (one instance
    /// type per endpoint), bytes.
    mem_cap: u64,
    disk_cap: u64,
}

impl Tiers {
    pub(super) fn new(models: usize, c: &ClusterConfig, recency_kept: bool) -> Self {
        Tiers {
            recency_kept,
            inst: Vec::new(),
            // Made, not cloned: cloning an empty `SmallVec` still runs
            // its `extend`, a million times here.
            copies: std::iter::repeat_with(CopyList::new).take(models).collect(),
            scratch: Vec::new(),
            mem_cap: memory_tier_bytes(c),
            disk_cap: c.instance_type.storage.size.0,
        }
    }
    /// Every instance's memory tier capacity, bytes.
    #[inline]
    pub(super) fn mem_cap(&self) -> u64 {
        self.mem_cap
    }
    /// Every instance's disk tier capacity, bytes.
    #[inline]
    pub(super) fn disk_cap(&self) -> u64 {
        self.disk_cap
    }
    /// Whether the instances keep their recency lists.
    pub(super) fn recency_kept(&self) -> bool {
        self.recency_kept
    }
    #[inline]
    pub(super) fn get(&self, inst: u32) -> &InstanceTiers {
        &self.inst[inst as usize]
    }
    pub(super) fn iter(&self) -> impl Iterator<Item = &InstanceTiers> {
        self.inst.iter()
    }
    pub(super) fn copies(&self) -> &[CopyList] {
        &self.copies
    }
    /// Prefetches what routing a request to `inst` reads of its tiers
    /// before the slot: the slot table's header.
    #[inline(always)]
    pub(super) fn prefetch_head(&self, inst: usize) {
        if let Some(t) = self.inst.get(inst) {
            t.slots.prefetch_header();
        }
    }
    /// Prefetches the routing view's copies of `model`: a download, load,
    /// unload or deletion changes them (`sync_copy`), usually after other
    /// work its handler can overlap with the read.
    #[inline(always)]
    pub(super) fn prefetch_copies(&self, model: u32) {
        mmesim_engine::prefetch(&self.copies, model as usize);
    }
    /// Prefetches what the queued slot `q` of `inst` (if any) will need
    /// when it starts: its residency and its model's copies.
    #[inline(always)]
    fn prefetch_queued(&self, inst: u32, q: Option<Queued>) {
        if let Some(q) = q {
            self.prefetch_residency(inst as usize, q.slot);
            self.prefetch_copies(q.model);
        }
    }

    /// Prefetches the residency in `slot` on `inst`.
    #[inline(always)]
    pub(super) fn prefetch_residency(&self, inst: usize, slot: u32) {
        if let Some(t) = self.inst.get(inst) {
            t.slots.prefetch_slot(slot);
        }
    }
}

/// The memory tier of one instance of `c`'s type, bytes: the type's model
/// memory, less the CUDA context on GPU types.
pub(super) fn memory_tier_bytes(c: &ClusterConfig) -> u64 {
    let ty = &c.instance_type;
    match ty.gpu {
        Some(_) => ty.model_memory().0.saturating_sub(c.gpu_context.0),
        None => ty.model_memory().0,
    }
}

impl Simulation {
    /// Empty tiers for a new instance (its id is the next index).
    pub(super) fn add_tiers(&mut self, id: u32) {
        let ty = &self.cfg.cluster.instance_type;
        let c = &self.cfg.cluster;
        let or_vcpus = |n: u32| if n == 0 { ty.vcpus } else { n };
        let mem_cap = self.tiers.mem_cap;
        let host_cap = match ty.gpu {
            Some(_) => ty.memory.0.saturating_sub(ty.reserved_memory.0),
            None => u64::MAX,
        };
        let mem_ev = (self.evictors)(InstanceId(id), Tier::Memory, Bytes(mem_cap));
        let disk_ev = (self.evictors)(InstanceId(id), Tier::Disk, Bytes(self.tiers.disk_cap));
        let keeps_alive = [mem_ev.keeps_alive(), disk_ev.keeps_alive()];
        let t = InstanceTiers {
            host_cap,
            host_staging: 0,
            mem_used: 0,
            mem_unloading: 0,
            disk_used: 0,
            disk_unpinning: 0,
            downloads_active: 0,
            loads_active: 0,
            max_downloads: or_vcpus(c.max_concurrent_downloads),
            max_loads: or_vcpus(c.max_concurrent_loads),
            download_queue: VecDeque::new(),
            load_queue: VecDeque::new(),
            net: Pipe::new(ty.download_bytes_per_s),
            download_cap: ty.download_cap_bytes_per_s(),
            disk_io: Pipe::new(ty.storage.read_bytes_per_s),
            slots: SlotTable::default(),
            limbo: Vec::new(),
            limbo_kept: 0,
            mem_ev,
            disk_ev,
            loaded: 0,
            idle_loaded: 0,
            idle_artifacts: 0,
            recency: IdList::new(),
            expiry_armed: [None, None],
            keeps_alive,
        };
        if self.tiers.inst.len() != id as usize {
            panic!("BUG: tiers for instance {id} added out of order");
        }
        self.tiers.inst.push(t);
    }

    /// An access context for an evictor: now, and the next virtual time.
    /// An access context for an evictor: now, and the next virtual time.
    fn ctx(&mut self) -> AccessCtx {
        let c = AccessCtx { now: self.now, vtime: self.vtime, next_access: None };
        self.vtime += 1;
        c
    }

    /// The model in `slot` of `inst`.
    #[inline]
    fn model_in(&self, inst: u32, slot: u32) -> u32 {
        self.tiers.inst[inst as usize].slots.get(slot).model
    }

    // ----- requests meet the tiers ------------------------------------------

    /// The slot of `model` on `inst`, made if the instance has none (a
    /// request is about to wait for it).
    pub(super) fn slot_for(&mut self, inst: u32, model: u32) -> u32 {
        let info = &self.models[model as usize];
        self.tiers.inst[inst as usize].slots.find_or_add(model, info.memory, info.artifact)
    }

    /// A request found the model in `slot` loaded: the memory evictor and
    /// the recency list see the access.
    pub(super) fn touch_hit(&mut self, inst: u32, slot: u32) {
        let ctx = self.ctx();
        self.tiers.inst[inst as usize].mem_ev.on_access(slot, ctx);
        self.recency_touch(inst, slot, false);
        self.arm_expiry(inst, Tier::Memory);
    }

    /// A request waits for the model in `slot` on `inst`: link it behind the
    /// model's waiters. `true` if it joins a load already under way.
    pub(super) fn add_waiter(&mut self, inst: u32, slot: u32, r: u32) -> bool {
        let n = self.reqs.alloc_wait(r);
        self.reqs.slab[r as usize].wait = n;
        let s = self.tiers.inst[inst as usize].slots.get_mut(slot);
        let joined = matches!(s.mem, MemState::Pending | MemState::Loading);
        if s.tail == NIL {
            s.head = n;
        } else {
            self.reqs.set_wait_next(s.tail, n);
        }
        s.tail = n;
        joined
    }

    /// Waiter node `n` of the model in `slot` on `inst` timed out (its
    /// request's entry is freed by the caller): it leaves the list.
    /// Waiters join a list in the order of their deadlines (one timeout for
    /// all, counted from joining), so the one that times out is the list's
    /// head; anything else is a `BUG:`.
    pub(super) fn leave_waiters(&mut self, inst: u32, slot: u32, n: u32) {
        let s = self.tiers.inst[inst as usize].slots.get_mut(slot);
        if s.head != n {
            panic!("BUG: waiter node {n} timed out before the head {} of slot {slot} on instance {inst}", s.head);
        }
        s.head = self.reqs.wait_node(n).next;
        if s.head == NIL {
            s.tail = NIL;
        }
        self.reqs.free_wait(n);
    }

    /// A request holds the model in `slot` in memory (queued for a slot or
    /// in service).
    pub(super) fn pin(&mut self, inst: u32, slot: u32) {
        let it = &mut self.tiers.inst[inst as usize];
        let s = it.slots.get_mut(slot);
        s.pins += 1;
        if s.pins == 1 {
            it.idle_loaded -= 1;
        }
    }

    /// A request let go of the model in `slot`; an unpinned model may be
    /// unloaded for queued work or expire.
    pub(super) fn unpin(&mut self, inst: u32, slot: u32) {
        let it = &mut self.tiers.inst[inst as usize];
        let s = it.slots.get_mut(slot);
        s.pins -= 1;
        if s.pins == 0 {
            let (mem, head) = (s.mem, s.head);
            it.idle_loaded += 1;
            it.mem_ev.on_unpin(slot);
            if self.cfg.cluster.model_cache == ModelCacheSetting::Disabled && mem == MemState::Loaded && head == NIL {
                // No cache: unload now; the artifact goes when it ends.
                self.start_unload(inst, slot);
                return;
            }
            if !it.load_queue.is_empty() || !it.download_queue.is_empty() {
                self.pump_downloads(inst);
                self.pump_loads(inst);
            }
            self.arm_expiry(inst, Tier::Memory);
        }
    }

    // ----- recency and the routing view -------------------------------------

    /// Puts a loaded model at the head of the instance's recency list
    /// (kept only for a router that reads the age of its end).
    fn recency_touch(&mut self, inst: u32, slot: u32, insert: bool) {
        if !self.tiers.recency_kept {
            return;
        }
        let now = self.now;
        let it = &mut self.tiers.inst[inst as usize];
        it.slots.get_mut(slot).last_used = now;
        // Only a change at the least-recent end moves `lru_last_used`.
        let lru_changes = it.recency.back() == Some(slot) || it.recency.is_empty();
        if insert {
            it.recency.push_front(slot);
        } else if it.recency.front() != Some(slot) {
            it.recency.move_to_front(slot);
        }
        if lru_changes {
            self.sync_lru_age(inst);
        }
    }

    fn sync_lru_age(&mut self, inst: u32) {
        let it = &self.tiers.inst[inst as usize];
        self.fleet.status[inst as usize].lru_last_used = it.recency.back().map(|x| it.slots.get(x).last_used);
    }

    /// Brings the routing view's copy of the model in `slot` on `inst` up
    /// to date.
    fn sync_copy(&mut self, inst: u32, slot: u32) {
        let s = *self.tiers.inst[inst as usize].slots.get(slot);
        let list = &mut self.tiers.copies[s.model as usize];
        let pos = list.position(inst);
        let gone = s.mem == MemState::Absent && s.disk == DiskState::Absent;
        match (pos, gone) {
            (Some(p), true) => self.drop_copy(s.model, p),
            (Some(p), false) => list.set_states(p, s.mem, s.disk),
            (None, false) => list.push(ModelCopy { instance: InstanceId(inst), memory: s.mem, disk: s.disk }, slot),
            (None, true) => {}
        }
    }

    /// Removes copy `p` of `model` from the routing view, recording the
    /// slot of the copy that takes its place if it needs one.
    fn drop_copy(&mut self, model: u32, p: usize) {
        let list = &mut self.tiers.copies[model as usize];
        if let Some(moved) = list.swap_remove(p) {
            let Some(slot) = self.tiers.inst[moved.index()].slots.find(model) else {
                panic!("BUG: model {model} listed on instance {moved}, which has no slot for it");
            };
            self.tiers.copies[model as usize].set_slot(p, slot);
        }
    }

    fn sync_status(&mut self, inst: u32) {
        let it = &self.tiers.inst[inst as usize];
        let st = &mut self.fleet.status[inst as usize];
        st.memory_free = Bytes(self.tiers.mem_cap - it.mem_used);
        st.loaded_models = it.loaded;
    }

    // ----- slots come and go ------------------------------------------------

    /// The model in `slot` may have left the instance for good: if it is
    /// idle, its slot is released — or, while an evictor still remembers
    /// it (a ghost), kept in the limbo list until it forgets.
    fn retire(&mut self, inst: u32, slot: u32) {
        let it = &mut self.tiers.inst[inst as usize];
        let s = it.slots.get(slot);
        if !s.idle() || s.in_limbo {
            return; // in use, or listed already: the next sweep decides
        }
        if it.mem_ev.remembers(slot) || it.disk_ev.remembers(slot) {
            it.slots.get_mut(slot).in_limbo = true;
            it.limbo.push(slot);
            if it.limbo.len() > 2 * it.limbo_kept + 64 {
                sweep_limbo(it);
            }
        } else {
            it.slots.release(slot);
        }
    }

    // ----- keep-alive expiry ------------------------------------------------

    /// Schedules an `Expiry` check for when the tier's keep-alive evictor
    /// says its next unpinned object idles out (nothing for other policies).
    fn arm_expiry(&mut self, inst: u32, tier: Tier) {
        let it = &self.tiers.inst[inst as usize];
        if !it.keeps_alive[tier as usize] {
            return;
        }
        let slots = &it.slots;
        let next = match tier {
            Tier::Memory => it.mem_ev.next_expiry(&|x| slots.get(x).pins > 0),
            Tier::Disk => it.disk_ev.next_expiry(&|x| slots.get(x).mem != MemState::Absent),
        };
        let Some(t) = next else { return };
        let t = t.max(self.now);
        let armed = &mut self.tiers.inst[inst as usize].expiry_armed[tier as usize];
        if armed.is_none_or(|a| t < a) {
            *armed = Some(t);
            self.agenda.push(t, Event::Expiry { inst, tier });
        }
    }

    /// Removes the tier's idled-out unpinned objects (memory: unloads;
    /// disk: deletions) and re-arms. `false` if nothing happened. Once the
    /// workload is over and nothing is in flight, idle expiries are not
    /// simulated: the run ends.
    pub(super) fn on_expiry(&mut self, inst: u32, tier: Tier) -> bool {
        let now = self.now;
        let armed = &mut self.tiers.inst[inst as usize].expiry_armed[tier as usize];
        if *armed != Some(now) {
            return false; // superseded by an earlier check at the same or an earlier time
        }
        *armed = None;
        if self.inflow.done && self.reqs.live == 0 {
            return false;
        }
        if self.fleet.instances[inst as usize].life == Life::Removed {
            return false;
        }
        let mut any = false;
        loop {
            let it = &mut self.tiers.inst[inst as usize];
            let slots = &it.slots;
            let v = match tier {
                Tier::Memory => it.mem_ev.expired(now, &|x| slots.get(x).pins > 0),
                Tier::Disk => it.disk_ev.expired(now, &|x| slots.get(x).mem != MemState::Absent),
            };
            let Some(v) = v else { break };
            any = true;
            match tier {
                Tier::Memory => {
                    let s = it.slots.get(v);
                    if s.mem != MemState::Loaded || s.pins > 0 {
                        panic!(
                            "BUG: evictor `{}` let slot {v} (model {}) expire in state {:?} with {} pins",
                            it.mem_ev.name(),
                            s.model,
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

    // ----- download → load --------------------------------------------------

    /// A request wants the model in `slot` in memory on `inst`: start (or
    /// join) the path download → load.
    pub(super) fn ensure_model(&mut self, inst: u32, slot: u32) {
        let it = &mut self.tiers.inst[inst as usize];
        let s = it.slots.get_mut(slot);
        match s.mem {
            MemState::Absent => {
                s.mem = MemState::Pending;
                match s.disk {
                    DiskState::Present => {
                        it.idle_artifacts -= 1;
                        it.load_queue.push_back(Queued { slot, model: s.model });
                        self.sync_copy(inst, slot);
                        self.pump_loads(inst);
                    }
                    DiskState::Pending | DiskState::Downloading => self.sync_copy(inst, slot),
                    DiskState::Absent => {
                        s.disk = DiskState::Pending;
                        it.download_queue.push_back(Queued { slot, model: s.model });
                        self.sync_copy(inst, slot);
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
            let it = &self.tiers.inst[inst as usize];
            if it.downloads_active >= it.max_downloads {
                break;
            }
            let Some(&Queued { slot, model: queued }) = it.download_queue.front() else { break };
            let s = it.slots.get(slot);
            let (model, art) = (s.model, s.artifact);
            // A queued slot is in use (memory `Pending`): never released.
            debug_assert_eq!(model, queued, "slot {slot} changed model while queued");
            self.tiers.prefetch_copies(model);
            if !self.make_disk_room(inst, art) {
                break;
            }
            let it = &mut self.tiers.inst[inst as usize];
            it.download_queue.pop_front();
            let next = it.download_queue.front().copied();
            self.tiers.prefetch_queued(inst, next);
            let it = &mut self.tiers.inst[inst as usize];
            it.disk_used += art;
            it.downloads_active += 1;
            let s = it.slots.get_mut(slot);
            s.disk = DiskState::Downloading;
            s.t0 = self.now;
            self.sync_copy(inst, slot);
            self.m.cache.downloads += 1;
            self.ops_in_flight += 1;
            self.record(inst, model, TraceKind::DownloadStart);
            let overhead = self.cfg.cluster.download_overhead;
            if overhead == SimDuration::ZERO {
                self.start_transfer(inst, Link::Net, slot, art);
            } else {
                self.agenda.push(self.now + overhead, Event::TransferStart { inst, slot });
            }
        }
    }

    /// A download's fixed overhead has passed: its bytes start to flow.
    pub(super) fn on_transfer_start(&mut self, inst: u32, slot: u32) {
        let bytes = self.tiers.inst[inst as usize].slots.get(slot).artifact;
        self.start_transfer(inst, Link::Net, slot, bytes);
    }

    /// Frees disk room for `need` bytes: deletes unpinned artifacts at once;
    /// if that is not enough, unloads idle models so that their artifacts
    /// unpin. Returns whether the room is there now.
    fn make_disk_room(&mut self, inst: u32, need: u64) -> bool {
        loop {
            let it = &mut self.tiers.inst[inst as usize];
            let free = self.tiers.disk_cap - it.disk_used;
            if free >= need {
                return true;
            }
            let slots = &it.slots;
            if it.idle_artifacts > 0 {
                if let Some(v) = it.disk_ev.victim(&|x| slots.get(x).mem != MemState::Absent) {
                    self.delete_artifact(inst, v, "proposed");
                    continue;
                }
            }
            if free + it.disk_unpinning >= need || it.idle_loaded == 0 {
                return false; // unloads under way will unpin enough, or none can start
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
        let it = &mut self.tiers.inst[inst as usize];
        let s = it.slots.get_mut(v);
        if s.disk != DiskState::Present || s.mem != MemState::Absent {
            panic!(
                "BUG: disk evictor `{}` {why} slot {v} (model {}) in state {:?}/{:?}",
                it.disk_ev.name(),
                s.model,
                s.disk,
                s.mem
            );
        }
        let (model, art) = (s.model, s.artifact);
        mmesim_engine::prefetch(&self.tiers.copies, model as usize);
        s.disk = DiskState::Absent;
        it.idle_artifacts -= 1;
        it.disk_ev.on_remove(v);
        it.disk_used -= art;
        self.m.cache.disk_evictions += 1;
        self.sync_copy(inst, v);
        self.record(inst, model, TraceKind::DiskEvict);
        self.retire(inst, v);
    }

    /// The memory evictor's proposal, checked: loaded and unpinned.
    fn mem_victim(&mut self, inst: u32) -> Option<u32> {
        let it = &mut self.tiers.inst[inst as usize];
        let slots = &it.slots;
        let v = it.mem_ev.victim(&|x| slots.get(x).pins > 0)?;
        let s = slots.get(v);
        if s.mem != MemState::Loaded || s.pins > 0 {
            panic!(
                "BUG: memory evictor `{}` proposed slot {v} (model {}) in state {:?} with {} pins",
                it.mem_ev.name(),
                s.model,
                s.mem,
                s.pins
            );
        }
        Some(v)
    }

    fn on_download_done(&mut self, inst: u32, slot: u32) {
        let Residency { model, artifact, .. } = *self.tiers.inst[inst as usize].slots.get(slot);
        self.tiers.prefetch_copies(model);
        let meta = ObjectMeta { size: Bytes(artifact), reload_cost: self.download_time(artifact).as_secs_f64() };
        let ctx = self.ctx();
        self.ops_in_flight -= 1;
        let now = self.now;
        let it = &mut self.tiers.inst[inst as usize];
        it.downloads_active -= 1;
        let s = it.slots.get_mut(slot);
        let took = (now - s.t0).as_millis_f64();
        s.disk = DiskState::Present;
        let pending = s.mem == MemState::Pending;
        it.idle_artifacts += u32::from(s.mem == MemState::Absent);
        self.fleet.instances[inst as usize].acc.downloading.add(took);
        it.disk_ev.on_insert(slot, meta, ctx);
        self.arm_expiry(inst, Tier::Disk);
        if pending {
            self.tiers.inst[inst as usize].load_queue.push_back(Queued { slot, model });
        }
        self.sync_copy(inst, slot);
        self.record(inst, model, TraceKind::DownloadEnd);
        self.pump_loads(inst);
        self.pump_downloads(inst);
    }

    fn pump_loads(&mut self, inst: u32) {
        loop {
            let it = &self.tiers.inst[inst as usize];
            if it.loads_active >= it.max_loads {
                break;
            }
            let Some(&Queued { slot, model: queued }) = it.load_queue.front() else { break };
            let s = it.slots.get(slot);
            let (model, size, art) = (s.model, s.memory, s.artifact);
            debug_assert_eq!(model, queued, "slot {slot} changed model while queued");
            self.tiers.prefetch_copies(model);
            // On GPU types the artifact is staged in host RAM while it
            // loads: wait for room there (a load under way frees it).
            if it.host_staging.saturating_add(art) > it.host_cap && it.loads_active > 0 {
                break;
            }
            if !self.make_mem_room(inst, size) {
                break;
            }
            let ctx = self.ctx();
            let it = &mut self.tiers.inst[inst as usize];
            it.load_queue.pop_front();
            let next = it.load_queue.front().copied();
            self.tiers.prefetch_queued(inst, next);
            let it = &mut self.tiers.inst[inst as usize];
            it.mem_used += size;
            if it.host_cap != u64::MAX {
                it.host_staging += art;
            }
            it.loads_active += 1;
            let s = it.slots.get_mut(slot);
            s.mem = MemState::Loading;
            s.t0 = self.now;
            it.disk_ev.on_access(slot, ctx);
            self.sync_copy(inst, slot);
            self.sync_status(inst);
            self.m.cache.loads += 1;
            self.ops_in_flight += 1;
            self.m.minute.loads += 1;
            let zone = self.fleet.zone(inst);
            self.fleet.zones[zone].loads += 1;
            self.record(inst, model, TraceKind::LoadStart);
            self.start_transfer(inst, Link::Disk, slot, art);
        }
    }

    /// Starts moving `bytes` for the model in `slot` on one of `inst`'s
    /// shared links.
    pub(super) fn start_transfer(&mut self, inst: u32, link: Link, slot: u32, bytes: u64) {
        let it = &mut self.tiers.inst[inst as usize];
        // A download moves over its S3 connections: at most their rate.
        let at = match link {
            Link::Net => it.net.start_capped(self.now, slot, bytes, it.download_cap),
            Link::Disk => it.disk_io.start(self.now, slot, bytes),
        };
        self.agenda.set_link(inst, link, at);
    }

    /// Transfers on a link finished: downloads are done; loads have read
    /// their artifact and spend their fixed overhead next.
    pub(super) fn on_link_done(&mut self, inst: u32, link: Link) {
        let mut done = std::mem::take(&mut self.tiers.scratch);
        done.clear();
        let it = &mut self.tiers.inst[inst as usize];
        let pipe = match link {
            Link::Net => &mut it.net,
            Link::Disk => &mut it.disk_io,
        };
        // The agenda left this completion in place: move it to the next
        // one, or clear it if the link is idle.
        match pipe.complete(self.now, &mut done) {
            Some(at) => self.agenda.set_link(inst, link, at),
            None => self.agenda.clear_link(inst, link),
        }
        for &slot in &done {
            match link {
                Link::Net => self.on_download_done(inst, slot),
                Link::Disk => {
                    let overhead = self.class_of(self.model_in(inst, slot)).load_overhead;
                    if overhead == SimDuration::ZERO {
                        self.on_load_done(inst, slot);
                    } else {
                        // Deserialising takes a vCPU, shared with requests.
                        let work = self.cpu_work(overhead);
                        self.cpu_start(inst, Job::Load(slot), work, 1);
                    }
                }
            }
        }
        self.tiers.scratch = done;
    }

    // ----- memory room and unloads ------------------------------------------

    /// Frees memory for `need` bytes by unloading idle models. Returns
    /// whether the room is free now (unloads take time: usually not).
    fn make_mem_room(&mut self, inst: u32, need: u64) -> bool {
        loop {
            let it = &self.tiers.inst[inst as usize];
            let free = self.tiers.mem_cap - it.mem_used;
            if free >= need {
                return true;
            }
            if free + it.mem_unloading >= need || it.idle_loaded == 0 {
                return false; // unloads under way will free enough, or none can start
            }
            match self.mem_victim(inst) {
                Some(v) => self.start_unload(inst, v),
                None => return false,
            }
        }
    }

    fn start_unload(&mut self, inst: u32, slot: u32) {
        let Residency { model, memory: size, artifact: art, .. } = *self.tiers.inst[inst as usize].slots.get(slot);
        self.tiers.prefetch_copies(model);
        let ut = self.class_of(model).unload_time;
        let it = &mut self.tiers.inst[inst as usize];
        let s = it.slots.get_mut(slot);
        if s.pins > 0 || s.mem != MemState::Loaded {
            panic!("BUG: unloading model {model} on instance {inst} with {} pins in state {:?}", s.pins, s.mem);
        }
        s.mem = MemState::Unloading;
        s.t0 = self.now;
        it.mem_ev.on_remove(slot);
        it.loaded -= 1;
        it.idle_loaded -= 1;
        if self.tiers.recency_kept {
            it.recency.remove(slot);
            self.sync_lru_age(inst);
        }
        let it = &mut self.tiers.inst[inst as usize];
        it.mem_unloading += size;
        it.disk_unpinning += art;
        self.sync_copy(inst, slot);
        self.sync_status(inst);
        self.record(inst, model, TraceKind::UnloadStart);
        self.ops_in_flight += 1;
        self.agenda.push(self.now + ut, Event::UnloadDone { inst, slot });
    }

    pub(super) fn on_unload_done(&mut self, inst: u32, slot: u32) {
        let Residency { model, memory: size, artifact: art, .. } = *self.tiers.inst[inst as usize].slots.get(slot);
        self.tiers.prefetch_copies(model);
        let now = self.now;
        let it = &mut self.tiers.inst[inst as usize];
        it.mem_used -= size;
        it.mem_unloading -= size;
        it.disk_unpinning -= art;
        let s = it.slots.get_mut(slot);
        let took = (now - s.t0).as_millis_f64();
        s.mem = MemState::Absent;
        let reload = std::mem::take(&mut s.reload);
        let on_disk = s.disk == DiskState::Present;
        if on_disk {
            // The artifact's model left memory: it may be deleted now.
            it.idle_artifacts += 1;
            it.disk_ev.on_unpin(slot);
        }
        self.fleet.instances[inst as usize].acc.unloading.add(took);
        self.m.cache.unloads += 1;
        self.ops_in_flight -= 1;
        self.m.minute.unloads += 1;
        let zone = self.fleet.zone(inst);
        self.fleet.zones[zone].unloads += 1;
        self.sync_copy(inst, slot);
        self.sync_status(inst);
        self.record(inst, model, TraceKind::UnloadEnd);
        self.arm_expiry(inst, Tier::Disk);
        if reload {
            self.ensure_model(inst, slot);
        } else if self.cfg.cluster.model_cache == ModelCacheSetting::Disabled && on_disk {
            self.delete_artifact(inst, slot, "deleted uncached");
        }
        self.pump_downloads(inst);
        self.pump_loads(inst);
    }

    pub(super) fn on_load_done(&mut self, inst: u32, slot: u32) {
        let Residency { model, memory, artifact: art, head, .. } = *self.tiers.inst[inst as usize].slots.get(slot);
        // The routing view's copies and the first waiter are cold: start
        // both reads now.
        self.tiers.prefetch_copies(model);
        self.reqs.prefetch_wait(head);
        let reload = self.load_time(model, art) + self.download_time(art);
        let meta = ObjectMeta { size: Bytes(memory), reload_cost: reload.as_secs_f64() };
        let ctx = self.ctx();
        self.ops_in_flight -= 1;
        let now = self.now;
        let it = &mut self.tiers.inst[inst as usize];
        it.loads_active -= 1;
        if it.host_cap != u64::MAX {
            it.host_staging -= art;
        }
        it.loaded += 1;
        it.idle_loaded += 1; // until its waiters pin it
        let s = it.slots.get_mut(slot);
        let took = (now - s.t0).as_millis_f64();
        s.mem = MemState::Loaded;
        let waiters = std::mem::replace(&mut s.head, NIL);
        s.tail = NIL;
        self.fleet.instances[inst as usize].acc.loading.add(took);
        it.mem_ev.on_insert(slot, meta, ctx);
        self.recency_touch(inst, slot, true);
        self.sync_copy(inst, slot);
        self.sync_status(inst);
        self.record(inst, model, TraceKind::LoadEnd);
        self.admit_waiters(inst, waiters);
        self.arm_expiry(inst, Tier::Memory);
        self.pump_loads(inst);
    }

    // ----- a lost instance --------------------------------------------------

    /// Forgets everything an instance held (it failed): models, artifacts,
    /// queues and transfers; the routing view no longer lists its copies.
    /// Returns the downloads, loads and unloads that were under way.
    pub(super) fn lose_tiers(&mut self, inst: u32) -> u64 {
        let it = &mut self.tiers.inst[inst as usize];
        let lost = it.ops_under_way();
        // By model id, as the copies were always dropped (the order of
        // the routing view's lists depends on it).
        let mut touched: Vec<u32> = it
            .slots
            .in_use()
            .filter(|(_, s)| s.mem != MemState::Absent || s.disk != DiskState::Absent)
            .map(|(_, s)| s.model)
            .collect();
        touched.sort_unstable();
        // The waiter lists go with the slots (their requests were failed
        // or sent to retry by the caller).
        for (_, s) in it.slots.in_use() {
            self.reqs.free_wait_list(s.head);
        }
        it.slots.clear();
        it.limbo = Vec::new();
        it.limbo_kept = 0;
        it.download_queue.clear();
        it.load_queue.clear();
        it.net.clear();
        it.disk_io.clear();
        (it.mem_used, it.mem_unloading, it.disk_used, it.disk_unpinning) = (0, 0, 0, 0);
        it.host_staging = 0;
        (it.downloads_active, it.loads_active, it.loaded) = (0, 0, 0);
        (it.idle_loaded, it.idle_artifacts) = (0, 0);
        it.recency.clear();
        // Their completions go with them.
        self.agenda.clear_link(inst, Link::Net);
        self.agenda.clear_link(inst, Link::Disk);
        for m in touched {
            if let Some(p) = self.tiers.copies[m as usize].position(inst) {
                self.drop_copy(m, p);
            }
        }
        lost
    }
}

/// Releases the limbo's slots that are idle and no longer remembered, and
/// drops from it the ones in use again; keeps the rest.
fn sweep_limbo(it: &mut InstanceTiers) {
    let mut limbo = std::mem::take(&mut it.limbo);
    limbo.retain(|&slot| {
        let s = it.slots.get_mut(slot);
        if !s.idle() {
            s.in_limbo = false; // in use again: `retire` lists it anew
            return false;
        }
        if it.mem_ev.remembers(slot) || it.disk_ev.remembers(slot) {
            return true;
        }
        it.slots.release(slot); // clears `in_limbo` with the rest
        false
    });
    it.limbo_kept = limbo.len();
    it.limbo = limbo;
}
