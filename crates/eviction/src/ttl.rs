//! `ttl`: idle keep-alive, LRU under pressure.
//!
//! ```text
//! on insert(x) / access(x):  last(x) = now; move x to the head (most recent)
//! expired(now):              y = least recently used unpinned object;
//!                            return y if now ≥ last(y) + ttl
//! victim():                  the least recently used unpinned object
//! ```
//!
//! The keep-alive policy of serverless platforms and of model servers that
//! unload a model after it has been idle for a while: an object idle for
//! `ttl` is removed even when nothing needs its room, so memory is freed
//! (and re-loads are paid) in quiet periods; under pressure the order is
//! LRU's. Reference: M. Shahrad et al., "Serverless in the Wild:
//! Characterizing and Optimizing the Serverless Workload at a Large Cloud
//! Provider", USENIX ATC 2020 (fixed keep-alive as the baseline policy).
//!
//! Since the least recently used unpinned object is also the one idle the
//! longest, checking it alone decides whether any unpinned object has
//! expired.
//!
//! Cost: O(1) insert, access and remove; `victim`, `expired` and
//! `next_expiry` O(1 + pinned objects skipped).

use crate::Lru;
use mmesim_core::{AccessCtx, Evictor, ObjectMeta};
use mmesim_engine::{SimDuration, SimTime};

/// Idle keep-alive with LRU order. See the module notes.
#[derive(Clone)]
pub struct Ttl {
    lru: Lru,
    last: Vec<SimTime>,
    ttl: SimDuration,
}

impl Ttl {
    /// Removes objects idle for `ttl`.
    pub fn new(ttl: SimDuration) -> Self {
        Ttl { lru: Lru::named("ttl"), last: Vec::new(), ttl }
    }

    fn touch(&mut self, id: u32, now: SimTime) {
        let i = id as usize;
        if i >= self.last.len() {
            self.last.resize(i + 1, SimTime::ZERO);
        }
        self.last[i] = now;
    }
}

impl Evictor for Ttl {
    fn name(&self) -> &str {
        "ttl"
    }
    fn on_insert(&mut self, id: u32, meta: ObjectMeta, ctx: AccessCtx) {
        self.lru.on_insert(id, meta, ctx);
        self.touch(id, ctx.now);
    }
    fn on_access(&mut self, id: u32, ctx: AccessCtx) {
        self.lru.on_access(id, ctx);
        self.touch(id, ctx.now);
    }
    fn on_remove(&mut self, id: u32) {
        self.lru.on_remove(id);
    }
    fn victim(&mut self, pinned: &dyn Fn(u32) -> bool) -> Option<u32> {
        self.lru.lru_unpinned(pinned)
    }
    fn len(&self) -> usize {
        self.lru.len()
    }
    fn keeps_alive(&self) -> bool {
        true
    }
    fn expired(&mut self, now: SimTime, pinned: &dyn Fn(u32) -> bool) -> Option<u32> {
        self.lru.lru_unpinned(pinned).filter(|&v| now >= self.last[v as usize] + self.ttl)
    }
    fn next_expiry(&self, pinned: &dyn Fn(u32) -> bool) -> Option<SimTime> {
        self.lru.lru_unpinned(pinned).map(|v| self.last[v as usize] + self.ttl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmesim_core::Bytes;

    fn at(s: u64) -> AccessCtx {
        AccessCtx { now: SimTime::from_secs(s), vtime: s, next_access: None }
    }
    const M: ObjectMeta = ObjectMeta { size: Bytes(1), reload_cost: 1.0 };

    /// TTL 10 s. Insert a@0, b@3, c@5; access a@8. Idle: b since 3, c since
    /// 5, a since 8. At 12 nothing has expired (b's time is up at 13); at 13
    /// b expires; with b gone, c at 15; a at 18. Under pressure at 9 the
    /// victim is b (LRU), or c when b is pinned.
    #[test]
    fn hand_trace() {
        let mut t = Ttl::new(SimDuration::from_secs(10));
        t.on_insert(0, M, at(0)); // a
        t.on_insert(1, M, at(3)); // b
        t.on_insert(2, M, at(5)); // c
        t.on_access(0, at(8));
        let none = |_: u32| false;
        assert_eq!(t.victim(&none), Some(1));
        assert_eq!(t.victim(&|x| x == 1), Some(2));
        assert_eq!(t.next_expiry(&none), Some(SimTime::from_secs(13)));
        assert_eq!(t.expired(SimTime::from_secs(12), &none), None);
        assert_eq!(t.expired(SimTime::from_secs(13), &none), Some(1));
        t.on_remove(1);
        assert_eq!(t.next_expiry(&none), Some(SimTime::from_secs(15)));
        assert_eq!(t.expired(SimTime::from_secs(14), &none), None);
        assert_eq!(t.expired(SimTime::from_secs(16), &none), Some(2));
        // a pinned object never expires; the next unpinned one does
        assert_eq!(t.expired(SimTime::from_secs(30), &|x| x == 2), Some(0));
        assert_eq!(t.next_expiry(&|x| x == 2), Some(SimTime::from_secs(18)));
        t.on_remove(2);
        t.on_remove(0);
        assert_eq!(t.next_expiry(&none), None);
        assert!(t.is_empty());
    }

    /// In a standalone cache, idle objects leave before the next request
    /// even with room to spare: a, b at 0 s, a again at 5 s, c at 12 s with
    /// TTL 10 s → b expired (idle since 0), a stays (idle since 5).
    #[test]
    fn expires_without_pressure_in_a_cache() {
        let mut c = crate::SizedCache::new(Bytes(100), Box::new(Ttl::new(SimDuration::from_secs(10))));
        let mut evicted = Vec::new();
        for (t, id) in [(0, 0), (0, 1), (5, 0), (12, 2)] {
            c.access_with(id, 1, SimTime::from_secs(t), None, |v| evicted.push(v));
        }
        assert_eq!(evicted, vec![1]);
        assert!(c.contains(0) && c.contains(2) && !c.contains(1));
        assert_eq!(c.stats().evictions, 0, "expiries are not pressure evictions");
    }
}
