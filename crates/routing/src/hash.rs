//! Stable hashing shared by the routers: a consistent-hash ring over the
//! accepting instances, rebuilt only when they change.

use mmesim_core::{ClusterView, InstanceId, ModelId};
use mmesim_engine::mix64;

/// The point of `model` on the ring.
#[inline]
pub fn model_point(model: ModelId) -> u64 {
    mix64(model.0 as u64 ^ 0x6A09_E667_F3BC_C908)
}

/// Virtual nodes per instance: enough to spread models within a few
/// percent of evenly (Karger et al. 1997).
pub const VNODES: u32 = 128;

/// A consistent-hash ring (Karger et al., STOC 1997) over the accepting
/// instances, `VNODES` points each. A model's home is the first instance
/// clockwise from its point; removing an instance moves only the models
/// whose home it was, adding one takes only a share of others'. The ring is
/// cached and rebuilt (O(n log n)) only when the view's
/// [`FleetIndex::epoch`](mmesim_core::FleetIndex::epoch) moves; a lookup is
/// O(log n).
#[derive(Clone, Debug, Default)]
pub struct HashRing {
    epoch: Option<u64>,
    points: Vec<(u64, u32)>,
}

impl HashRing {
    /// An empty ring (built on first use).
    pub fn new() -> Self {
        HashRing::default()
    }

    fn refresh(&mut self, view: &ClusterView<'_>) {
        let epoch = view.fleet().epoch();
        if self.epoch == Some(epoch) {
            return;
        }
        self.points.clear();
        for id in view.fleet().accepting() {
            for v in 0..VNODES {
                self.points.push((mix64(((id.0 as u64) << 32) | v as u64), id.0));
            }
        }
        self.points.sort_unstable();
        self.epoch = Some(epoch);
    }

    /// Index of the first ring point at or after `model`'s point (wrapping);
    /// `None` if the ring is empty.
    pub fn start(&mut self, model: ModelId, view: &ClusterView<'_>) -> Option<usize> {
        self.refresh(view);
        if self.points.is_empty() {
            return None;
        }
        let p = model_point(model);
        let i = self.points.partition_point(|&(h, _)| h < p);
        Some(if i == self.points.len() { 0 } else { i })
    }

    /// The instance of ring point `i` (wrapping).
    #[inline]
    pub fn at(&self, i: usize) -> InstanceId {
        InstanceId(self.points[i % self.points.len()].1)
    }

    /// Number of ring points.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// Whether the ring has no point.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// `model`'s home: the first accepting instance clockwise.
    pub fn home(&mut self, model: ModelId, view: &ClusterView<'_>) -> Option<InstanceId> {
        self.start(model, view).map(|i| self.at(i))
    }
}
