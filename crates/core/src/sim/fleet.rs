//! The fleet: launching, faults, replacements, scale-out and scale-in.
//!
//! Owns each instance's life cycle ([`Life`]), the routing status's health
//! and draining flags and the fleet index, zones' outage counts, fault
//! windows and replacements. May touch: requests on a lost instance (they
//! fail or go back to their clients), the agenda (launch, replacement and
//! fault-end events). A lost instance's tiers are emptied by `cache.rs`
//! (`lose_tiers`); nothing here writes tier state.
//!
//! Architecture invariant: a failed instance never comes back — its id is
//! never reused, its pending events are dropped by the run loop, and a
//! replacement is a new, empty instance with a new id.
//!
//! Every change of an instance's life goes through [`Simulation::set_life`]
//! (or `add_instance`), which keeps the [`Census`]: instances in service,
//! and launching or in service per zone. So a launch's zone, the fleet's
//! size and its peak cost O(zones), not O(instances ever launched), and a
//! scale-out to N instances and back costs O(N log N), not O(N²).

use super::cpu::Job;
use super::event::Event;
use super::state::{Instance, Life, ReqState};
use super::Simulation;
use crate::metrics::{FailReason, FaultWindow};
use crate::model::{FaultKind, ScaleInPick};
use crate::route::InstanceStatus;
use crate::{Bytes, InstanceId, ZoneId};

/// Instances per life stage, kept in step with every change of life (the
/// invariant checker recounts them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Census {
    /// Instances in service.
    pub(super) in_service: u32,
    /// Instances launching or in service, per zone (what counts towards
    /// the fleet's size and a launch's zone).
    pub(super) active: Vec<u32>,
}

impl Census {
    /// Counts (`+1`) or uncounts (`-1`) an instance of `life` in `zone`.
    fn count(&mut self, zone: usize, life: Life, delta: i32) {
        if zone >= self.active.len() {
            self.active.resize(zone + 1, 0);
        }
        let add = |n: &mut u32| *n = n.checked_add_signed(delta).unwrap_or_else(|| panic!("BUG: census below zero"));
        match life {
            Life::InService => {
                add(&mut self.in_service);
                add(&mut self.active[zone]);
            }
            Life::Launching => add(&mut self.active[zone]),
            Life::Draining | Life::Removed | Life::Failed => {}
        }
    }

    /// The census of `lives` (instance life, zone), counted from scratch.
    pub(super) fn recount(lives: impl Iterator<Item = (Life, usize)>, zones: usize) -> Census {
        let mut c = Census { in_service: 0, active: vec![0; zones] };
        for (life, zone) in lives {
            c.count(zone, life, 1);
        }
        c
    }

    /// Instances launching or in service.
    fn active_total(&self) -> u32 {
        self.active.iter().sum()
    }
}

impl Simulation {
    /// Moves an instance to `life`, keeping the census.
    fn set_life(&mut self, inst: u32, life: Life) {
        let zone = self.fleet.zone(inst);
        let it = &mut self.fleet.instances[inst as usize];
        let was = std::mem::replace(&mut it.life, life);
        self.fleet.census.count(zone, was, -1);
        self.fleet.census.count(zone, life, 1);
    }

    /// Adds an empty instance in `zone`; returns its id.
    pub(super) fn add_instance(&mut self, zone: ZoneId, life: Life) -> u32 {
        let id = self.fleet.instances.len() as u32;
        let slots = self.cfg.cluster.instance_type.slots();
        self.add_tiers(id);
        let mem_cap = self.tiers.mem_cap();
        self.fleet.status.push(InstanceStatus {
            id: InstanceId(id),
            zone,
            healthy: life == Life::InService,
            draining: false,
            outstanding: 0,
            serving: 0,
            queued_for_slot: 0,
            slots,
            memory_capacity: Bytes(mem_cap),
            memory_free: Bytes(mem_cap),
            loaded_models: 0,
            lru_last_used: None,
        });
        let ty = &self.cfg.cluster.instance_type;
        let (vcpus, on_cpu) = (ty.vcpus, ty.gpu.is_none());
        self.fleet.instances.push(Instance::new(life, slots, vcpus, on_cpu, self.now));
        self.inflow.prefetch |= self.fleet.instances.len() >= super::PREFETCH_INSTANCES;
        self.fleet.census.count(zone.index(), life, 1);
        self.fleet.index.update(&self.fleet.status[id as usize], false);
        id
    }

    /// Changes an instance's health or draining flags, keeping the routing
    /// index in step.
    fn set_flags(&mut self, inst: u32, healthy: bool, draining: bool) {
        let st = &mut self.fleet.status[inst as usize];
        let was = st.accepts();
        st.healthy = healthy;
        st.draining = draining;
        self.fleet.index.update(&self.fleet.status[inst as usize], was);
    }

    /// A fault strikes.
    pub(super) fn on_fault(&mut self, idx: u32) {
        let f = self.cfg.faults[idx as usize];
        let end = f.duration.map(|d| self.now + d);
        match f.kind {
            FaultKind::InstanceFailure { instance } => {
                let i = instance.0;
                self.fleet.fault_windows.push(FaultWindow {
                    start: self.now,
                    end,
                    what: format!("instance {i} fails"),
                });
                if self.fleet.instances[i as usize].life.is_up() {
                    self.fail_instance(i);
                    let delay =
                        f.duration.or(self.cfg.cluster.replace_failed.then_some(self.cfg.cluster.replacement_delay));
                    if let Some(d) = delay {
                        self.fleet.replacements_due += 1;
                        self.agenda.push(self.now + d, Event::Replace { failed: i });
                    }
                }
            }
            FaultKind::ZoneOutage { zone } => {
                let z = zone.index();
                self.fleet.fault_windows.push(FaultWindow {
                    start: self.now,
                    end,
                    what: format!("zone {} out", self.cfg.cluster.zones[z]),
                });
                self.fleet.zone_down[z] += 1;
                let victims: Vec<u32> = (0..self.fleet.instances.len() as u32)
                    .filter(|&i| self.fleet.zone(i) == z && self.fleet.instances[i as usize].life.is_up())
                    .collect();
                for i in victims {
                    self.fail_instance(i);
                    if self.cfg.cluster.replace_failed {
                        self.fleet.replacements_due += 1;
                        self.agenda.push(self.now + self.cfg.cluster.replacement_delay, Event::Replace { failed: i });
                    }
                }
                if let Some(d) = f.duration {
                    self.agenda.push(self.now + d, Event::FaultEnd { idx });
                }
            }
        }
    }

    /// A zone comes back: replacements that were waiting for a zone go in.
    pub(super) fn on_fault_end(&mut self, idx: u32) {
        if let FaultKind::ZoneOutage { zone } = self.cfg.faults[idx as usize].kind {
            self.fleet.zone_down[zone.index()] -= 1;
            for failed in std::mem::take(&mut self.fleet.pending_replacements) {
                self.place_replacement(failed);
            }
        }
    }

    /// Starts an empty instance in place of `failed`: in its zone if that
    /// zone is up, else in the up zone with the fewest instances; if every
    /// zone is out, when one comes back.
    pub(super) fn on_replace(&mut self, failed: u32) {
        self.fleet.replacements_due -= 1;
        self.place_replacement(failed);
    }

    /// Starts the replacement, or parks it until a zone comes back (a parked
    /// replacement does not keep the run going: if no zone ever returns,
    /// it never starts).
    fn place_replacement(&mut self, failed: u32) {
        let own = self.fleet.zone(failed);
        let zone = if self.fleet.zone_down[own] == 0 { Some(own) } else { self.least_populated_up_zone() };
        match zone {
            Some(z) => {
                self.add_instance(ZoneId(z as u16), Life::InService);
                self.m.replacements += 1;
                self.fleet.peak_in_service = self.fleet.peak_in_service.max(self.fleet.in_service());
            }
            None => self.fleet.pending_replacements.push(failed),
        }
    }

    /// The up zone with the fewest instances launching or in service (the
    /// first such zone on a tie); O(zones).
    fn least_populated_up_zone(&self) -> Option<usize> {
        let f = &self.fleet;
        let active = |z: usize| f.census.active.get(z).copied().unwrap_or(0);
        (0..f.zone_down.len()).filter(|&z| f.zone_down[z] == 0).min_by_key(|&z| (active(z), z))
    }

    /// Loses an instance: its memory and disk are gone, its requests fail
    /// (or go back to their clients for a retry), the router stops choosing
    /// it, its pending work never completes, and billing stops.
    fn fail_instance(&mut self, inst: u32) {
        let now = self.now;
        let was_launching = self.fleet.instances[inst as usize].life == Life::Launching;
        self.set_flags(inst, false, false);
        self.set_life(inst, Life::Failed);
        {
            // A launching instance has no busy slot: this adds nothing then.
            let it = &mut self.fleet.instances[inst as usize];
            it.accrue_busy(now);
            it.ended_at = Some(now);
        }
        let zone = self.fleet.zone(inst);
        self.fleet.zones[zone].instances_failed += 1;
        // Requests on it.
        for r in 0..self.reqs.slab.len() as u32 {
            let q = self.reqs.get(r);
            if q.inst != inst {
                continue;
            }
            match q.state {
                ReqState::Dead => self.reqs.free(r), // timed out earlier, still in a slot queue
                // Its client timed out already (counted then); its work
                // ends here, freed below or when its event comes.
                ReqState::Preprocessing | ReqState::Serving if q.abandoned => {
                    self.reqs.slab[r as usize].state = ReqState::Dead;
                }
                ReqState::WaitModel | ReqState::WaitSlot | ReqState::Preprocessing | ReqState::Serving => {
                    let serving = matches!(q.state, ReqState::Preprocessing | ReqState::Serving);
                    if serving {
                        // Its service event is pending (GPU types), or its
                        // CPU job is dropped below: freed then.
                        self.reqs.slab[r as usize].state = ReqState::Dead;
                    }
                    if self.will_retry(q.cold.attempt) {
                        self.schedule_retry(q, (!serving).then_some(r));
                        if serving {
                            self.reqs.live -= 1; // the retry took a new entry
                        }
                    } else {
                        if !serving {
                            self.reqs.free(r);
                        }
                        self.reqs.live -= 1;
                        self.count_failure(&q, inst, FailReason::InstanceFailed);
                    }
                }
                _ => {}
            }
        }
        // Its state.
        let lost = self.lose_tiers(inst);
        self.ops_in_flight -= lost + was_launching as u64;
        let it = &mut self.fleet.instances[inst as usize];
        for job in it.cpu.clear(now) {
            if let Job::Req(r) = job {
                self.reqs.free(r);
            }
        }
        let it = &mut self.fleet.instances[inst as usize];
        it.cpu_busy = 0;
        it.slot_queue.clear();
        (it.queued, it.slots_busy) = (0, 0);
        let st = &mut self.fleet.status[inst as usize];
        (st.outstanding, st.serving, st.queued_for_slot, st.loaded_models) = (0, 0, 0, 0);
        st.memory_free = Bytes(self.tiers.mem_cap());
        st.lru_last_used = None;
    }

    pub(super) fn on_instance_ready(&mut self, inst: u32) {
        let now = self.now;
        if self.fleet.instances[inst as usize].life != Life::Launching {
            return; // cancelled while launching: counted down then
        }
        self.ops_in_flight -= 1;
        self.set_life(inst, Life::InService);
        self.fleet.instances[inst as usize].last_change = now;
        self.set_flags(inst, true, false);
        self.fleet.peak_in_service = self.fleet.peak_in_service.max(self.fleet.in_service());
    }

    /// Takes an instance out for good (drained, or cancelled while
    /// launching); billing stops.
    pub(super) fn remove_instance(&mut self, inst: u32) {
        self.set_life(inst, Life::Removed);
        self.fleet.instances[inst as usize].ended_at = Some(self.now);
        self.set_flags(inst, false, false);
    }

    /// Applies an autoscaler's desired count: launch cold instances in the
    /// least-populated zones, or drain the newest ones. O(zones) per launch;
    /// a scale-in is one pass over the instances and a sort of those in
    /// service (O(N log N)), however many it drains.
    pub(super) fn scale_to(&mut self, desired: u32) {
        // Replacements already on their way count towards the fleet.
        let current = self.fleet.census.active_total().saturating_add(self.fleet.replacements_due as u32);
        if desired > current {
            for _ in current..desired {
                // The up zone with the fewest instances; none up: no launch.
                let Some(zone) = self.least_populated_up_zone() else { break };
                let id = self.add_instance(ZoneId(zone as u16), Life::Launching);
                self.ops_in_flight += 1;
                self.agenda.push(self.now + self.cfg.cluster.launch_delay, Event::InstanceReady { inst: id });
            }
        } else {
            // Replacements on their way are not cancelled: the excess comes
            // out of launching and in-service instances.
            let mut excess = current - desired;
            // Pending launches are cancelled first (newest first)…
            let mut launching = self.fleet.census.active_total() - self.fleet.census.in_service;
            for id in (0..self.fleet.instances.len()).rev() {
                if excess == 0 || launching == 0 {
                    break;
                }
                #[cfg(test)]
                tests::SCANNED.with(|c| c.set(c.get() + 1));
                if self.fleet.instances[id].life == Life::Launching {
                    self.remove_instance(id as u32);
                    self.ops_in_flight -= 1;
                    excess -= 1;
                    launching -= 1;
                }
            }
            // …then instances in service drain, picked as configured: the
            // `excess` smallest keys, each unique (ties go to the newest).
            // Draining one changes no other's key, so picking them all at
            // once is picking them one by one.
            if excess > 0 {
                let victims = self.drain_picks(excess as usize);
                for id in victims {
                    self.set_life(id, Life::Draining);
                    self.set_flags(id, true, true);
                    if self.fleet.status[id as usize].outstanding == 0 {
                        self.remove_instance(id);
                    }
                }
            }
        }
    }

    /// The `n` instances in service a scale-in drains, in the order it
    /// picks them (`cluster.scale_in_pick`, ties newest first): one pass
    /// and a partial sort, O(N + n log n).
    fn drain_picks(&self, n: usize) -> Vec<u32> {
        let f = &self.fleet;
        let pick = self.cfg.cluster.scale_in_pick;
        let mut keyed: Vec<(u64, std::cmp::Reverse<u32>)> = (0..f.instances.len())
            .filter(|&i| f.instances[i].life == Life::InService)
            .map(|i| {
                let key = match pick {
                    ScaleInPick::Newest => 0,
                    ScaleInPick::FewestLoaded => u64::from(f.status[i].loaded_models),
                    ScaleInPick::FewestOutstanding => u64::from(f.status[i].outstanding),
                };
                (key, std::cmp::Reverse(i as u32))
            })
            .collect();
        #[cfg(test)]
        tests::SCANNED.with(|c| c.set(c.get() + f.instances.len() as u64));
        let n = n.min(keyed.len());
        if n < keyed.len() && n > 0 {
            keyed.select_nth_unstable(n - 1);
        }
        keyed.truncate(n);
        keyed.sort_unstable();
        keyed.into_iter().map(|(_, std::cmp::Reverse(i))| i).collect()
    }

    /// Panics with `BUG:` if the census differs from a recount.
    pub(super) fn check_census(&self) {
        let f = &self.fleet;
        let lives = f.instances.iter().zip(&f.status).map(|(it, st)| (it.life, st.zone.index()));
        let zones = f.zone_down.len().max(f.census.active.len());
        let recount = Census::recount(lives, zones);
        let mut kept = f.census.clone();
        kept.active.resize(zones, 0); // zones counted lazily
        if recount != kept {
            panic!("BUG: the fleet census {:?} differs from a recount {recount:?}", f.census);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use crate::catalog::Catalog;
    use crate::evict::{AccessCtx, ObjectMeta};
    use crate::model::{ClientConfig, ClusterConfig, ModelCacheSetting, ModelSpec, ScaleInPick, SimConfig};
    use crate::route::{ClusterView, RouteDecision};
    use crate::scale::FleetStatus;
    use crate::source::{Arrival, VecSource};
    use crate::Dist;
    use std::cell::Cell;

    thread_local! {
        /// Instances visited by the scale-in loops of `scale_to` (the
        /// launch cancellation and `drain_picks`): the work of scaling in.
        pub(super) static SCANNED: Cell<u64> = const { Cell::new(0) };
    }

    /// Never evicts (one model, never short of room); counts its objects.
    struct Keep(usize);
    impl Evictor for Keep {
        fn name(&self) -> &str {
            "keep"
        }
        fn on_insert(&mut self, _: u32, _: ObjectMeta, _: AccessCtx) {
            self.0 += 1;
        }
        fn on_access(&mut self, _: u32, _: AccessCtx) {}
        fn on_remove(&mut self, _: u32) {
            self.0 -= 1;
        }
        fn victim(&mut self, _: &dyn Fn(u32) -> bool) -> Option<u32> {
            None
        }
        fn len(&self) -> usize {
            self.0
        }
    }

    /// Everything to the oldest instance (which a scale-in keeps).
    struct Oldest;
    impl Router for Oldest {
        fn name(&self) -> &str {
            "oldest"
        }
        fn route(&mut self, _: ModelId, _: &ClusterView<'_>) -> RouteDecision {
            RouteDecision::To(InstanceId(0))
        }
    }

    /// Out to `n` at the end of minute 0, back to 1 at the end of minute 5.
    struct OutAndIn(u32);
    impl Autoscaler for OutAndIn {
        fn name(&self) -> &str {
            "out-and-in"
        }
        fn evaluate(&mut self, m: &MinuteMetrics, _: &FleetStatus) -> Option<u32> {
            match m.minute {
                0 => Some(self.0),
                5 => Some(1),
                _ => None,
            }
        }
    }

    fn config(pick: ScaleInPick) -> SimConfig {
        let ty = Catalog::builtin().get("ml.m5.large").cloned().expect("ml.m5.large is in the catalog");
        SimConfig {
            cluster: ClusterConfig {
                instance_type: ty,
                instances: 1,
                zones: vec!["a".into(), "b".into(), "c".into()],
                max_concurrent_downloads: 0,
                max_concurrent_loads: 0,
                queue_limit: 100,
                cpu_per_request: 1,
                request_timeout: SimDuration::from_secs(60),
                download_overhead: SimDuration::ZERO,
                launch_delay: SimDuration::from_secs(60),
                replace_failed: false,
                replacement_delay: SimDuration::from_secs(60),
                scale_in_pick: pick,
                request_overhead: SimDuration::ZERO,
                model_cache: ModelCacheSetting::Enabled,
                gpu_context: Bytes(0),
                batching: None,
                service_scale: 1.0,
            },
            models: vec![ModelSpec {
                name: "m".into(),
                memory: Bytes(1 << 20),
                artifact: Bytes(1 << 20),
                service_ms: Dist::Constant { value: 10.0 },
                load_overhead: SimDuration::ZERO,
                unload_time: SimDuration::ZERO,
                payload: Bytes(0),
                preprocess: SimDuration::ZERO,
            }]
            .into(),
            faults: vec![],
            client: ClientConfig::default(),
            duration: SimDuration::from_secs(600),
            warmup: SimDuration::ZERO,
            seed: 1,
            record_trace: false,
            check_invariants: false,
            record_metrics: false,
        }
    }

    /// A request every 10 s for 10 minutes (keeps the minute ticks going).
    fn run(cfg: SimConfig, n: u32) -> RunResult {
        let arrivals =
            (0..60).map(|k| Arrival { time: SimTime::from_secs(10 * k), model: ModelId(0), service: None }).collect();
        let policies = Policies {
            router: Box::new(Oldest),
            autoscaler: Box::new(OutAndIn(n)),
            evictors: Box::new(|_, _, _| Box::new(Keep(0)) as Box<dyn Evictor>),
        };
        match Simulation::new(cfg, Box::new(VecSource::new(arrivals)), policies) {
            Ok(sim) => sim.run(),
            Err(e) => panic!("test configuration rejected: {e}"),
        }
    }

    /// Scaling out to N instances and back in visits each instance a
    /// bounded number of times: O(N) for the scale-in, where draining the
    /// N − 1 one at a time, each the best of a fresh scan, was N²/2.
    #[test]
    fn scaling_in_from_n_instances_visits_each_once() {
        for pick in [ScaleInPick::Newest, ScaleInPick::FewestLoaded, ScaleInPick::FewestOutstanding] {
            for n in [100u32, 3000] {
                SCANNED.with(|c| c.set(0));
                let r = run(config(pick), n);
                assert_eq!(r.report.fleet.launched, n, "{pick:?}");
                assert_eq!(r.report.fleet.peak_in_service, n, "{pick:?}");
                let scanned = SCANNED.with(Cell::get);
                // One scale-in: at most one visit per instance in each loop.
                assert!(scanned <= 2 * u64::from(n), "{pick:?}, {n} instances: {scanned} visits");
                assert!(scanned >= u64::from(n), "{pick:?}, {n} instances: {scanned} visits (not counted?)");
            }
        }
    }

    /// With the invariant checker on (which recounts the census after
    /// every event), a scale-out and scale-in keep the census exact, and
    /// the launches spread evenly over the zones.
    #[test]
    fn the_census_stays_exact_through_a_scale_out_and_in() {
        let mut cfg = config(ScaleInPick::FewestOutstanding);
        cfg.check_invariants = true;
        let r = run(cfg, 30);
        assert_eq!(r.report.fleet.launched, 30);
        assert_eq!(r.report.fleet.peak_in_service, 30);
    }

    /// Picking the `n` victims at once is picking them one by one, each
    /// the smallest key of those left, ties newest first.
    #[test]
    fn drain_picks_are_the_one_by_one_picks() {
        for pick in [ScaleInPick::Newest, ScaleInPick::FewestLoaded, ScaleInPick::FewestOutstanding] {
            let policies = Policies {
                router: Box::new(Oldest),
                autoscaler: Box::new(OutAndIn(1)),
                evictors: Box::new(|_, _, _| Box::new(Keep(0)) as Box<dyn Evictor>),
            };
            let mut sim = match Simulation::new(config(pick), Box::new(VecSource::new(vec![])), policies) {
                Ok(sim) => sim,
                Err(e) => panic!("{e}"),
            };
            let mut x: u64 = 12345;
            for i in 1..200u32 {
                let zone = ZoneId((i % 3) as u16);
                let life = if i % 7 == 0 { Life::Launching } else { Life::InService };
                let id = sim.add_instance(zone, life);
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                sim.fleet.status[id as usize].loaded_models = ((x >> 33) % 5) as u32;
                sim.fleet.status[id as usize].outstanding = ((x >> 40) % 4) as u32;
            }
            for n in [0usize, 1, 17, 150, 500] {
                let fast = sim.drain_picks(n);
                let f = &sim.fleet;
                let key = |i: usize| match pick {
                    ScaleInPick::Newest => 0,
                    ScaleInPick::FewestLoaded => f.status[i].loaded_models as usize,
                    ScaleInPick::FewestOutstanding => f.status[i].outstanding as usize,
                };
                let mut left: Vec<usize> =
                    (0..f.instances.len()).filter(|&i| f.instances[i].life == Life::InService).collect();
                let mut slow = Vec::new();
                while slow.len() < n {
                    let Some(k) = (0..left.len()).min_by_key(|&k| (key(left[k]), usize::MAX - left[k])) else { break };
                    slow.push(left.remove(k) as u32);
                }
                assert_eq!(fast, slow, "{pick:?}, n = {n}");
            }
            sim.check_census();
        }
    }
}
