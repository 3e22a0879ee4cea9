//! The model's invariants, checked after every event when
//! `SimConfig::check_invariants` is set (tests and property tests).
//!
//! Reads everything, writes nothing. Each violation panics with `BUG:` and
//! says which instance, when and what.
//!
//! Architecture invariant: memory, disk and inference slots never exceed
//! their capacity; a pinned model is loaded; byte, pin, load and request
//! counts recomputed from scratch equal the running counters; the routing
//! view (copies, statuses, fleet index) agrees with the state; every
//! arrived request has ended or is live, exactly once; closed loop: every
//! user has at most one request live, and users with a request live +
//! thinking + done = users.

use super::cpu::Job;
use super::event::Link;
use super::state::{Feed, Life, ReqState, NIL};
use super::{Simulation, Tier};
use crate::route::{DiskState, FleetIndex, MemState};

impl Simulation {
    /// Checks every invariant of the model; panics with `BUG:` on a
    /// violation. O(instances × models): for tests.
    pub(super) fn check_invariants(&self) {
        // Copies in the routing view per instance.
        let mut listed_at = vec![0usize; self.fleet.instances.len()];
        for (m, list) in self.tiers.copies().iter().enumerate() {
            for c in list.as_slice() {
                listed_at[c.instance.index()] += 1;
            }
            for (c, slot) in list.recorded() {
                let found = self.tiers.get(c.instance.0).slot_of(m as u32);
                if found != Some(slot) {
                    panic!(
                        "BUG: at {}: model {m}'s copy on {} recorded in slot {slot}, held in {found:?}",
                        self.now, c.instance
                    );
                }
            }
        }
        // Waiter-list nodes reached from the residencies.
        let mut waits = 0usize;
        for (i, it) in self.fleet.instances.iter().enumerate() {
            let bug = |what: String| -> ! { panic!("BUG: instance {i} at {}: {what}", self.now) };
            let status = &self.fleet.status[i];
            if it.life == Life::Failed {
                if status.accepts() || status.outstanding != 0 {
                    bug("a failed instance still takes requests".into());
                }
                if self.tiers.copies().iter().any(|l| l.as_slice().iter().any(|c| c.instance.index() == i)) {
                    bug("a failed instance still listed as holding a model".into());
                }
                if [Link::Net, Link::Disk].iter().any(|&l| self.agenda.link_due(i as u32, l).is_some()) {
                    bug("a failed instance still has a link completion pending".into());
                }
                continue;
            }
            let t = self.tiers.get(i as u32);
            if it.slots_busy > it.slots_total {
                bug(format!("{} slots busy of {}", it.slots_busy, it.slots_total));
            }
            if t.mem_used() > self.tiers.mem_cap() {
                bug(format!("memory {} over capacity {}", t.mem_used(), self.tiers.mem_cap()));
            }
            if t.disk_used() > self.tiers.disk_cap() {
                bug(format!("disk {} over capacity {}", t.disk_used(), self.tiers.disk_cap()));
            }
            let (mut mem, mut disk, mut loaded, mut unloading, mut pins) = (0u64, 0u64, 0u32, 0u64, 0u32);
            let mut present = 0usize;
            let mut held = 0usize;
            let (mut idle_loaded, mut idle_artifacts) = (0u32, 0u32);
            for (slot, s) in t.residencies() {
                let m = s.model as usize;
                let info = &self.models[m];
                if t.slot_of(s.model) != Some(slot) {
                    bug(format!("slot {slot} holds model {m}, which the index puts in {:?}", t.slot_of(s.model)));
                }
                if (s.memory, s.artifact) != (info.memory, info.artifact) {
                    bug(format!("slot {slot} keeps model {m}'s sizes as {}/{}", s.memory, s.artifact));
                }
                if matches!(s.mem, MemState::Loading | MemState::Loaded | MemState::Unloading) {
                    mem += info.memory;
                }
                if s.mem == MemState::Loaded {
                    loaded += 1;
                    idle_loaded += u32::from(s.pins == 0);
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
                    idle_artifacts += u32::from(s.mem == MemState::Absent);
                }
                if s.pins > 0 && s.mem != MemState::Loaded {
                    bug(format!("model {m} pinned {} times but {:?}", s.pins, s.mem));
                }
                pins += s.pins;
                let mut n = s.waiters_head();
                while n != NIL {
                    let node = self.reqs.wait_node(n);
                    let q = &self.reqs.slab[node.req as usize];
                    if (q.state, q.inst, q.slot, q.wait) != (ReqState::WaitModel, i as u32, slot, n) {
                        bug(format!(
                            "waiter node {n} of slot {slot} names request entry {} ({:?} on {} slot {}, node {})",
                            node.req, q.state, q.inst, q.slot, q.wait
                        ));
                    }
                    waits += 1;
                    n = node.next;
                }
                let copies = self.tiers.copies()[m].as_slice();
                let listed = copies.iter().filter(|c| c.instance.index() == i).count();
                // A routed request takes its hit from the copy's states.
                if let Some(c) = copies.iter().find(|c| c.instance.index() == i) {
                    if (c.memory, c.disk) != (s.mem, s.disk) {
                        bug(format!(
                            "model {m}'s copy listed as {:?}/{:?}, held as {:?}/{:?}",
                            c.memory, c.disk, s.mem, s.disk
                        ));
                    }
                }
                let expect = usize::from(s.mem != MemState::Absent || s.disk != DiskState::Absent);
                held += expect;
                if listed != expect {
                    bug(format!("model {m} listed {listed} times in the routing view"));
                }
                // What lets a routed request skip the slot map: a slot is
                // listed in the routing view or in the limbo list.
                if listed == 0 && !s.in_limbo {
                    bug(format!("slot {slot} (model {m}) neither in the routing view nor in the limbo list"));
                }
                // A slot is kept only while the instance has something to
                // do with its model, or listed for an evictor's ghost.
                if s.idle() && !s.in_limbo {
                    bug(format!("slot {slot} (model {m}) idle but neither released nor in the limbo list"));
                }
            }
            if (idle_loaded, idle_artifacts) != t.idle_counts() {
                bug(format!(
                    "{idle_loaded} loaded models unpinned and {idle_artifacts} artifacts without their model \
                     in memory, counted {:?}",
                    t.idle_counts()
                ));
            }
            if held != listed_at[i] {
                bug(format!("{} copies in the routing view, {held} models held", listed_at[i]));
            }
            let limbo = t.limbo();
            if limbo.iter().any(|&x| !t.residency(x).in_limbo)
                || t.residencies().filter(|(_, s)| s.in_limbo).count() != limbo.len()
            {
                bug(format!("the limbo list {limbo:?} and the slots' marks disagree"));
            }
            if mem != t.mem_used() || disk != t.disk_used() || loaded != t.loaded() || unloading != t.mem_unloading() {
                bug(format!(
                    "accounting: mem {mem} vs {}, disk {disk} vs {}, loaded {loaded} vs {}, unloading {unloading} vs {}",
                    t.mem_used(),
                    t.disk_used(),
                    t.loaded(),
                    t.mem_unloading()
                ));
            }
            let (net, downloads, reads, loads) = t.transfers();
            if net > downloads as usize || reads > loads as usize {
                bug(format!("{net} transfers on the link for {downloads} downloads, {reads} reads for {loads} loads"));
            }
            // One completion pending per busy link, none per idle one, never
            // in the past.
            for (link, busy) in [(Link::Net, net > 0), (Link::Disk, reads > 0)] {
                let due = self.agenda.link_due(i as u32, link);
                if due.is_some() != busy || due.is_some_and(|t| t < self.now) {
                    bug(format!(
                        "{link:?} link with {} transfers has its completion at {due:?}",
                        if busy { "some" } else { "no" }
                    ));
                }
            }
            let mut listed = 0u32;
            for x in t.recency() {
                listed += 1;
                let s = t.residency(x);
                if s.mem != MemState::Loaded {
                    bug(format!("slot {x} (model {}) in the recency list but {:?}", s.model, s.mem));
                }
            }
            // Kept only for a router that reads its end's age.
            let expect = if self.tiers.recency_kept() { loaded } else { 0 };
            if listed != expect {
                bug(format!("{listed} models in the recency list, {loaded} loaded, expected {expect}"));
            }
            if !self.tiers.recency_kept() && self.fleet.status[i].lru_last_used.is_some() {
                bug("an age of the recency list no router reads".into());
            }
            if t.evictor(Tier::Memory).len() != loaded as usize {
                bug(format!("memory evictor tracks {} models, {loaded} loaded", t.evictor(Tier::Memory).len()));
            }
            if t.evictor(Tier::Disk).len() != present {
                bug(format!("disk evictor tracks {} artifacts, {present} present", t.evictor(Tier::Disk).len()));
            }
            let slab = &self.reqs.slab;
            let live_slot_q = it.slot_queue.iter().filter(|&&r| slab[r as usize].state == ReqState::WaitSlot).count();
            let serving = slab.iter().filter(|r| r.inst as usize == i && r.state == ReqState::Serving).count();
            let pre = slab.iter().filter(|r| r.inst as usize == i && r.state == ReqState::Preprocessing).count();
            if pins as usize != live_slot_q + serving + pre {
                bug(format!(
                    "{pins} pins but {live_slot_q} queued for a slot, {pre} preprocessing and {serving} serving"
                ));
            }
            if live_slot_q as u32 != status.queued_for_slot || serving as u32 != status.serving {
                bug("stale serving/queued_for_slot in the routing view".into());
            }
            let k = self.cfg.cluster.cpu_per_request;
            let batched = self.cfg.cluster.batching.is_some() && !it.serve_on_cpu;
            // A batch of several requests holds the slots of one.
            let slots_ok = if batched {
                it.slots_busy % k == 0 && it.slots_busy <= serving as u32 * k && (serving > 0) == (it.slots_busy > 0)
            } else {
                serving as u32 * k == it.slots_busy
            };
            if !slots_ok {
                bug(format!("{serving} serving but {} slots busy", it.slots_busy));
            }
            // The vCPUs run exactly the requests in service (CPU types)
            // and the loads deserialising.
            let (mut cpu_reqs, mut cpu_loads, mut demand) = (0, 0, 0);
            for job in it.cpu.jobs() {
                match job {
                    Job::Req(r) => {
                        let q = &slab[r as usize];
                        let expected = if it.serve_on_cpu { ReqState::Serving } else { ReqState::Preprocessing };
                        if q.state != expected || q.inst as usize != i {
                            bug(format!("CPU runs request entry {r} in state {:?}", q.state));
                        }
                        cpu_reqs += 1;
                        demand += if it.serve_on_cpu { self.cfg.cluster.cpu_per_request } else { 1 };
                    }
                    Job::Load(x) => {
                        if t.residency(x).mem != MemState::Loading {
                            bug(format!(
                                "CPU deserialises slot {x} (model {}), which is not loading",
                                t.residency(x).model
                            ));
                        }
                        cpu_loads += 1;
                        demand += 1;
                    }
                }
            }
            let on_cpu = if it.serve_on_cpu { serving } else { pre };
            if cpu_reqs != on_cpu {
                bug(format!("{on_cpu} requests should be on the CPU, {cpu_reqs} are"));
            }
            if cpu_loads > t.transfers().3 as usize || demand != it.cpu.demand() || it.cpu_busy != it.cpu.busy() {
                bug(format!("CPU: {cpu_loads} loads, demand {demand} vs {}", it.cpu.demand()));
            }
            let live = slab
                .iter()
                .filter(|r| {
                    r.inst as usize == i
                        && matches!(
                            r.state,
                            ReqState::WaitModel | ReqState::WaitSlot | ReqState::Preprocessing | ReqState::Serving
                        )
                })
                .count();
            if live as u32 != status.outstanding {
                bug(format!("{live} live requests but outstanding = {}", status.outstanding));
            }
            if status.memory_free.0 != self.tiers.mem_cap() - t.mem_used() {
                bug("stale memory_free in the routing view".into());
            }
        }
        if waits != self.reqs.waits_in_use() {
            panic!("BUG: at {}: {} waiter nodes in use, {waits} in the lists", self.now, self.reqs.waits_in_use());
        }
        if !self.fleet.index.same_members(&FleetIndex::from_statuses(&self.fleet.status)) {
            panic!("BUG: the routing index disagrees with the instance statuses");
        }
        self.check_census();
        let ended = self.m.completed + self.m.failed_total() + self.m.rejected_total();
        // Not ended: on an instance that still stands (its client has not
        // timed out), or waiting for its client's retry.
        let is_live = |r: &&super::state::Hot| {
            r.inst != NIL
                && self.fleet.instances[r.inst as usize].life != Life::Failed
                && !r.abandoned
                && matches!(
                    r.state,
                    ReqState::WaitModel | ReqState::WaitSlot | ReqState::Preprocessing | ReqState::Serving
                )
                || r.state == ReqState::Retrying
        };
        let live = self.reqs.slab.iter().filter(is_live).count();
        if live as u64 != self.reqs.live {
            panic!("BUG: {live} live requests but live_requests = {}", self.reqs.live);
        }
        let ops: u64 = self
            .fleet
            .instances
            .iter()
            .zip(self.tiers.iter())
            .filter(|(it, _)| it.life != Life::Failed)
            .map(|(it, t)| t.ops_under_way() + (it.life == Life::Launching) as u64)
            .sum();
        if ops != self.ops_in_flight {
            panic!("BUG: {ops} operations under way but ops_in_flight = {}", self.ops_in_flight);
        }
        if ended + live as u64 != self.m.arrived {
            panic!("BUG: {} arrived but {ended} ended and {live} live", self.m.arrived);
        }
        if let Feed::Closed(_) = self.inflow.feed {
            let mut users: Vec<u32> = (0..self.reqs.slab.len() as u32)
                .filter(|&r| is_live(&&self.reqs.slab[r as usize]))
                .map(|r| self.reqs.get(r).cold.user)
                .collect();
            users.sort_unstable();
            if let Some(w) = users.windows(2).find(|w| w[0] == w[1]) {
                panic!("BUG: user {} has two requests live", w[0]);
            }
            let (thinking, done) = (self.inflow.thinking, self.inflow.users_done);
            if users.len() as u64 + thinking as u64 + done as u64 != self.inflow.users as u64 {
                panic!(
                    "BUG: {} users live, {thinking} thinking and {done} done, of {}",
                    users.len(),
                    self.inflow.users
                );
            }
        }
    }
}
