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

use super::cpu::Job;
use super::event::Event;
use super::state::{Instance, Life, ReqState};
use super::Simulation;
use crate::metrics::{FailReason, FaultWindow};
use crate::model::{FaultKind, ScaleInPick};
use crate::route::InstanceStatus;
use crate::{Bytes, InstanceId, ZoneId};

impl Simulation {
    /// Adds an empty instance in `zone`; returns its id.
    pub(super) fn add_instance(&mut self, zone: ZoneId, life: Life) -> u32 {
        let id = self.fleet.instances.len() as u32;
        let slots = self.cfg.cluster.instance_type.slots();
        self.add_tiers(id);
        let mem_cap = self.tiers.get(id).mem_cap();
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

    fn least_populated_up_zone(&self) -> Option<usize> {
        let f = &self.fleet;
        let mut per_zone = vec![0u32; f.zone_down.len()];
        for (it, st) in f.instances.iter().zip(&f.status) {
            if matches!(it.life, Life::Launching | Life::InService) {
                per_zone[st.zone.index()] += 1;
            }
        }
        (0..per_zone.len()).filter(|&z| f.zone_down[z] == 0).min_by_key(|&z| (per_zone[z], z))
    }

    /// Loses an instance: its memory and disk are gone, its requests fail
    /// (or go back to their clients for a retry), the router stops choosing
    /// it, its pending work never completes, and billing stops.
    fn fail_instance(&mut self, inst: u32) {
        let now = self.now;
        let was_launching = self.fleet.instances[inst as usize].life == Life::Launching;
        self.set_flags(inst, false, false);
        {
            // A launching instance has no busy slot: this adds nothing then.
            let it = &mut self.fleet.instances[inst as usize];
            it.accrue_busy(now);
            it.life = Life::Failed;
            it.ended_at = Some(now);
        }
        let zone = self.fleet.zone(inst);
        self.fleet.zones[zone].instances_failed += 1;
        // Requests on it.
        for r in 0..self.reqs.slab.len() as u32 {
            let q = self.reqs.slab[r as usize];
            if q.inst != inst {
                continue;
            }
            match q.state {
                ReqState::Dead => self.reqs.free(r), // timed out earlier, still linked
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
                    if self.will_retry(q.attempt) {
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
        st.memory_free = Bytes(self.tiers.get(inst).mem_cap());
        st.lru_last_used = None;
    }

    pub(super) fn on_instance_ready(&mut self, inst: u32) {
        let now = self.now;
        if self.fleet.instances[inst as usize].life != Life::Launching {
            return; // cancelled while launching: counted down then
        }
        self.ops_in_flight -= 1;
        let it = &mut self.fleet.instances[inst as usize];
        it.life = Life::InService;
        it.last_change = now;
        self.set_flags(inst, true, false);
        self.fleet.peak_in_service = self.fleet.peak_in_service.max(self.fleet.in_service());
    }

    /// Takes an instance out for good (drained, or cancelled while
    /// launching); billing stops.
    pub(super) fn remove_instance(&mut self, inst: u32) {
        let now = self.now;
        let it = &mut self.fleet.instances[inst as usize];
        it.life = Life::Removed;
        it.ended_at = Some(now);
        self.set_flags(inst, false, false);
    }

    /// Applies an autoscaler's desired count: launch cold instances in the
    /// least-populated zones, or drain the newest ones.
    pub(super) fn scale_to(&mut self, desired: u32) {
        let active = |i: &Instance| matches!(i.life, Life::Launching | Life::InService);
        // Replacements already on their way count towards the fleet.
        let current =
            self.fleet.instances.iter().filter(|i| active(i)).count() as u32 + self.fleet.replacements_due as u32;
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
            for id in (0..self.fleet.instances.len()).rev() {
                if excess == 0 {
                    break;
                }
                if self.fleet.instances[id].life == Life::Launching {
                    self.remove_instance(id as u32);
                    self.ops_in_flight -= 1;
                    excess -= 1;
                }
            }
            // …then instances in service drain, picked as configured.
            while excess > 0 {
                let pick = self.cfg.cluster.scale_in_pick;
                let f = &self.fleet;
                let victim =
                    (0..f.instances.len()).rev().filter(|&i| f.instances[i].life == Life::InService).min_by_key(|&i| {
                        let newest_first = usize::MAX - i;
                        match pick {
                            ScaleInPick::Newest => (0, newest_first),
                            ScaleInPick::FewestLoaded => (f.status[i].loaded_models as usize, newest_first),
                            ScaleInPick::FewestOutstanding => (f.status[i].outstanding as usize, newest_first),
                        }
                    });
                let Some(id) = victim else { break };
                self.fleet.instances[id].life = Life::Draining;
                self.set_flags(id as u32, true, true);
                if self.fleet.status[id].outstanding == 0 {
                    self.remove_instance(id as u32);
                }
                excess -= 1;
            }
        }
    }
}
