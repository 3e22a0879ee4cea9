//! The eviction-policy trait shared by the memory tier, the disk tier and
//! standalone (cache-only) replay.

use crate::Bytes;
use mmesim_engine::SimTime;

/// What an evictor knows about an object when it enters the cache.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ObjectMeta {
    /// Bytes the object occupies in this tier.
    pub size: Bytes,
    /// What it costs to bring the object back after eviction, in seconds
    /// (for a model in memory: download, if needed, plus load time; in
    /// cache-only replay: 1 unless told otherwise). GreedyDual-style
    /// policies weigh it against size.
    pub reload_cost: f64,
}

/// When an access or insertion happens, and (where known) when the same
/// object is next requested.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessCtx {
    /// Simulated time.
    pub now: SimTime,
    /// Logical time: the number of accesses this cache has seen before this
    /// one (0-based). Recency and frequency policies may use it instead of
    /// `now`, which can repeat.
    pub vtime: u64,
    /// Logical time of the next access to the same object, when the future
    /// is known (trace replay with an oracle). `None` = unknown or never.
    pub next_access: Option<u64>,
}

/// An eviction policy over objects named by dense `u32` ids.
///
/// The caller owns the cache contents; the evictor only keeps the order it
/// needs. The protocol:
/// * [`on_insert`](Evictor::on_insert) when an object enters the tier,
///   [`on_access`](Evictor::on_access) on every later hit,
///   [`on_remove`](Evictor::on_remove) when it leaves (for whatever reason:
///   eviction, a failed instance, an idle timeout);
/// * [`victim`](Evictor::victim) *proposes* the next object to evict among
///   those the caller does not report as pinned. It must not forget the
///   object: the caller removes it (and calls `on_remove`) or not. Proposing
///   is kept apart from removing so the core can skip pinned models and so
///   unloads can take time;
/// * [`on_unpin`](Evictor::on_unpin) when a pinned object stops being
///   pinned.
///
/// Architecture invariant: an evictor never proposes an object that is not
/// in the cache, nor one `pinned` returns `true` for.
pub trait Evictor: Send {
    /// The policy's name as written in a scenario (`"lru"`).
    fn name(&self) -> &str;
    /// `id` entered the cache.
    fn on_insert(&mut self, id: u32, meta: ObjectMeta, ctx: AccessCtx);
    /// `id`, already cached, was requested again.
    fn on_access(&mut self, id: u32, ctx: AccessCtx);
    /// `id` left the cache.
    fn on_remove(&mut self, id: u32);
    /// Proposes the object to evict next, skipping pinned ones; `None` when
    /// every cached object is pinned (or the cache is empty).
    fn victim(&mut self, pinned: &dyn Fn(u32) -> bool) -> Option<u32>;
    /// `id`, cached and pinned until now, is no longer pinned: `pinned`
    /// returns `false` for it from now on. A caller that reports pins to
    /// [`victim`](Evictor::victim) calls this on every such change, so a
    /// policy may set pinned objects aside instead of walking past them on
    /// every call (LRU does: its `victim` is amortised O(log n) however
    /// many objects are pinned at its tail). Default: nothing.
    fn on_unpin(&mut self, _id: u32) {}
    /// Number of objects the evictor is tracking (for invariant checks).
    fn len(&self) -> usize;
    /// Whether the evictor still keeps something about `id` although it is
    /// not cached: a ghost entry (ARC's B1/B2, S3-FIFO's ghost queue) that
    /// changes how `id` is treated if it comes back. The core names each
    /// instance's models by small per-instance ids that it reuses once a
    /// model has left both tiers (issue 15); it does not reuse an id the
    /// evictor still remembers, so a ghost never passes to another model.
    /// Default: nothing is kept after [`on_remove`](Evictor::on_remove).
    fn remembers(&self, _id: u32) -> bool {
        false
    }
    /// Whether the evictor tracks no object.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// A performance hint for batch replay: read (and so bring into cache)
    /// the state kept for `id`, returning any value derived from it (the
    /// caller folds it into a `black_box` so the reads are not optimised
    /// away). Reading a batch of ids ahead lets the memory accesses of many
    /// requests overlap. Must not change anything. Default: nothing.
    fn prefetch(&self, _id: u32) -> u64 {
        0
    }
    /// Whether this is a keep-alive policy, whose objects idle out without
    /// pressure ([`expired`](Evictor::expired),
    /// [`next_expiry`](Evictor::next_expiry)). The core asks once, when it
    /// makes the evictor, and never asks the other two of a policy that
    /// says `false` (it would ask them on every hit otherwise). Default:
    /// `false`.
    fn keeps_alive(&self) -> bool {
        false
    }
    /// Keep-alive policies (`ttl`): an unpinned object whose time is up at
    /// `now`, to be removed even without pressure (the caller removes it and
    /// calls `on_remove`, then asks again). Like `victim`, this proposes and
    /// does not forget. Default: never.
    fn expired(&mut self, _now: SimTime, _pinned: &dyn Fn(u32) -> bool) -> Option<u32> {
        None
    }
    /// Keep-alive policies: when the earliest unpinned object's time will be
    /// up, so the caller can come back then. Default: never.
    fn next_expiry(&self, _pinned: &dyn Fn(u32) -> bool) -> Option<SimTime> {
        None
    }
}
