//! The routing-policy trait and the read-only view of the cluster it sees.

use crate::{Bytes, InstanceId, ModelId, ZoneId};
use mmesim_engine::SimTime;
use std::collections::BTreeSet;

/// Where a model stands on one instance's memory tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MemState {
    /// Not in memory and not wanted.
    Absent,
    /// Wanted: waiting for its download, a load slot or memory.
    Pending,
    /// Being loaded.
    Loading,
    /// Loaded (a request finds it warm).
    Loaded,
    /// Being unloaded; the memory frees when the unload ends.
    Unloading,
}

/// Where a model's artifact stands on one instance's disk tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DiskState {
    /// Not on disk.
    Absent,
    /// Waiting for a download slot or disk room.
    Pending,
    /// Being downloaded.
    Downloading,
    /// On disk.
    Present,
}

/// One instance's copy of one model, as routers see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelCopy {
    /// The instance holding (or fetching) the copy.
    pub instance: InstanceId,
    /// Memory tier state.
    pub memory: MemState,
    /// Disk tier state.
    pub disk: DiskState,
}

impl ModelCopy {
    /// Loaded, or on its way into memory (pending or loading): a request
    /// sent there will not start a new load.
    pub fn in_memory_or_coming(&self) -> bool {
        matches!(self.memory, MemState::Pending | MemState::Loading | MemState::Loaded)
    }
}

/// An instance as routers see it.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceStatus {
    /// Its id.
    pub id: InstanceId,
    /// Its availability zone.
    pub zone: ZoneId,
    /// Up and serving (launched, not failed, not removed).
    pub healthy: bool,
    /// Being drained before removal: takes no new request.
    pub draining: bool,
    /// Requests routed here and not yet finished (updated at routing time,
    /// so decisions at the same instant see each other).
    pub outstanding: u32,
    /// Of those, requests being served right now.
    pub serving: u32,
    /// Of those, requests whose model is ready, waiting for a free slot.
    pub queued_for_slot: u32,
    /// Inference slots.
    pub slots: u32,
    /// Memory tier capacity.
    pub memory_capacity: Bytes,
    /// Memory tier bytes not occupied (loaded, loading or unloading models
    /// occupy memory).
    pub memory_free: Bytes,
    /// Models loaded right now.
    pub loaded_models: u32,
    /// When the least recently used loaded model was last used (requested,
    /// or loaded); `None` with no model loaded. The older it is, the less
    /// the instance's cache is worth (ModelMesh's "cache age").
    pub lru_last_used: Option<SimTime>,
}

impl InstanceStatus {
    /// Requests holding or waiting for an inference slot (not those waiting
    /// for a model): the instance's CPU/GPU load, as opposed to its cold
    /// starts.
    #[inline]
    pub fn slot_load(&self) -> u32 {
        self.serving + self.queued_for_slot
    }

    /// Whether a router may send a new request here.
    #[inline]
    pub fn accepts(&self) -> bool {
        self.healthy && !self.draining
    }
}

/// Indexes over the instances that accept requests, kept current by the
/// core, so routers decide in O(1) or O(log n) instead of scanning the
/// fleet: the accepting instances in id order (for random, round-robin and
/// hash-ring choices), and the same ordered by `(outstanding, id)` (for
/// least-loaded choices).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FleetIndex {
    accepting: Vec<InstanceId>,
    by_load: BTreeSet<(u32, u32)>,
    epoch: u64,
}

impl FleetIndex {
    /// The index of a set of statuses (for policy tests and tools).
    pub fn from_statuses(statuses: &[InstanceStatus]) -> Self {
        let mut f = FleetIndex::default();
        for s in statuses {
            f.update(s, false);
        }
        f
    }

    /// Brings the index in line with `s`, whose previous state was
    /// `was_accepting` with the outstanding count `s.outstanding` had before
    /// the change (the core calls this after every change).
    pub(crate) fn update(&mut self, s: &InstanceStatus, was_accepting: bool) {
        let id = s.id.0;
        match (was_accepting, s.accepts()) {
            (false, true) => {
                let pos = self.accepting.partition_point(|x| x.0 < id);
                self.accepting.insert(pos, s.id);
                self.by_load.insert((s.outstanding, id));
                self.epoch += 1;
            }
            (true, false) => {
                if let Ok(pos) = self.accepting.binary_search(&s.id) {
                    self.accepting.remove(pos);
                }
                self.by_load.retain(|&(_, x)| x != id);
                self.epoch += 1;
            }
            _ => {}
        }
    }

    /// The outstanding count of accepting instance `id` went from `old` to
    /// `new`.
    #[inline]
    pub(crate) fn load_changed(&mut self, id: u32, old: u32, new: u32) {
        if self.by_load.remove(&(old, id)) {
            self.by_load.insert((new, id));
        }
    }

    /// Whether two indexes hold the same instances with the same loads
    /// (their epochs may differ).
    pub fn same_members(&self, other: &FleetIndex) -> bool {
        self.accepting == other.accepting && self.by_load == other.by_load
    }

    /// Accepting instances, in id order.
    #[inline]
    pub fn accepting(&self) -> &[InstanceId] {
        &self.accepting
    }

    /// Accepting instances from the fewest outstanding requests up (ties by
    /// id): O(log n) to the first, O(1) per step.
    #[inline]
    pub fn by_load(&self) -> impl Iterator<Item = InstanceId> + '_ {
        self.by_load.iter().map(|&(_, id)| InstanceId(id))
    }

    /// Grows by one whenever the set of accepting instances changes: a
    /// router that caches a structure over `accepting()` (a hash ring)
    /// rebuilds it when this moves.
    #[inline]
    pub fn epoch(&self) -> u64 {
        self.epoch
    }
}

/// The read-only view a [`Router`] decides on.
pub struct ClusterView<'a> {
    pub(crate) instances: &'a [InstanceStatus],
    pub(crate) copies: &'a [Vec<ModelCopy>],
    pub(crate) model_memory: &'a [Bytes],
    pub(crate) fleet: &'a FleetIndex,
    pub(crate) now: SimTime,
}

impl<'a> ClusterView<'a> {
    /// A view over explicit data (for policy tests and tools); `fleet`
    /// must index `instances` ([`FleetIndex::from_statuses`]).
    pub fn new(
        instances: &'a [InstanceStatus],
        copies: &'a [Vec<ModelCopy>],
        model_memory: &'a [Bytes],
        fleet: &'a FleetIndex,
        now: SimTime,
    ) -> Self {
        ClusterView { instances, copies, model_memory, fleet, now }
    }
    /// Indexes over the accepting instances.
    #[inline]
    pub fn fleet(&self) -> &'a FleetIndex {
        self.fleet
    }
    /// Every instance ever started, indexed by `InstanceId`, including
    /// failed and removed ones (check [`InstanceStatus::accepts`]).
    #[inline]
    pub fn instances(&self) -> &'a [InstanceStatus] {
        self.instances
    }
    /// One instance.
    #[inline]
    pub fn instance(&self, id: InstanceId) -> &'a InstanceStatus {
        &self.instances[id.index()]
    }
    /// The instances that hold `model` in memory or on disk, or are fetching
    /// it, in no particular order (break ties by id for stability).
    #[inline]
    pub fn copies(&self, model: ModelId) -> &'a [ModelCopy] {
        &self.copies[model.index()]
    }
    /// A model's memory footprint.
    #[inline]
    pub fn model_memory(&self, model: ModelId) -> Bytes {
        self.model_memory[model.index()]
    }
    /// Number of models.
    #[inline]
    pub fn model_count(&self) -> usize {
        self.model_memory.len()
    }
    /// Simulated time of the decision.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }
}

/// Why a request was turned away before reaching an instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum RejectReason {
    /// No instance is healthy and accepting requests.
    NoHealthyInstance,
    /// The chosen instance's request queue was full.
    Throttled,
}

impl RejectReason {
    /// Stable snake_case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::NoHealthyInstance => "no_healthy_instance",
            RejectReason::Throttled => "throttled",
        }
    }
}

/// A router's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteDecision {
    /// Send the request to this instance (which must accept requests).
    To(InstanceId),
    /// Turn it away.
    Reject(RejectReason),
}

/// A routing policy: picks the instance for each request.
///
/// Architecture invariant: a router returns only instances whose status
/// [`accepts`](InstanceStatus::accepts) requests; the core checks and panics
/// with `BUG:` otherwise.
pub trait Router: Send {
    /// The policy's name as written in a scenario (`"sticky"`).
    fn name(&self) -> &str;
    /// Chooses an instance for a request for `model`.
    fn route(&mut self, model: ModelId, view: &ClusterView<'_>) -> RouteDecision;
}
