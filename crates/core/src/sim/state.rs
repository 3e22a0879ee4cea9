//! The simulation's data, grouped by who writes it.
//!
//! Owns the plain types of the run: [`ModelInfo`] and [`ModelClass`] (the
//! model catalogue, read-only after setup), [`Instance`] (life cycle, inference slots,
//! minute accumulators), [`Requests`] (the request slab), [`Fleet`]
//! (instances, the routing view's statuses and index, zones, faults) and
//! [`Inflow`] (the request source, or the closed loop's users). No behaviour beyond slab bookkeeping
//! lives here; the memory and disk tiers are in `cache.rs`, behind private
//! fields.

use super::cpu::Cpu;
use crate::cw::MinuteAcc;
use crate::dist::Sampler;
use crate::metrics::{FaultWindow, ZoneSummary};
use crate::route::{FleetIndex, InstanceStatus};
use crate::source::{Arrival, ClosedLoop, RequestSource};
use mmesim_engine::{SimDuration, SimRng, SimTime};
use std::collections::VecDeque;

/// "No such index" in intrusive links and instance fields.
pub(super) const NIL: u32 = u32::MAX;

/// A model's sizes as the run sees them. One per model, so kept small: a
/// million-model endpoint holds a million of them (issue 15), read at
/// random. 16 bytes, aligned to 16, so a record never straddles two cache
/// lines; the time a model's requests spend outside it and its class are
/// kept beside (`Simulation::overheads`, `class_ids`) only when models
/// differ in them. The routing view reads the footprints from here
/// ([`ClusterView::model_memory`](crate::ClusterView::model_memory)).
#[derive(Clone, Copy, Debug)]
#[repr(align(16))]
pub(crate) struct ModelInfo {
    /// What the model costs in the memory tier once loaded (its footprint
    /// plus the container's per-model overhead on CPU types).
    pub(crate) memory: u64,
    pub(crate) artifact: u64,
}

const _: () = assert!(std::mem::size_of::<ModelInfo>() == 16, "one per model: keep it small");

/// What models of one class share: the service-time sampler and the fixed
/// times of loads, unloads and pre-processing. A generated population has
/// one class; a list of models has at most one per model.
pub(super) struct ModelClass {
    pub(super) service: Sampler,
    pub(super) load_overhead: SimDuration,
    pub(super) unload_time: SimDuration,
    /// CPU work per request besides inference, at the type's speed.
    pub(super) preprocess: SimDuration,
}

/// Where an instance is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Life {
    Launching,
    InService,
    Draining,
    Removed,
    /// Lost to a fault: memory, disk and requests gone; never returns.
    Failed,
}

impl Life {
    /// Launching, in service or draining: a fault can still take it.
    pub(super) fn is_up(self) -> bool {
        matches!(self, Life::Launching | Life::InService | Life::Draining)
    }
}

/// An instance's life cycle, inference slots and this minute's figures.
/// Its memory and disk tiers are `cache::InstanceTiers`, at the same index.
pub(super) struct Instance {
    pub(super) life: Life,
    /// Inference slots (vCPUs or GPU slots) and how many are taken.
    pub(super) slots_total: u32,
    pub(super) slots_busy: u32,
    /// The vCPUs, shared by requests in service (CPU types) and loads
    /// deserialising.
    pub(super) cpu: Cpu,
    /// vCPUs in use (`cpu.busy()`), kept for the busy area.
    pub(super) cpu_busy: u32,
    /// Whether requests run on the vCPUs (CPU types) or on accelerator
    /// slots at a fixed speed (GPU types).
    pub(super) serve_on_cpu: bool,
    /// Requests whose model is loaded, waiting FIFO for slots.
    pub(super) slot_queue: VecDeque<u32>,
    /// Live requests waiting here (for a model or a slot).
    pub(super) queued: u32,
    /// ∫ busy dt (slot·ns, or vCPU·ns on CPU types), up to `last_change`.
    pub(super) busy_area: u128,
    pub(super) busy_area_at_minute: u128,
    pub(super) last_change: SimTime,
    /// This minute's CloudWatch accumulators.
    pub(super) acc: MinuteAcc,
    pub(super) launched_at: SimTime,
    pub(super) ended_at: Option<SimTime>,
}

impl Instance {
    pub(super) fn new(life: Life, slots: u32, vcpus: u32, serve_on_cpu: bool, now: SimTime) -> Self {
        Instance {
            life,
            slots_total: slots,
            slots_busy: 0,
            cpu: Cpu::new(vcpus, now),
            cpu_busy: 0,
            serve_on_cpu,
            slot_queue: VecDeque::new(),
            queued: 0,
            busy_area: 0,
            busy_area_at_minute: 0,
            acc: MinuteAcc::default(),
            last_change: now,
            launched_at: now,
            ended_at: None,
        }
    }

    /// What the busy area counts: vCPUs in use on CPU types, busy slots
    /// on GPU types.
    pub(super) fn busy_units(&self) -> u32 {
        if self.serve_on_cpu {
            self.cpu_busy
        } else {
            self.slots_busy
        }
    }

    /// What the busy area is measured against: vCPUs on CPU types, slots
    /// on GPU types.
    pub(super) fn busy_capacity(&self) -> u32 {
        if self.serve_on_cpu {
            self.cpu.capacity()
        } else {
            self.slots_total
        }
    }

    /// Adds the busy area since the last change up to `now`.
    pub(super) fn accrue_busy(&mut self, now: SimTime) {
        self.busy_area += self.busy_units() as u128 * (now - self.last_change).as_nanos() as u128;
        self.last_change = now;
    }
}

/// Where a request is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ReqState {
    Free,
    WaitModel,
    WaitSlot,
    /// On the vCPUs before queueing for the GPU (payload decoding,
    /// pre-processing; GPU types only).
    Preprocessing,
    Serving,
    /// Timed out (or lost with its instance) while queued for a slot or in
    /// service; freed when it leaves the slot queue or when its service
    /// event comes. (A request that times out waiting for its model is
    /// freed at once: `cache::Simulation::leave_waiters`.)
    Dead,
    /// Waiting for the client's retry (no instance).
    Retrying,
}

/// The part of a request that events read and change: one aligned cache
/// line, the slab's entry ([`Requests`]).
#[derive(Clone, Copy, Debug)]
#[repr(align(64))]
pub(super) struct Hot {
    pub(super) model: u32,
    pub(super) inst: u32,
    /// The model's slot on `inst` (`slots.rs`), set when it is admitted
    /// there: the request holds it from then on, so nothing after routing
    /// looks the model up again.
    pub(super) slot: u32,
    /// Next request of the batch it is served in (GPU types).
    pub(super) next: u32,
    pub(super) gen: u32,
    /// Its node in its model's waiter list while it waits for the model
    /// (`Requests::wait`); `NIL` otherwise.
    pub(super) wait: u32,
    /// Start of the current attempt (its timeout counts from here).
    pub(super) started: SimTime,
    /// When its model was ready (slot wait counts from here).
    pub(super) ready: SimTime,
    pub(super) service: SimDuration,
    /// Its wait for an inference slot, from `ready` to the start of its
    /// service (of the current attempt): recorded in the report when it
    /// completes, so that the queue-wait figures and the latency figures
    /// count the same requests.
    pub(super) slot_wait: SimDuration,
    pub(super) state: ReqState,
    pub(super) hit: bool,
    pub(super) measured: bool,
    pub(super) timeout_armed: bool,
    /// Its client got a timeout while it was in the container (being
    /// pre-processed or served): it has ended for the client and the
    /// metrics, and only frees its slot and model when its work ends.
    pub(super) abandoned: bool,
}

const _: () = assert!(std::mem::size_of::<Hot>() == 64);

impl Hot {
    /// An entry no request holds.
    pub(super) const FREE: Hot = Hot {
        model: NIL,
        inst: NIL,
        slot: NIL,
        next: NIL,
        gen: 0,
        wait: NIL,
        started: SimTime::ZERO,
        ready: SimTime::ZERO,
        service: SimDuration::ZERO,
        slot_wait: SimDuration::ZERO,
        state: ReqState::Free,
        hit: false,
        measured: false,
        timeout_armed: false,
        abandoned: false,
    };
}

/// The rest of a request: read only by traces (`seq`), retries
/// (`attempt`; `arrival`, as `started` moves at each attempt) and
/// closed-loop clients (`user`, `arrival`).
#[derive(Clone, Copy, Debug)]
pub(super) struct Cold {
    /// Its arrival's sequence number (trace records).
    pub(super) seq: u64,
    /// Its first arrival (the latency counts from here).
    pub(super) arrival: SimTime,
    /// Retries made so far.
    pub(super) attempt: u32,
    /// The closed-loop user who sent it (`NIL` for an open arrival).
    pub(super) user: u32,
}

impl Cold {
    /// No sequence number, arrival, retry or user.
    pub(super) const NONE: Cold = Cold { seq: 0, arrival: SimTime::ZERO, attempt: 0, user: NIL };
}

/// A request, whole: what the code passes by value. Its [`Hot`] fields
/// read as its own (`req.model`); its [`Cold`] ones are `req.cold`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Req {
    pub(super) hot: Hot,
    pub(super) cold: Cold,
}

impl std::ops::Deref for Req {
    type Target = Hot;
    #[inline]
    fn deref(&self) -> &Hot {
        &self.hot
    }
}

impl std::ops::DerefMut for Req {
    #[inline]
    fn deref_mut(&mut self) -> &mut Hot {
        &mut self.hot
    }
}

/// One request waiting for its model on an instance, in that model's
/// list there (`Requests::wait`).
#[derive(Clone, Copy, Debug)]
pub(super) struct WaitNode {
    /// The next node of the list (`NIL`: the last).
    pub(super) next: u32,
    /// The request's slab entry.
    pub(super) req: u32,
}

/// The request slab: entries are reused, so the hot path allocates nothing
/// per request once the slab has grown to the peak number in flight.
///
/// Each entry is a [`Hot`] line in `slab`, and, when the run needs any of
/// them (`with_cold`: a trace is recorded, clients retry, or users are
/// closed-loop), its [`Cold`] fields in `cold`. Otherwise `cold` stays
/// empty and [`Requests::get`] gives the fields' only possible values
/// (no retry: `arrival` = `started`, `attempt` 0; no user; `seq` unread),
/// so the events of an open run touch one cache line per request
/// (issue 15: the timeouts of a thrashing run read a cold entry each).
#[derive(Default)]
pub(super) struct Requests {
    pub(super) slab: Vec<Hot>,
    cold: Vec<Cold>,
    with_cold: bool,
    /// The nodes of the waiter lists: each request waiting for its model
    /// on an instance is one node of that model's list there
    /// (`cache::Residency` holds each list's ends). Apart from the slab so
    /// that a request that times out while waiting frees its entry at
    /// once: it leaves its list (the head, as waiters join in deadline
    /// order). In a thrashing run most waiters time out long before their model is
    /// loaded, and kept linked they grew the slab ninefold (issue 15).
    /// 8 bytes a node, so appending to a list and walking it read a
    /// compact array, not the (long idle, cold) entries of the waiters.
    wait: Vec<WaitNode>,
    wait_free: Vec<u32>,
    free: Vec<u32>,
    /// Requests admitted and not ended (waiting, serving or retrying).
    pub(super) live: u64,
}

impl Requests {
    /// A slab whose entries keep their [`Cold`] fields, or not (see the
    /// type's documentation for when a run needs them).
    pub(super) fn new(with_cold: bool) -> Self {
        Requests { with_cold, ..Requests::default() }
    }

    /// Stores a new live request; a reused entry gets a new generation, so
    /// timers of its previous occupant go stale.
    pub(super) fn alloc(&mut self, mut req: Req) -> u32 {
        self.live += 1;
        match self.free.pop() {
            Some(r) => {
                req.gen = self.slab[r as usize].gen.wrapping_add(1);
                self.set(r, &req);
                r
            }
            None => {
                let r = self.slab.len() as u32;
                self.slab.push(Hot::FREE);
                if self.with_cold {
                    self.cold.push(Cold::NONE);
                }
                self.set(r, &req);
                r
            }
        }
    }

    /// Entry `r`, whole.
    #[inline]
    pub(super) fn get(&self, r: u32) -> Req {
        let hot = self.slab[r as usize];
        let cold = if self.with_cold { self.cold[r as usize] } else { Cold { arrival: hot.started, ..Cold::NONE } };
        Req { hot, cold }
    }

    /// Overwrites entry `r` with `req` (generation included).
    #[inline]
    pub(super) fn set(&mut self, r: u32, req: &Req) {
        self.slab[r as usize] = req.hot;
        if self.with_cold {
            self.cold[r as usize] = req.cold;
        } else {
            let c = &req.cold;
            debug_assert!(
                c.attempt == 0 && c.user == NIL && c.arrival == req.started,
                "BUG: a request with cold fields in a slab without them"
            );
        }
    }

    /// A new waiter-list node for entry `r`, linked to nothing.
    #[inline]
    pub(super) fn alloc_wait(&mut self, r: u32) -> u32 {
        let node = WaitNode { next: NIL, req: r };
        match self.wait_free.pop() {
            Some(n) => {
                self.wait[n as usize] = node;
                n
            }
            None => {
                self.wait.push(node);
                (self.wait.len() - 1) as u32
            }
        }
    }

    /// Node `n` of a waiter list.
    #[inline]
    pub(super) fn wait_node(&self, n: u32) -> WaitNode {
        self.wait[n as usize]
    }

    /// Starts reading node `n` (if any).
    #[inline(always)]
    pub(super) fn prefetch_wait(&self, n: u32) {
        mmesim_engine::prefetch(&self.wait, n as usize);
    }

    /// Links node `n` to `next`.
    #[inline]
    pub(super) fn set_wait_next(&mut self, n: u32, next: u32) {
        self.wait[n as usize].next = next;
    }

    /// Returns node `n` (unlinked by its caller) for reuse.
    #[inline]
    pub(super) fn free_wait(&mut self, n: u32) {
        self.wait_free.push(n);
    }

    /// Returns the nodes of the list from `head` for reuse; their
    /// requests are the caller's.
    pub(super) fn free_wait_list(&mut self, head: u32) {
        let mut n = head;
        while n != NIL {
            self.wait_free.push(n);
            n = self.wait[n as usize].next;
        }
    }

    /// Waiter-list nodes in use.
    pub(super) fn waits_in_use(&self) -> usize {
        self.wait.len() - self.wait_free.len()
    }

    /// Returns entry `r` to the free list (does not change `live`).
    pub(super) fn free(&mut self, r: u32) {
        self.slab[r as usize].state = ReqState::Free;
        self.free.push(r);
    }
}

/// The instances and what the router sees of them.
#[derive(Default)]
pub(super) struct Fleet {
    pub(super) instances: Vec<Instance>,
    /// The routing view's per-instance status, kept in step by every room.
    pub(super) status: Vec<InstanceStatus>,
    /// The routing view's indexes over accepting instances.
    pub(super) index: FleetIndex,
    pub(super) zones: Vec<ZoneSummary>,
    /// Outages under way per zone (overlapping outages count separately).
    pub(super) zone_down: Vec<u32>,
    /// Failed instances waiting for a zone to come back to be replaced.
    pub(super) pending_replacements: Vec<u32>,
    pub(super) fault_windows: Vec<FaultWindow>,
    /// Replacements scheduled or waiting for a zone.
    pub(super) replacements_due: u64,
    pub(super) peak_in_service: u32,
    /// Instances per life stage, kept by `fleet.rs` (which makes every
    /// change of life).
    pub(super) census: super::fleet::Census,
}

impl Fleet {
    /// The zone index of an instance.
    #[inline]
    pub(super) fn zone(&self, inst: u32) -> usize {
        self.status[inst as usize].zone.index()
    }

    /// Instances in service (not launching, draining or gone).
    pub(super) fn in_service(&self) -> u32 {
        self.census.in_service
    }
}

/// Where requests come from.
pub(super) enum Feed {
    /// Open arrivals, pulled one at a time.
    Open(Box<dyn RequestSource>),
    /// Closed-loop users (see `clients.rs`).
    Closed(Box<dyn ClosedLoop>),
}

/// The request source and the one arrival drawn ahead (open), or the
/// users' counts (closed).
pub(super) struct Inflow {
    pub(super) feed: Feed,
    /// No arrival is pending: the open source is exhausted or past the
    /// configured duration; closed, no user is thinking (a user whose
    /// request is live may still send again once it ends).
    pub(super) done: bool,
    pub(super) next: Option<Arrival>,
    /// The source's next answers after `next`, drawn ahead so that what
    /// they will read can be prefetched (`schedule_next_arrival`).
    pub(super) ahead: [Option<Arrival>; 2],
    /// `ahead` has been filled (at the first arrival).
    pub(super) primed: bool,
    /// Prefetch what arrivals will read (`PREFETCH_MODELS`).
    pub(super) prefetch: bool,
    /// The source may be asked for more: it has not ended, nor given an
    /// arrival at or after the duration.
    pub(super) drawing: bool,
    pub(super) last: SimTime,
    /// Arrival sequence numbers handed out so far.
    pub(super) seq: u64,
    /// Service times, drawn once per arrival whatever happens to it.
    pub(super) service_rng: SimRng,
    /// Retry backoff jitter (drawn only with `ClientConfig::jitter`).
    pub(super) backoff_rng: SimRng,
    /// Closed loop: users (0 when open), users thinking (a `UserSends`
    /// pending) and users done (their next send would come at or after
    /// the duration). Users with a live request + thinking + done = users.
    pub(super) users: u32,
    pub(super) thinking: u32,
    pub(super) users_done: u32,
    /// The client processes, when modelled: when each is next free.
    /// A min-heap of (next free time, process): the earliest free process
    /// (lowest index on ties) is at the top, found in O(log P).
    pub(super) station: std::collections::BinaryHeap<std::cmp::Reverse<(SimTime, u32)>>,
    /// Their CPU time per request.
    pub(super) station_cpu: SimDuration,
    /// Per user, when its current request started on the client (woke).
    pub(super) user_woke: Vec<SimTime>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(seq: u64) -> Req {
        let hot = Hot { state: ReqState::WaitModel, measured: true, model: 0, ..Hot::FREE };
        Req { hot, cold: Cold { seq, ..Cold::NONE } }
    }

    #[test]
    fn a_reused_entry_gets_a_new_generation_so_old_timers_go_stale() {
        let mut r = Requests::new(true);
        let (a, b) = (r.alloc(req(0)), r.alloc(req(1)));
        assert_eq!((a, b, r.live), (0, 1, 2));
        assert_eq!((r.slab[0].gen, r.slab[1].gen), (0, 0));
        r.free(a);
        r.live -= 1;
        assert_eq!(r.slab[0].state, ReqState::Free);
        // The freed entry is reused (no growth) with generation 1; a timer
        // armed for generation 0 no longer matches it.
        let c = r.alloc(req(2));
        assert_eq!((c, r.slab.len(), r.get(0).cold.seq, r.slab[0].gen, r.live), (0, 2, 2, 1, 2));
        r.free(c);
        r.free(b);
        // Last freed, first reused.
        assert_eq!(r.alloc(req(3)), 1);
        assert_eq!(r.slab[1].gen, 1);
    }

    /// A slab with cold fields gives back what was stored; one without
    /// gives their only values in a run that needs none (no trace, retry
    /// or user): the attempt's start as the arrival, attempt 0, no user.
    #[test]
    fn cold_fields_are_kept_or_implied() {
        let mut q = req(7);
        (q.cold.arrival, q.started, q.ready) = (SimTime::from_secs(5), SimTime::from_secs(5), SimTime::from_secs(6));
        (q.model, q.slot, q.service) = (3, 4, SimDuration::from_millis(20));
        let mut with = Requests::new(true);
        let mut without = Requests::new(false);
        for r in [&mut with, &mut without] {
            assert_eq!(r.alloc(q), 0);
        }
        let (a, b) = (with.get(0), without.get(0));
        assert_eq!((a.cold.seq, a.cold.arrival, a.cold.attempt, a.cold.user), (7, SimTime::from_secs(5), 0, NIL));
        assert_eq!((b.cold.seq, b.cold.arrival, b.cold.attempt, b.cold.user), (0, SimTime::from_secs(5), 0, NIL));
        for x in [a, b] {
            assert_eq!(
                (x.model, x.slot, x.ready, x.service),
                (3, 4, SimTime::from_secs(6), SimDuration::from_millis(20))
            );
            assert_eq!((x.state, x.measured, x.gen), (ReqState::WaitModel, true, 0));
        }
        // A retry (only in a slab with cold fields) keeps its first
        // arrival, while `started` moves to the new attempt.
        let mut retry = with.get(0);
        (retry.cold.attempt, retry.started) = (1, SimTime::from_secs(9));
        with.set(0, &retry);
        let c = with.get(0);
        assert_eq!(
            (c.cold.arrival, c.started, c.cold.attempt, c.cold.seq),
            (SimTime::from_secs(5), SimTime::from_secs(9), 1, 7)
        );
    }
}
