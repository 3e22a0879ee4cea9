//! The routing-policy trait and the read-only view of the cluster it sees.

use crate::{Bytes, InstanceId, ModelId, ZoneId};
use mmesim_engine::{IdLists, SimTime};

/// Where a model stands on one instance's memory tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MemState {
    /// Not in memory and not wanted.
    Absent,
    /// Wanted: waiting for its download, a free load (the concurrency limit) or memory.
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
    /// Waiting for a free download (the concurrency limit) or disk room.
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
    /// the instance's cache is worth (ModelMesh's "cache age"). Kept only
    /// for a router that reads it ([`Router::reads_lru_age`]); `None`
    /// otherwise.
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
/// hash-ring choices), and the same grouped by outstanding requests (for
/// least-loaded choices).
///
/// The load index is a bucket list (one list of instances per outstanding
/// count, as in O(1) LFU schemes): a request arriving or leaving moves its
/// instance between neighbouring buckets in O(1). Within a bucket,
/// instances come in the order they reached that count (deterministic; an
/// index built with [`from_statuses`](Self::from_statuses) starts in id
/// order).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FleetIndex {
    accepting: Vec<InstanceId>,
    /// Per instance id: its bucket (outstanding count), or `OUT`.
    level: Vec<u32>,
    /// One list per outstanding count, in the order instances reached it.
    buckets: IdLists,
    /// No bucket below this is non-empty.
    min: u32,
    epoch: u64,
}

const OUT: u32 = u32::MAX;

impl FleetIndex {
    /// The index of a set of statuses (for policy tests and tools).
    pub fn from_statuses(statuses: &[InstanceStatus]) -> Self {
        let mut f = FleetIndex::default();
        for s in statuses {
            f.update(s, false);
        }
        f
    }

    #[inline]
    fn bucket_insert(&mut self, id: u32, lvl: u32) {
        let i = id as usize;
        if i >= self.level.len() {
            self.level.resize(i + 1, OUT);
        }
        self.level[i] = lvl;
        self.buckets.push_back(lvl as usize, id);
        self.min = self.min.min(lvl);
    }

    #[inline]
    fn bucket_remove(&mut self, id: u32) {
        let i = id as usize;
        self.buckets.remove(self.level[i] as usize, id);
        self.level[i] = OUT;
        while (self.min as usize) < self.buckets.lists() && self.buckets.is_empty(self.min as usize) {
            self.min += 1;
        }
    }

    /// Brings the index in line with `s` after a change of its health or
    /// draining flags; `was_accepting` is what it was before.
    pub(crate) fn update(&mut self, s: &InstanceStatus, was_accepting: bool) {
        let id = s.id.0;
        match (was_accepting, s.accepts()) {
            (false, true) => {
                let pos = self.accepting.partition_point(|x| x.0 < id);
                self.accepting.insert(pos, s.id);
                self.bucket_insert(id, s.outstanding);
                self.epoch += 1;
            }
            (true, false) => {
                if let Ok(pos) = self.accepting.binary_search(&s.id) {
                    self.accepting.remove(pos);
                }
                if self.level.get(id as usize).is_some_and(|&l| l != OUT) {
                    self.bucket_remove(id);
                }
                self.epoch += 1;
            }
            _ => {}
        }
    }

    /// The outstanding count of instance `id` went from `old` to `new`
    /// (ignored unless it accepts requests).
    #[inline]
    pub(crate) fn load_changed(&mut self, id: u32, old: u32, new: u32) {
        if self.level.get(id as usize) == Some(&old) {
            // Unlinked from `old`, linked at the back of `new`: one relink.
            self.level[id as usize] = new;
            self.buckets.transfer_back(old as usize, new as usize, id);
            if new < self.min {
                self.min = new;
            } else {
                while (self.min as usize) < self.buckets.lists() && self.buckets.is_empty(self.min as usize) {
                    self.min += 1;
                }
            }
        }
    }

    /// Whether two indexes hold the same instances with the same loads
    /// (their epochs and the order within buckets may differ).
    pub fn same_members(&self, other: &FleetIndex) -> bool {
        let lv = |f: &FleetIndex| -> Vec<(u32, u32)> {
            f.level.iter().enumerate().filter(|(_, &l)| l != OUT).map(|(i, &l)| (i as u32, l)).collect()
        };
        self.accepting == other.accepting && lv(self) == lv(other)
    }

    /// Accepting instances, in id order.
    #[inline]
    pub fn accepting(&self) -> &[InstanceId] {
        &self.accepting
    }

    /// Accepting instances from the fewest outstanding requests up (within
    /// a count, in the order they reached it): O(1) per step.
    #[inline]
    pub fn by_load(&self) -> impl Iterator<Item = InstanceId> + '_ {
        let mut lvl = self.min as usize;
        let mut cur = self.buckets.front(lvl);
        std::iter::from_fn(move || loop {
            if let Some(id) = cur {
                cur = self.buckets.next(id);
                return Some(InstanceId(id));
            }
            lvl += 1;
            if lvl >= self.buckets.lists() {
                return None;
            }
            cur = self.buckets.front(lvl);
        })
    }

    /// Grows by one whenever the set of accepting instances changes: a
    /// router that caches a structure over `accepting()` (a hash ring)
    /// rebuilds it when this moves.
    #[inline]
    pub fn epoch(&self) -> u64 {
        self.epoch
    }
}

/// One model's copies as the simulation keeps them: up to two inline, so
/// the routing view of a large population costs one cache line per model
/// looked up, not a pointer to follow (most models of a million-model
/// endpoint have at most one copy); and beside the first two, the slot
/// each instance keeps the model in, so a request routed to one of them
/// finds its slot in the line the router just read, without the
/// instance's slot map. 32 bytes, aligned to 32, so a list never
/// straddles two cache lines (unaligned, every other one did).
#[derive(Clone, Debug)]
#[repr(align(32))]
pub(crate) struct CopyList {
    list: smallvec::SmallVec<[ModelCopy; 2]>,
    /// `slots[k]`: the slot of `list[k]` on its instance (`k < 2`).
    slots: [u32; 2],
}

impl CopyList {
    pub(crate) fn new() -> Self {
        CopyList { list: smallvec::SmallVec::new(), slots: [u32::MAX; 2] }
    }
    #[inline]
    pub(crate) fn as_slice(&self) -> &[ModelCopy] {
        &self.list
    }
    /// The position of `inst`'s copy.
    #[inline]
    pub(crate) fn position(&self, inst: u32) -> Option<usize> {
        self.list.iter().position(|c| c.instance.0 == inst)
    }
    /// The slot `inst` keeps the model in, if its copy is one of the first
    /// two (else look it up in the instance's slot map).
    #[inline]
    pub(crate) fn slot_on(&self, inst: u32) -> Option<u32> {
        let n = self.list.len().min(2);
        (0..n).find(|&k| self.list[k].instance.0 == inst).map(|k| self.slots[k])
    }
    /// Whether every copy's slot is recorded (at most two copies): then
    /// `slot_on` answers `None` only for an instance holding no copy.
    #[inline]
    pub(crate) fn all_recorded(&self) -> bool {
        self.list.len() <= self.slots.len()
    }
    /// Adds a copy, in `slot` on its instance.
    pub(crate) fn push(&mut self, copy: ModelCopy, slot: u32) {
        if let Some(s) = self.slots.get_mut(self.list.len()) {
            *s = slot;
        }
        self.list.push(copy);
    }
    /// Changes the states of the copy at `p`.
    pub(crate) fn set_states(&mut self, p: usize, memory: MemState, disk: DiskState) {
        self.list[p].memory = memory;
        self.list[p].disk = disk;
    }
    /// Removes the copy at `p`, the last taking its place. If that one
    /// now needs its slot recorded (it moved from beyond the first two
    /// into them), returns its instance: the caller calls `set_slot(p, …)`.
    pub(crate) fn swap_remove(&mut self, p: usize) -> Option<InstanceId> {
        let last = self.list.len() - 1;
        self.list.swap_remove(p);
        if p == last {
            return None;
        }
        match (p < 2, last < 2) {
            (true, true) => {
                self.slots[p] = self.slots[last];
                None
            }
            (true, false) => Some(self.list[p].instance),
            _ => None,
        }
    }
    /// Records the slot of the copy at `p` (`p < 2`).
    pub(crate) fn set_slot(&mut self, p: usize, slot: u32) {
        self.slots[p] = slot;
    }
    /// The slots recorded, with their copies (for the invariant checks).
    pub(crate) fn recorded(&self) -> impl Iterator<Item = (&ModelCopy, u32)> + '_ {
        self.list.iter().zip(self.slots)
    }
}

/// Where a view's copies live: the simulation's inline lists, or plain
/// vectors given to [`ClusterView::new`].
#[derive(Clone, Copy)]
pub(crate) enum Copies<'a> {
    Inline(&'a [CopyList]),
    Vecs(&'a [Vec<ModelCopy>]),
}

/// Where a view reads the models' footprints: the simulation's own
/// records, or a list given to [`ClusterView::new`].
#[derive(Clone, Copy)]
pub(crate) enum Sizes<'a> {
    Models(&'a [crate::sim::ModelInfo]),
    Bytes(&'a [Bytes]),
}

/// The read-only view a [`Router`] decides on.
pub struct ClusterView<'a> {
    pub(crate) instances: &'a [InstanceStatus],
    pub(crate) copies: Copies<'a>,
    pub(crate) model_memory: Sizes<'a>,
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
        ClusterView { instances, copies: Copies::Vecs(copies), model_memory: Sizes::Bytes(model_memory), fleet, now }
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
        match self.copies {
            Copies::Inline(l) => l[model.index()].as_slice(),
            Copies::Vecs(l) => &l[model.index()],
        }
    }
    /// A model's memory footprint.
    #[inline]
    pub fn model_memory(&self, model: ModelId) -> Bytes {
        match self.model_memory {
            Sizes::Models(m) => Bytes(m[model.index()].memory),
            Sizes::Bytes(b) => b[model.index()],
        }
    }
    /// Number of models.
    #[inline]
    pub fn model_count(&self) -> usize {
        match self.model_memory {
            Sizes::Models(m) => m.len(),
            Sizes::Bytes(b) => b.len(),
        }
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
    /// Every reason, in declaration order (`ALL[r as usize] == r`).
    pub(crate) const ALL: [RejectReason; 2] = [RejectReason::NoHealthyInstance, RejectReason::Throttled];

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
    /// Whether the router reads [`InstanceStatus::lru_last_used`]. Keeping
    /// it means a second recency order per instance beside the memory
    /// evictor's, updated on every hit; a router that never reads it says
    /// `false` and the simulation keeps none (the field stays `None`).
    /// Default: `true`.
    fn reads_lru_age(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_lists_keep_the_slots_of_their_first_two() {
        let copy = |i| ModelCopy { instance: InstanceId(i), memory: MemState::Loaded, disk: DiskState::Present };
        let mut l = CopyList::new();
        for (i, slot) in [(10, 100), (11, 101), (12, 102), (13, 103)] {
            l.push(copy(i), slot);
        }
        let ids = |l: &CopyList| l.as_slice().iter().map(|c| c.instance.0).collect::<Vec<_>>();
        // Only the first two have their slot recorded.
        assert_eq!((l.slot_on(10), l.slot_on(11), l.slot_on(12), l.slot_on(9)), (Some(100), Some(101), None, None));
        // Removing the first moves the fourth (no slot recorded) into it:
        // the caller is told to record its slot.
        assert_eq!(l.swap_remove(0), Some(InstanceId(13)));
        assert_eq!(ids(&l), [13, 11, 12]);
        l.set_slot(0, 103);
        assert_eq!((l.slot_on(13), l.slot_on(11)), (Some(103), Some(101)));
        // Removing beyond the first two, or the last, moves no slot.
        assert_eq!(l.swap_remove(2), None);
        assert_eq!(l.swap_remove(1), None);
        assert_eq!((ids(&l), l.slot_on(13)), (vec![13], Some(103)));
        // Within the first two, the slot moves with its copy.
        l.push(copy(14), 104);
        assert_eq!(l.swap_remove(0), None);
        assert_eq!((ids(&l), l.slot_on(14), l.slot_on(13)), (vec![14], Some(104), None));
        assert_eq!(l.recorded().map(|(c, s)| (c.instance.0, s)).collect::<Vec<_>>(), [(14, 104)]);
    }

    fn st(id: u32, outstanding: u32, healthy: bool) -> InstanceStatus {
        InstanceStatus {
            id: InstanceId(id),
            zone: ZoneId(0),
            healthy,
            draining: false,
            outstanding,
            serving: 0,
            queued_for_slot: 0,
            slots: 4,
            memory_capacity: Bytes(1),
            memory_free: Bytes(1),
            loaded_models: 0,
            lru_last_used: None,
        }
    }

    fn order(f: &FleetIndex) -> Vec<u32> {
        f.by_load().map(|i| i.0).collect()
    }

    /// Buckets by outstanding count; within a count, arrival order; moves
    /// between counts in O(1); unhealthy instances are not indexed.
    #[test]
    fn load_buckets() {
        let mut v = vec![st(0, 2, true), st(1, 0, true), st(2, 1, false), st(3, 0, true)];
        let mut f = FleetIndex::from_statuses(&v);
        assert_eq!(f.accepting(), &[InstanceId(0), InstanceId(1), InstanceId(3)]);
        assert_eq!(order(&f), vec![1, 3, 0]);
        f.load_changed(1, 0, 1); // 1 gets a request
        assert_eq!(order(&f), vec![3, 1, 0]);
        f.load_changed(3, 0, 1);
        assert_eq!(order(&f), vec![1, 3, 0]);
        f.load_changed(0, 2, 1); // reaches 1 last
        assert_eq!(order(&f), vec![1, 3, 0]);
        f.load_changed(2, 1, 0); // not accepting: ignored
        assert_eq!(order(&f), vec![1, 3, 0]);
        let e = f.epoch();
        v[2].healthy = true;
        f.update(&v[2], false);
        assert_eq!(order(&f), vec![1, 3, 0, 2]); // it comes in at its count, 1
        assert!(f.epoch() > e);
        v[1].draining = true;
        f.update(&v[1], true);
        assert_eq!(order(&f), vec![3, 0, 2]);
        assert_eq!(f.accepting(), &[InstanceId(0), InstanceId(2), InstanceId(3)]);
        // Same members and loads as a fresh index, whatever the order.
        v[0].outstanding = 1;
        v[3].outstanding = 1;
        assert!(f.same_members(&FleetIndex::from_statuses(&v)));
        v[3].outstanding = 2;
        assert!(!f.same_members(&FleetIndex::from_statuses(&v)));
    }
}
