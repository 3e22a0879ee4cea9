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
/// [`FleetIndex::epoch`](mmesim_core::FleetIndex::epoch) moves.
///
/// A lookup is O(1) expected: a table indexed by a point's top `bits` bits
/// (about one point per entry) gives the run of points sharing them, and
/// the answer is the first point of that run at or after the model's, or
/// the first of the next run — the same point a binary search finds,
/// without its dozen dependent, mispredicted steps over a ring that
/// outgrows the caches (8,192 instances make a million points).
#[derive(Clone, Debug, Default)]
pub struct HashRing {
    epoch: Option<u64>,
    points: Vec<(u64, u32)>,
    /// `first[b]`: the index of the first point whose top `bits` bits are
    /// `b` or more (`2^bits + 1` entries, the last `points.len()`).
    first: Vec<u32>,
    bits: u32,
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
        self.index();
        self.epoch = Some(epoch);
    }

    /// Builds `first` over the sorted points.
    fn index(&mut self) {
        self.bits = self.points.len().next_power_of_two().trailing_zeros().max(1);
        let buckets = 1usize << self.bits;
        self.first.clear();
        let mut i = 0;
        for b in 0..buckets {
            while i < self.points.len() && self.bucket(self.points[i].0) < b {
                i += 1;
            }
            self.first.push(i as u32);
        }
        self.first.push(self.points.len() as u32);
    }

    #[inline]
    fn bucket(&self, point: u64) -> usize {
        (point >> (64 - self.bits)) as usize
    }

    /// Index of the first ring point at or after `model`'s point (wrapping);
    /// `None` if the ring is empty.
    pub fn start(&mut self, model: ModelId, view: &ClusterView<'_>) -> Option<usize> {
        self.refresh(view);
        if self.points.is_empty() {
            return None;
        }
        Some(self.find(model_point(model)))
    }

    /// Index of the first point at or after `p` (wrapping), on a non-empty
    /// ring.
    #[inline]
    fn find(&self, p: u64) -> usize {
        let b = self.bucket(p);
        let (mut i, end) = (self.first[b] as usize, self.first[b + 1] as usize);
        while i < end && self.points[i].0 < p {
            i += 1;
        }
        if i == self.points.len() {
            0
        } else {
            i
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A ring over `points` (sorted here), indexed as `refresh` does.
    fn ring(mut points: Vec<(u64, u32)>) -> HashRing {
        points.sort_unstable();
        let mut r = HashRing { epoch: Some(0), points, first: Vec::new(), bits: 0 };
        r.index();
        r
    }

    /// What `start` answers, by binary search.
    fn by_search(r: &HashRing, p: u64) -> usize {
        let i = r.points.partition_point(|&(h, _)| h < p);
        if i == r.points.len() {
            0
        } else {
            i
        }
    }

    #[test]
    fn a_hand_built_ring() {
        // Three points, 2 bits of table (4 buckets of 2^62 each): points
        // in buckets 0, 0 and 2; bucket 1 and 3 are empty.
        let r = ring(vec![(5, 0), (1 << 62 >> 1, 1), (2 << 62, 2)]);
        assert_eq!((r.bits, &r.first[..]), (2, &[0, 2, 2, 3, 3][..]));
        for (p, want) in [(0, 0), (5, 0), (6, 1), (1 << 62, 2), (2 << 62, 2), ((2 << 62) + 1, 0), (u64::MAX, 0)] {
            assert_eq!((r.find(p), by_search(&r, p)), (want, want), "point {p}");
        }
    }

    proptest! {
        /// The table's answer is the binary search's, for any points
        /// (clustered or spread, duplicates included) and any model point.
        #[test]
        fn the_table_finds_what_a_binary_search_finds(
            points in proptest::collection::vec((prop_oneof![any::<u64>(), 0u64..1000, (u64::MAX - 1000)..=u64::MAX], 0u32..8), 1..300),
            probes in proptest::collection::vec(any::<u64>(), 1..50),
        ) {
            let r = ring(points);
            prop_assert_eq!(r.first.len(), (1 << r.bits) + 1);
            for p in probes.into_iter().chain(r.points.iter().flat_map(|&(h, _)| [h, h.wrapping_add(1), h.wrapping_sub(1)])) {
                prop_assert_eq!(r.find(p), by_search(&r, p), "point {}", p);
            }
        }
    }
}
