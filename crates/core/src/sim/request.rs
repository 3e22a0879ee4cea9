//! The request lifecycle: arrival, routing, admission, waiting, service,
//! timeouts, retries and the end of every request.
//!
//! Owns the request slab's entries ([`Requests`](super::state::Requests)),
//! each instance's inference slots and slot queue, and the request counts
//! of the metrics. May touch: the routing status's request fields
//! (outstanding, serving, queued for a slot), the agenda (service, retry
//! and timeout events). It reads the tiers but changes a model's state only
//! through `cache.rs` (`touch_hit`, `add_waiter`, `ensure_model`, `pin`,
//! `unpin`): it cannot write tier state, whose fields are private there.
//!
//! Architecture invariant: every arrived request ends exactly once, as
//! completed, failed (with a reason) or rejected (with a reason); the
//! slab's `live` count is what has not ended yet.

use super::cpu::Job;
use super::event::Event;
use super::state::{Cold, Feed, Hot, Life, Req, ReqState, NIL};
use super::{Simulation, TraceKind};
use crate::metrics::FailReason;
use crate::route::{ClusterView, MemState, RejectReason, RouteDecision};
use crate::source::Arrival;
use crate::ModelId;
use mmesim_engine::{ceil_to_u64, round_to_u64, SimDuration};

impl Simulation {
    /// Takes the next arrival from the source (if any, and before the
    /// configured duration) and schedules it.
    ///
    /// With many models or instances (`Inflow::prefetch`, see
    /// `PREFETCH_MODELS`), the source is read two arrivals ahead
    /// (`Inflow::ahead`), and what an arrival will read is fetched into the
    /// CPU's caches in three steps, each an arrival (several events) before
    /// the next needs it: when it is drawn, its model's facts and copies;
    /// one arrival later, the routing status, request fields and slot table
    /// of the instances those copies name; when it is scheduled, the
    /// model's residency there (in the slots recorded beside the copies).
    /// With a million models or thousands of instances each is a read from
    /// main memory. Hints only: the source is asked for exactly the
    /// arrivals it was asked for without them (up to the first at or after
    /// the duration), in the same order, and every decision is the same.
    pub(super) fn schedule_next_arrival(&mut self) {
        if self.inflow.done || !matches!(self.inflow.feed, Feed::Open(_)) {
            return;
        }
        let next = if self.inflow.prefetch { self.next_of_ahead() } else { self.draw_ahead() };
        match next {
            Some(a) if a.time.as_nanos() < self.cfg.duration.as_nanos() => {
                if a.time < self.inflow.last {
                    panic!("BUG: request source went back in time ({} after {})", a.time, self.inflow.last);
                }
                self.inflow.last = a.time;
                if a.model.index() >= self.models.len() {
                    panic!("BUG: request source produced model {} of {}", a.model, self.models.len());
                }
                self.inflow.next = Some(a);
                self.agenda.push_arrival(a.time);
                if self.inflow.prefetch {
                    self.prefetch_slots(a.model.0);
                }
            }
            _ => self.inflow.done = true,
        }
    }

    /// The next arrival through the lookahead buffer, moving each buffered
    /// one a step closer (`Inflow::ahead`).
    fn next_of_ahead(&mut self) -> Option<Arrival> {
        if !self.inflow.primed {
            self.inflow.primed = true;
            self.inflow.ahead = [self.draw_ahead(), self.draw_ahead()];
        }
        let next = self.inflow.ahead[0].take();
        self.inflow.ahead[0] = self.inflow.ahead[1].take();
        if let Some(a) = self.inflow.ahead[0] {
            self.prefetch_instances(a.model.index());
        }
        self.inflow.ahead[1] = self.draw_ahead();
        next
    }

    /// The source's next arrival, unless it has ended or has given one at
    /// or after the duration (the last it is asked for); prefetches the
    /// model's facts and copies.
    fn draw_ahead(&mut self) -> Option<Arrival> {
        let Feed::Open(source) = &mut self.inflow.feed else { return None };
        if !self.inflow.drawing {
            return None;
        }
        let a = source.next_arrival();
        match a {
            Some(a) if a.time.as_nanos() >= self.cfg.duration.as_nanos() => self.inflow.drawing = false,
            Some(a) if self.inflow.prefetch => {
                let m = a.model.index();
                mmesim_engine::prefetch(&self.models, m);
                mmesim_engine::prefetch(self.tiers.copies(), m);
            }
            Some(_) => {}
            None => self.inflow.drawing = false,
        }
        a
    }

    /// Prefetches the routing status, the request fields and the tiers'
    /// head of (up to two of) the instances holding `model`: where a
    /// request for it most likely goes.
    #[inline]
    fn prefetch_instances(&self, model: usize) {
        let Some(list) = self.tiers.copies().get(model) else { return };
        for c in list.as_slice().iter().take(2) {
            let i = c.instance.index();
            mmesim_engine::prefetch(&self.fleet.status, i);
            if let Some(it) = self.fleet.instances.get(i) {
                mmesim_engine::prefetch_ref(&it.acc);
                mmesim_engine::prefetch_ref(&it.slot_queue);
                mmesim_engine::prefetch_ref(&it.queued);
            }
            self.tiers.prefetch_head(i);
        }
    }

    /// Prefetches the model's residency on (up to two of) the instances
    /// holding it, in the slots recorded beside the copies.
    #[inline]
    fn prefetch_slots(&self, model: u32) {
        let Some(list) = self.tiers.copies().get(model as usize) else { return };
        for (c, slot) in list.recorded() {
            self.tiers.prefetch_residency(c.instance.index(), slot);
        }
    }

    fn reject(&mut self, req: &Req, reason: RejectReason) {
        self.m.rejected[reason as usize] += 1;
        self.m.measured_rejected += req.measured as u64;
        self.m.minute.rejected += 1;
        self.record(NIL, req.model, TraceKind::Rejected { seq: req.cold.seq, reason });
        self.request_ended(req, SimDuration::ZERO);
    }

    /// A request arrives (sent by closed-loop `user`, or `NIL`: open).
    /// Always inlined: the open path's hot loop keeps it in `run`.
    #[inline(always)]
    pub(super) fn on_arrival(&mut self, a: Arrival, user: u32) {
        let seq = self.inflow.seq;
        self.inflow.seq += 1;
        let model = a.model.0;
        // Drawn for every arrival, whatever happens to it, so the service
        // stream never depends on a policy.
        let class = super::class_of(&self.classes, &self.class_ids, model);
        let drawn = class.service.sample(&mut self.inflow.service_rng);
        let mut service = a.service.unwrap_or_else(|| SimDuration::from_millis_f64(drawn));
        let scale = self.cfg.cluster.service_scale;
        if scale != 1.0 {
            service = SimDuration::from_nanos(round_to_u64(service.as_nanos() as f64 * scale));
        }
        let measured = self.now.as_nanos() >= self.cfg.warmup.as_nanos();
        self.m.arrived += 1;
        self.m.minute.invocations += 1;
        if measured {
            self.m.measured += 1;
        }
        let hot = Hot { model, ready: self.now, started: self.now, service, measured, ..Hot::FREE };
        let req = Req { hot, cold: Cold { seq, arrival: self.now, attempt: 0, user } };
        self.dispatch(req, None);
    }

    /// Routes a request (a new arrival, or a retry held in slab entry
    /// `existing`) and admits it to the chosen instance.
    pub(super) fn dispatch(&mut self, mut req: Req, existing: Option<u32>) {
        let model = req.model;
        let view = ClusterView {
            instances: &self.fleet.status,
            copies: crate::route::Copies::Inline(self.tiers.copies()),
            model_memory: crate::route::Sizes::Models(&self.models),
            fleet: &self.fleet.index,
            now: self.now,
        };
        let inst = match self.router.route(ModelId(model), &view) {
            RouteDecision::To(i) => i.0,
            RouteDecision::Reject(r) => {
                self.book.endpoint_acc.errors_4xx += 1;
                return self.reject_or_retry(req, existing, r);
            }
        };
        match self.fleet.status.get(inst as usize) {
            Some(s) if s.accepts() => {}
            _ => panic!("BUG: router `{}` chose instance {inst}, which does not accept requests", self.router.name()),
        }
        let zone = self.fleet.zone(inst);
        let tiers = self.tiers.get(inst);
        // The capacities are the endpoint's, not read from the instance
        // (one cold line fewer).
        let fail = if self.all_fit {
            None
        } else if self.models[model as usize].memory > self.tiers.mem_cap() {
            Some(FailReason::ModelTooLarge)
        } else if self.models[model as usize].artifact > self.tiers.disk_cap() {
            Some(FailReason::ArtifactTooLarge)
        } else {
            None
        };
        // The router most often picks an instance holding a copy: the
        // slot is then beside the copy it just read. Every slot is listed
        // there or in its instance's limbo list (an invariant), so when
        // the list's slots are all recorded and the limbo is empty, the
        // instance has none: the slot map (with a million models, a miss)
        // is read only otherwise.
        let list = &self.tiers.copies()[model as usize];
        let slot = match list.slot_on(inst) {
            Some(s) => Some(s),
            None if list.all_recorded() && tiers.limbo().is_empty() => None,
            None => tiers.slot_of(model),
        };
        debug_assert_eq!(slot, tiers.slot_of(model));
        let hit = slot.is_some_and(|s| tiers.residency(s).mem == MemState::Loaded);
        if req.measured {
            self.m.measured_routed += 1;
            self.m.measured_hits += hit as u64;
            self.fleet.zones[zone].requests += 1;
            self.fleet.zones[zone].hits += hit as u64;
        }
        self.m.minute_routed += 1;
        self.m.minute_hits += hit as u64;
        let acc = &mut self.fleet.instances[inst as usize].acc;
        acc.invocations += 1;
        acc.hits += hit as u64;
        if let Some(reason) = fail {
            if let Some(r) = existing {
                self.reqs.free(r);
            }
            self.reqs.live -= existing.is_some() as u64;
            return self.count_failure(&req, inst, reason);
        }
        let k = self.cfg.cluster.cpu_per_request;
        let it = &self.fleet.instances[inst as usize];
        let would_wait = !hit || !it.slot_queue.is_empty() || it.slots_total - it.slots_busy < k;
        if would_wait && it.queued >= self.cfg.cluster.queue_limit {
            self.fleet.instances[inst as usize].acc.errors_4xx += 1;
            return self.reject_or_retry(req, existing, RejectReason::Throttled);
        }
        req.inst = inst;
        req.slot = match slot {
            Some(s) => s,
            None => self.slot_for(inst, model),
        };
        req.hit = hit;
        req.ready = self.now;
        req.started = self.now;
        req.next = NIL;
        req.wait = NIL;
        req.timeout_armed = false;
        req.abandoned = false;
        let r = match existing {
            Some(r) => {
                req.gen = self.reqs.slab[r as usize].gen;
                self.reqs.set(r, &req);
                r
            }
            None => self.reqs.alloc(req),
        };
        let st = &mut self.fleet.status[inst as usize];
        st.outstanding += 1;
        self.fleet.index.load_changed(inst, st.outstanding - 1, st.outstanding);
        let slot = req.slot;
        if hit {
            self.touch_hit(inst, slot);
            self.model_ready(inst, r);
            // The response is due within the timeout, whatever happens; a
            // request that starts now and must end in time, even at the
            // slowest the vCPUs can get, needs no timer.
            let q = &self.reqs.slab[r as usize];
            let sure = q.state == ReqState::Serving && self.ends_in_time(inst, q);
            if !q.timeout_armed && !sure {
                self.arm_timeout(r);
            }
        } else {
            if self.add_waiter(inst, slot, r) {
                self.m.cache.joined_in_flight += 1;
            }
            self.fleet.instances[inst as usize].queued += 1;
            self.reqs.slab[r as usize].state = ReqState::WaitModel;
            self.arm_timeout(r);
            self.ensure_model(inst, slot);
        }
    }

    /// Counts the failure of `req` at `inst` (`NIL`: none); it has ended.
    pub(super) fn count_failure(&mut self, req: &Req, inst: u32, reason: FailReason) {
        let (seq, model) = (req.cold.seq, req.model);
        self.m.failed[reason as usize] += 1;
        self.m.measured_failed += req.measured as u64;
        self.m.minute.failed += 1;
        if inst != NIL {
            let zone = self.fleet.zone(inst);
            self.fleet.zones[zone].failed += 1;
            let acc = &mut self.fleet.instances[inst as usize].acc;
            if reason == FailReason::ModelNotReady {
                acc.errors_4xx += 1;
            } else {
                acc.errors_5xx += 1;
            }
        } else {
            self.book.endpoint_acc.errors_5xx += 1;
        }
        self.record(inst, model, TraceKind::Failed { seq, reason });
        self.request_ended(req, SimDuration::ZERO);
    }

    /// Whether the client retries after this outcome.
    pub(super) fn will_retry(&self, attempt: u32) -> bool {
        attempt < self.cfg.client.retries
    }

    /// Schedules the client's next attempt for the request in slab entry
    /// `r` (or a new entry) with exponential backoff.
    pub(super) fn schedule_retry(&mut self, mut req: Req, existing: Option<u32>) {
        let c = &self.cfg.client;
        let mut backoff = SimDuration::from_nanos(c.backoff.as_nanos().saturating_mul(1 << req.cold.attempt.min(30)));
        if let Some(cap) = c.max_backoff {
            backoff = backoff.min(cap);
        }
        if c.jitter {
            use rand::Rng;
            let u: f64 = self.inflow.backoff_rng.random();
            backoff = SimDuration::from_nanos((backoff.as_nanos() as f64 * u) as u64);
        }
        req.cold.attempt += 1;
        req.state = ReqState::Retrying;
        req.inst = NIL;
        req.next = NIL;
        let r = match existing {
            Some(r) => {
                // A new generation: timers of the previous attempt go stale.
                req.gen = self.reqs.slab[r as usize].gen.wrapping_add(1);
                self.reqs.set(r, &req);
                r
            }
            None => self.reqs.alloc(req),
        };
        self.m.retries += 1;
        let gen = self.reqs.slab[r as usize].gen;
        self.agenda.push(self.now + backoff, Event::Retry { req: r, gen });
    }

    /// The client's retry comes: route the request again.
    pub(super) fn on_retry(&mut self, r: u32, gen: u32) {
        let req = self.reqs.get(r);
        if req.gen != gen || req.state != ReqState::Retrying {
            panic!("BUG: retry of request entry {r} in state {:?}", req.state);
        }
        self.dispatch(req, Some(r));
    }

    fn reject_or_retry(&mut self, req: Req, existing: Option<u32>, reason: RejectReason) {
        if self.will_retry(req.cold.attempt) {
            return self.schedule_retry(req, existing);
        }
        if let Some(r) = existing {
            self.reqs.free(r);
            self.reqs.live -= 1;
        }
        self.reject(&req, reason);
    }

    fn arm_timeout(&mut self, r: u32) {
        let req = &mut self.reqs.slab[r as usize];
        if !req.timeout_armed {
            req.timeout_armed = true;
            let at = req.started + self.cfg.cluster.request_timeout;
            self.agenda.arm_timeout(at, r, req.gen);
        }
    }

    // ----- inference slots --------------------------------------------------

    /// Requests that waited for `model` (a list of `Requests::wait` nodes
    /// from `head`): it is loaded now, so each queues for a slot; the
    /// nodes are freed. Each waiter's entry is fetched a node ahead:
    /// they have waited long and are cold.
    pub(super) fn admit_waiters(&mut self, inst: u32, head: u32) {
        let mut n = head;
        while n != NIL {
            let node = self.reqs.wait_node(n);
            self.reqs.free_wait(n);
            if node.next != NIL {
                mmesim_engine::prefetch(&self.reqs.slab, self.reqs.wait_node(node.next).req as usize);
            }
            let r = node.req;
            self.fleet.instances[inst as usize].queued -= 1;
            let q = &mut self.reqs.slab[r as usize];
            q.ready = self.now;
            q.wait = NIL;
            self.model_ready(inst, r);
            n = node.next;
        }
    }

    /// A request whose model is loaded: it holds the model from now on; on
    /// a GPU type its CPU work (payload decoding, pre-processing) runs
    /// first, then it queues for the GPU.
    fn model_ready(&mut self, inst: u32, r: u32) {
        let Hot { model, slot, .. } = self.reqs.slab[r as usize];
        self.pin(inst, slot);
        let pre = self.class_of(model).preprocess;
        if !self.fleet.instances[inst as usize].serve_on_cpu && pre > SimDuration::ZERO {
            self.reqs.slab[r as usize].state = ReqState::Preprocessing;
            let work = self.cpu_work(pre);
            self.cpu_start(inst, Job::Req(r), work, 1);
        } else {
            self.enqueue_for_slot(inst, r);
        }
    }

    /// Whether request `q`, in service since now, surely ends before its
    /// deadline: at full speed times the worst slowdown its instance's
    /// vCPUs can reach (all slots busy and every load deserialising).
    fn ends_in_time(&self, inst: u32, q: &Hot) -> bool {
        let deadline = q.started + self.cfg.cluster.request_timeout;
        let full = if self.fleet.instances[inst as usize].serve_on_cpu {
            self.cpu_work(q.service + self.class_of(q.model).preprocess)
        } else {
            q.service
        };
        let worst = SimDuration::from_nanos(ceil_to_u64(full.as_nanos() as f64 * self.worst_slowdown));
        self.now + worst <= deadline
    }

    /// A request's CPU work on a GPU type is done: it queues for the GPU.
    pub(super) fn on_preprocessed(&mut self, inst: u32, r: u32) {
        let req = self.reqs.slab[r as usize];
        if req.abandoned {
            self.reqs.free(r);
            self.unpin(inst, req.slot);
            self.release_outstanding(inst);
            return;
        }
        self.enqueue_for_slot(inst, r);
    }

    /// A request whose model is loaded (and pinned): take slots now, or
    /// queue FIFO.
    fn enqueue_for_slot(&mut self, inst: u32, r: u32) {
        let k = self.cfg.cluster.cpu_per_request;
        let it = &mut self.fleet.instances[inst as usize];
        if it.slot_queue.is_empty() && it.slots_total - it.slots_busy >= k {
            self.start_service(inst, r);
        } else {
            it.slot_queue.push_back(r);
            it.queued += 1;
            self.fleet.status[inst as usize].queued_for_slot += 1;
            self.reqs.slab[r as usize].state = ReqState::WaitSlot;
            self.arm_timeout(r);
        }
    }

    fn set_busy(&mut self, inst: u32, busy: u32) {
        let it = &mut self.fleet.instances[inst as usize];
        if !it.serve_on_cpu {
            // GPU types measure busy slots; CPU types, busy vCPUs (accrued
            // by the CPU itself).
            it.accrue_busy(self.now);
        }
        it.slots_busy = busy;
    }

    fn start_service(&mut self, inst: u32, r: u32) {
        let k = self.cfg.cluster.cpu_per_request;
        let busy = self.fleet.instances[inst as usize].slots_busy + k;
        self.set_busy(inst, busy);
        self.fleet.status[inst as usize].serving += 1;
        let now = self.now;
        let req = &mut self.reqs.slab[r as usize];
        req.state = ReqState::Serving;
        let wait = now - req.ready;
        let load_wait = req.ready - req.started;
        let measured = req.measured;
        let hit = req.hit;
        let service = req.service;
        let model = req.model;
        if self.fleet.instances[inst as usize].serve_on_cpu {
            let work = self.cpu_work(service + self.class_of(model).preprocess);
            self.cpu_start(inst, Job::Req(r), work, k);
        } else {
            let mut time = service;
            if let Some(b) = self.cfg.cluster.batching {
                let extra = self.batch_behind(inst, r, model, b.max_batch - 1);
                time = SimDuration::from_nanos(round_to_u64(
                    service.as_nanos() as f64 * (1.0 + b.marginal * extra as f64),
                ));
            }
            self.agenda.push(now + time, Event::ServiceDone { inst, req: r });
        }
        self.record_start(inst, r, wait, load_wait, measured, hit);
    }

    /// The waits of request `r`, whose service starts now: for a slot
    /// (kept with the request, and recorded when it completes: the
    /// queue-wait figures are over completed requests, as the latency's
    /// are), and (a miss) for its model (recorded now, as CloudWatch's
    /// `ModelLoadingWaitTime` is).
    fn record_start(
        &mut self,
        inst: u32,
        r: u32,
        wait: SimDuration,
        load_wait: SimDuration,
        measured: bool,
        hit: bool,
    ) {
        self.reqs.slab[r as usize].slot_wait = wait;
        if !hit {
            self.fleet.instances[inst as usize].acc.loading_wait.add(load_wait.as_millis_f64());
        }
        if measured && !hit {
            let lw = load_wait.as_nanos();
            self.m.loading_wait.saturating_record(lw);
            self.m.loading_wait_sum_ns += lw as u128;
            self.m.loading_wait_n += 1;
        }
    }

    /// Dynamic batching: takes up to `most` requests for `model` queued
    /// for a slot on `inst` into the batch of `head` (chained through
    /// `next`, in queue order); they start their service now. Returns how
    /// many joined.
    fn batch_behind(&mut self, inst: u32, head: u32, model: u32, most: u32) -> u32 {
        if most == 0 {
            return 0;
        }
        let mut taken = std::mem::take(&mut self.batch_ids);
        taken.clear();
        let slab = &self.reqs.slab;
        let it = &mut self.fleet.instances[inst as usize];
        it.slot_queue.retain(|&q| {
            let e = &slab[q as usize];
            if taken.len() < most as usize && e.model == model && e.state == ReqState::WaitSlot {
                taken.push(q);
                false
            } else {
                true
            }
        });
        let now = self.now;
        let mut tail = head;
        for &q in &taken {
            self.fleet.instances[inst as usize].queued -= 1;
            let st = &mut self.fleet.status[inst as usize];
            st.queued_for_slot -= 1;
            st.serving += 1;
            let e = &mut self.reqs.slab[q as usize];
            e.state = ReqState::Serving;
            e.next = NIL;
            let (wait, load_wait, measured, hit) = (now - e.ready, e.ready - e.started, e.measured, e.hit);
            self.reqs.slab[tail as usize].next = q;
            tail = q;
            self.record_start(inst, q, wait, load_wait, measured, hit);
        }
        let n = taken.len() as u32;
        self.batch_ids = taken;
        n
    }

    /// Service ends for request `r` and, on a GPU with dynamic batching,
    /// the requests batched with it (chained through `next`): their slots
    /// free once, each request completes (or, if its client timed out,
    /// only frees what it held), the slot queue moves on, then each user
    /// hears back.
    pub(super) fn on_service_done(&mut self, inst: u32, r: u32) {
        let k = self.cfg.cluster.cpu_per_request;
        let busy = self.fleet.instances[inst as usize].slots_busy - k;
        self.set_busy(inst, busy);
        let req = self.reqs.get(r);
        if req.next == NIL {
            // One request (no batch): the common case.
            self.finish_service(inst, r, &req);
            self.drain_slot_queue(inst);
            if !req.abandoned {
                self.request_ended(&req, self.overhead_of(req.model));
            }
            return;
        }
        let mut batch = std::mem::take(&mut self.batch_scratch);
        batch.clear();
        let mut m = r;
        while m != NIL {
            let req = self.reqs.get(m);
            self.finish_service(inst, m, &req);
            batch.push(req);
            m = req.next;
        }
        self.drain_slot_queue(inst);
        for req in &batch {
            if !req.abandoned {
                self.request_ended(req, self.overhead_of(req.model));
            }
        }
        self.batch_scratch = batch;
    }

    /// One request's service has ended: it completes, or (its client
    /// timed out) only frees its entry, model and place on the instance.
    fn finish_service(&mut self, inst: u32, r: u32, req: &Req) {
        self.fleet.status[inst as usize].serving -= 1;
        if req.abandoned {
            // Its client timed out: counted then; the work frees its
            // resources only now.
            self.reqs.free(r);
            self.unpin(inst, req.slot);
            self.release_outstanding(inst);
            return;
        }
        // CloudWatch's split: ModelLatency is the time in the container
        // from the model being ready (queueing for a slot, then inference);
        // OverheadLatency the rest (waiting for the load, the front end,
        // the payload), which holds no slot.
        let model_latency = self.now - req.ready;
        let latency = self.now - req.cold.arrival + self.overhead_of(req.model);
        let acc = &mut self.fleet.instances[inst as usize].acc;
        acc.model_latency.add(model_latency.as_millis_f64());
        acc.overhead_latency.add(latency.saturating_sub(model_latency).as_millis_f64());
        self.m.minute_latency.saturating_record(latency.as_nanos());
        self.m.completed += 1;
        let zone = self.fleet.zone(inst);
        self.fleet.zones[zone].completed += 1;
        self.m.minute.completed += 1;
        self.m.minute_latency_sum_ns += latency.as_nanos() as u128;
        if req.measured {
            let l = latency.as_nanos();
            self.m.latency.saturating_record(l);
            self.m.latency_sum_ns += l as u128;
            self.m.latency_n += 1;
            // Only waits are recorded: the summary adds the zeros of the
            // requests that did not wait (`latency_n - waited`).
            let w = req.slot_wait.as_nanos();
            if w > 0 {
                self.m.queue_wait.saturating_record(w);
                self.m.queue_wait_sum_ns += w as u128;
                self.m.waited += 1;
            }
            if req.cold.user != NIL {
                self.record_client_latency(req.cold.user, self.overhead_of(req.model));
            }
        }
        self.record(inst, req.model, TraceKind::Completed { seq: req.cold.seq, latency, hit: req.hit });
        self.reqs.free(r);
        self.unpin(inst, req.slot);
        self.request_left(inst);
    }

    fn drain_slot_queue(&mut self, inst: u32) {
        let k = self.cfg.cluster.cpu_per_request;
        loop {
            let it = &mut self.fleet.instances[inst as usize];
            let Some(&r) = it.slot_queue.front() else { break };
            if self.reqs.slab[r as usize].state == ReqState::Dead {
                it.slot_queue.pop_front();
                self.reqs.free(r);
                continue;
            }
            if it.slots_total - it.slots_busy < k {
                break;
            }
            it.slot_queue.pop_front();
            it.queued -= 1;
            self.fleet.status[inst as usize].queued_for_slot -= 1;
            self.start_service(inst, r);
        }
    }

    /// A request routed to `inst` has ended (completed or failed there).
    fn request_left(&mut self, inst: u32) {
        self.reqs.live -= 1;
        self.release_outstanding(inst);
    }

    /// `inst` holds one request fewer (a drained instance goes).
    fn release_outstanding(&mut self, inst: u32) {
        let st = &mut self.fleet.status[inst as usize];
        st.outstanding -= 1;
        self.fleet.index.load_changed(inst, st.outstanding + 1, st.outstanding);
        if st.outstanding == 0 && self.fleet.instances[inst as usize].life == Life::Draining {
            self.remove_instance(inst);
        }
    }

    /// If slab entry `r` waits for its model, prefetches what its timeout
    /// would change: the model's residency and its node among the waiters.
    #[inline]
    pub(super) fn prefetch_waiting(&self, r: u32) {
        if let Some(q) = self.reqs.slab.get(r as usize) {
            if q.state == ReqState::WaitModel {
                self.tiers.prefetch_residency(q.inst as usize, q.slot);
                self.reqs.prefetch_wait(q.wait);
            }
        }
    }

    /// Fails a request whose response is not back at its deadline; `false`
    /// if the timer is stale. A waiting request leaves its queue; one in
    /// the container (pre-processing or in service) has failed for its
    /// client, but its work goes on and holds its slot and model until it
    /// ends (SageMaker answers the client; the container does not stop).
    pub(super) fn on_timeout(&mut self, r: u32, gen: u32) -> bool {
        let req = self.reqs.get(r);
        if req.gen != gen {
            return false;
        }
        match req.state {
            ReqState::WaitModel => {
                // Still downloading or loading: SageMaker answers
                // ModelNotReady and the load goes on. It leaves the
                // model's waiters; its entry is freed.
                self.leave_waiters(req.inst, req.slot, req.wait);
                self.reqs.free(r);
                self.fleet.instances[req.inst as usize].queued -= 1;
                if self.cfg.client.retry_not_ready && self.will_retry(req.cold.attempt) {
                    // The retry takes a new entry.
                    self.reqs.live -= 1;
                    self.release_outstanding(req.inst);
                    self.schedule_retry(req, None);
                    return true;
                }
                self.count_failure(&req, req.inst, FailReason::ModelNotReady);
                self.request_left(req.inst);
                return true;
            }
            ReqState::WaitSlot => {}
            ReqState::Preprocessing | ReqState::Serving if !req.abandoned => {
                self.reqs.slab[r as usize].abandoned = true;
                self.reqs.live -= 1;
                self.count_failure(&req, req.inst, FailReason::Timeout);
                return true;
            }
            _ => return false,
        }
        self.reqs.slab[r as usize].state = ReqState::Dead;
        self.fleet.instances[req.inst as usize].queued -= 1;
        self.count_failure(&req, req.inst, FailReason::Timeout);
        if req.state == ReqState::WaitSlot {
            self.fleet.status[req.inst as usize].queued_for_slot -= 1;
            self.unpin(req.inst, req.slot);
        }
        self.request_left(req.inst);
        true
    }
}
