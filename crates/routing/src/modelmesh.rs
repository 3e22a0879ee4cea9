//! `modelmesh`: ModelMesh-style routing with cache-miss placement.
//!
//! ```text
//! route(m):
//!   if no instance accepts:  reject (no_healthy_instance)
//!   # hit: a loaded copy
//!   L = accepting instances where m is loaded
//!   if L is not empty:  return argmin over L of (outstanding, id)
//!   # a copy on its way: join it rather than start another load
//!   C = accepting instances where m is pending or loading
//!   if C is not empty:  return argmin over C of (outstanding, id)
//!   # miss: place a new copy
//!   R = accepting instances with memory_free ≥ memory(m)
//!   if R is not empty:  return argmax over R of memory_free,
//!                              ties: fewer outstanding, then lower id
//!   # nowhere has room: evict where the cache is worth least
//!   return argmin over accepting instances of lru_last_used (none = oldest),
//!          ties: more memory_free, then lower id
//! ```
//!
//! Reference: IBM's ModelMesh, the multi-model serving layer of KServe
//! (<https://kserve.github.io/website/modelserving/mms/modelmesh/overview/>,
//! and the `kserve/modelmesh` sources). Requests for a loaded model go to a
//! copy, balanced by in-flight requests; on a cache miss, ModelMesh places
//! the model on the instance with the most free space, or — when every
//! cache is full — on the one whose least-recently-used model is oldest
//! (its "cache age"), so the eviction it causes costs the least. A model
//! already being loaded somewhere is not loaded a second time: requests
//! wait for that copy. (ModelMesh also adds copies of hot models in the
//! background; in this simulator a copy is added only by routing there, so
//! that part is not modelled.)
//!
//! Choices: ties in the hit and on-its-way cases go to fewer outstanding
//! requests, then the lower id; an `Unloading` or disk-only copy is no
//! copy (the model would have to load again).
//!
//! Cost per request: O(copies of m) on a hit or a copy on its way; the
//! placement scans the accepting instances, O(n), and runs only on a miss
//! (a model in memory nowhere accepting), i.e. once per cold load rather
//! than per request.

use mmesim_core::{
    Bytes, ClusterView, InstanceId, InstanceStatus, MemState, ModelId, RejectReason, RouteDecision, Router,
};
use std::cmp::Reverse;

/// ModelMesh-style routing. See the module notes.
#[derive(Clone, Debug, Default)]
pub struct ModelMesh;

impl ModelMesh {
    /// A ModelMesh-style router (it keeps no state).
    pub fn new() -> Self {
        ModelMesh
    }
}

/// Where to load a model needing `need` bytes: see the module notes.
fn place(view: &ClusterView<'_>, need: Bytes) -> Option<InstanceId> {
    let accepting = view.fleet().accepting().iter().map(|&i| view.instance(i));
    let with_room = accepting
        .clone()
        .filter(|s| s.memory_free >= need)
        .min_by_key(|s| (Reverse(s.memory_free), s.outstanding, s.id));
    // `None < Some(_)`: an instance with no model loaded has the oldest cache
    with_room
        .or_else(|| accepting.min_by_key(|s: &&InstanceStatus| (s.lru_last_used, Reverse(s.memory_free), s.id)))
        .map(|s| s.id)
}

impl Router for ModelMesh {
    fn name(&self) -> &str {
        "modelmesh"
    }

    fn route(&mut self, model: ModelId, view: &ClusterView<'_>) -> RouteDecision {
        let mut loaded: Option<(u32, InstanceId)> = None; // (outstanding, id)
        let mut coming: Option<(u32, InstanceId)> = None;
        for c in view.copies(model) {
            let s = view.instance(c.instance);
            if !s.accepts() {
                continue;
            }
            let key = Some((s.outstanding, s.id));
            match c.memory {
                MemState::Loaded if loaded.is_none() || key < loaded => loaded = key,
                MemState::Pending | MemState::Loading if coming.is_none() || key < coming => coming = key,
                _ => {}
            }
        }
        match loaded.or(coming) {
            Some((_, i)) => RouteDecision::To(i),
            None => match place(view, view.model_memory(model)) {
                Some(i) => RouteDecision::To(i),
                None => RouteDecision::Reject(RejectReason::NoHealthyInstance),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{self, copy, to, StatusExt};
    use mmesim_core::ModelCopy;
    use mmesim_engine::SimTime;

    /// An instance with `outstanding` requests and `free` of 100 bytes free,
    /// its one loaded model last used at 100 s.
    fn inst(id: u32, outstanding: u32, free: u64) -> InstanceStatus {
        testutil::inst(id, outstanding).free(free).cached_since(100)
    }

    /// Routes model 0, whose footprint is 50 bytes.
    fn route(insts: &[InstanceStatus], copies: &[ModelCopy]) -> RouteDecision {
        testutil::route_one(&mut ModelMesh::new(), insts, &[copies.to_vec()], 50, 0)
    }

    #[test]
    fn hit_goes_to_least_busy_loaded_copy() {
        // 0 is idle with room but has no copy; copies on 1 (5), 2 (3), 3 (3), 4 loading (0)
        let insts = [inst(0, 0, 100), inst(1, 5, 0), inst(2, 3, 0), inst(3, 3, 0), inst(4, 0, 0)];
        let copies = [
            copy(1, MemState::Loaded),
            copy(3, MemState::Loaded),
            copy(2, MemState::Loaded),
            copy(4, MemState::Loading),
        ];
        // 2 and 3 tie on 3 outstanding: the lower id
        assert_eq!(route(&insts, &copies), to(2));
        // a loaded copy beats a loading one however busy it is
        let copies = [copy(1, MemState::Loaded), copy(4, MemState::Loading)];
        assert_eq!(route(&insts, &copies), to(1));
    }

    #[test]
    fn joins_a_copy_on_its_way() {
        let insts = [inst(0, 0, 100), inst(1, 5, 0), inst(2, 3, 0)];
        let copies = [copy(1, MemState::Pending), copy(2, MemState::Loading)];
        assert_eq!(route(&insts, &copies), to(2));
        let copies = [copy(1, MemState::Pending)];
        assert_eq!(route(&insts, &copies), to(1));
    }

    #[test]
    fn miss_places_on_most_free_memory() {
        // needs 50: 0 has 40 (too little, idle), 1 and 2 have 80, 3 has 60
        let insts = [inst(0, 0, 40), inst(1, 4, 80), inst(2, 2, 80), inst(3, 0, 60)];
        // most free wins over fewer outstanding (3); 1 and 2 tie on memory: fewer outstanding
        assert_eq!(route(&insts, &[]), to(2));
        // then the lower id
        let insts = [inst(0, 0, 40), inst(1, 2, 80), inst(2, 2, 80), inst(3, 0, 60)];
        assert_eq!(route(&insts, &[]), to(1));
        // exactly enough room counts
        let insts = [inst(0, 0, 40), inst(1, 0, 50)];
        assert_eq!(route(&insts, &[]), to(1));
        // disk-only and unloading copies are misses
        let insts = [inst(0, 0, 40), inst(1, 0, 0), inst(2, 0, 90), inst(3, 0, 70)];
        let copies = [copy(0, MemState::Absent), copy(1, MemState::Unloading)];
        assert_eq!(route(&insts, &copies), to(2));
    }

    #[test]
    fn no_room_places_on_oldest_cache() {
        let mut insts = [inst(0, 0, 10), inst(1, 0, 20), inst(2, 0, 30), inst(3, 0, 0)];
        insts[0].lru_last_used = Some(SimTime::from_secs(300));
        insts[1].lru_last_used = Some(SimTime::from_secs(50));
        insts[2].lru_last_used = Some(SimTime::from_secs(200));
        insts[3].lru_last_used = Some(SimTime::from_secs(50));
        // 1 and 3 share the oldest LRU model (50 s): more free memory wins
        assert_eq!(route(&insts, &[]), to(1));
        // same free memory: the lower id
        insts[3].memory_free = Bytes(20);
        assert_eq!(route(&insts, &[]), to(1));
        // an instance with nothing loaded counts as the oldest
        insts[2].lru_last_used = None;
        assert_eq!(route(&insts, &[]), to(2));
    }

    #[test]
    fn failed_or_draining_never_chosen() {
        // loaded on a failed instance, loading on a draining one, most room on a failed one
        let insts = [
            inst(0, 0, 0).failed(),
            inst(1, 0, 0).draining(),
            inst(2, 0, 100).failed(),
            inst(3, 6, 60),
            inst(4, 0, 55),
        ];
        let copies = [copy(0, MemState::Loaded), copy(1, MemState::Loading)];
        assert_eq!(route(&insts, &copies), to(3));
        // no room anywhere: a failed instance with the oldest cache is skipped
        let mut insts = [inst(0, 0, 0).failed(), inst(1, 0, 0).draining(), inst(2, 0, 0)];
        insts[0].lru_last_used = None;
        insts[1].lru_last_used = None;
        assert_eq!(route(&insts, &copies), to(2));
    }

    #[test]
    fn no_accepting_instance_rejects() {
        let insts = [inst(0, 0, 100).failed(), inst(1, 0, 100).draining()];
        assert_eq!(route(&insts, &[copy(1, MemState::Loaded)]), RouteDecision::Reject(RejectReason::NoHealthyInstance));
        assert_eq!(ModelMesh::new().name(), "modelmesh");
        testutil::assert_keeps_contract(ModelMesh::new);
    }
}
