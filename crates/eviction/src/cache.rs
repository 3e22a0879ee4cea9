//! A standalone sized-object cache driven by any [`Evictor`]: the engine of
//! cache-only replay (`mmesim cache`) and of the conformance harness.

use mmesim_core::{AccessCtx, Bytes, Evictor, ObjectMeta};
use mmesim_engine::SimTime;

const ABSENT: u64 = u64::MAX;

/// Hit and miss counts of a replay.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Requests.
    pub requests: u64,
    /// Requests that missed.
    pub misses: u64,
    /// Bytes requested (a `u128`: the sum of any number of `u64` sizes
    /// fits).
    pub bytes: u128,
    /// Bytes of the requests that missed.
    pub miss_bytes: u128,
    /// Objects evicted.
    pub evictions: u64,
    /// Misses not inserted because the object is larger than the cache.
    pub too_large: u64,
}

impl CacheStats {
    /// misses / requests (0 for no requests).
    pub fn miss_ratio(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.misses as f64 / self.requests as f64
        }
    }
    /// miss bytes / requested bytes (0 for no bytes).
    pub fn byte_miss_ratio(&self) -> f64 {
        if self.bytes == 0 {
            0.0
        } else {
            self.miss_bytes as f64 / self.bytes as f64
        }
    }
}

/// A cache of `capacity` bytes over objects with dense `u32` ids.
///
/// On a hit the evictor is told of the access; on a miss the object is
/// inserted if it fits at all, evicting the evictor's victims until it
/// does; an object larger than the whole cache is never inserted. Nothing
/// is ever pinned here.
pub struct SizedCache<E: Evictor + ?Sized = dyn Evictor> {
    capacity: u64,
    used: u64,
    /// Size of each cached object; `ABSENT` when not cached (one array, so
    /// one memory access per request).
    size: Vec<u64>,
    stats: CacheStats,
    vtime: u64,
    evictor: Box<E>,
}

impl<E: Evictor + ?Sized> SizedCache<E> {
    /// An empty cache of `capacity` bytes.
    pub fn new(capacity: Bytes, evictor: Box<E>) -> Self {
        SizedCache { capacity: capacity.0, used: 0, size: Vec::new(), stats: CacheStats::default(), vtime: 0, evictor }
    }

    /// Counts so far.
    pub fn stats(&self) -> CacheStats {
        self.stats
    }

    /// Bytes cached.
    pub fn used(&self) -> u64 {
        self.used
    }

    /// The cache's capacity.
    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Whether `id` is cached.
    pub fn contains(&self, id: u32) -> bool {
        self.size.get(id as usize).is_some_and(|&s| s != ABSENT)
    }

    /// The evictor (to inspect its state in tests).
    pub fn evictor(&self) -> &E {
        &self.evictor
    }

    /// One request for `id` of `size` bytes at `now`; `next_access` is the
    /// logical time (0-based request index) of the next request for the same
    /// object, when known. Returns whether it hit. `on_evict` sees every
    /// eviction.
    pub fn access_with(
        &mut self,
        id: u32,
        size: u64,
        now: SimTime,
        next_access: Option<u64>,
        mut on_evict: impl FnMut(u32),
    ) -> bool {
        let ctx = AccessCtx { now, vtime: self.vtime, next_access };
        self.vtime += 1;
        let i = id as usize;
        if i >= self.size.len() {
            self.size.resize((i + 1).next_power_of_two(), ABSENT);
        }
        self.stats.requests += 1;
        self.stats.bytes += u128::from(size);
        while let Some(v) = self.evictor.expired(now, &|_| false) {
            self.remove(v);
            on_evict(v);
        }
        if self.size[i] != ABSENT {
            self.evictor.on_access(id, ctx);
            return true;
        }
        self.stats.misses += 1;
        self.stats.miss_bytes += u128::from(size);
        if size > self.capacity {
            self.stats.too_large += 1;
            return false;
        }
        while self.capacity - self.used < size {
            let Some(v) = self.evictor.victim(&|_| false) else {
                panic!(
                    "BUG: evictor `{}` proposed no victim in a cache holding {} bytes",
                    self.evictor.name(),
                    self.used
                )
            };
            if !self.contains(v) {
                panic!("BUG: evictor `{}` proposed object {v}, which is not cached", self.evictor.name());
            }
            self.remove(v);
            self.stats.evictions += 1;
            on_evict(v);
        }
        self.size[i] = size;
        self.used += size;
        self.evictor.on_insert(id, ObjectMeta { size: Bytes(size), reload_cost: 1.0 }, ctx);
        false
    }

    /// Reads the cache's and the evictor's state for `id` ahead of an access
    /// (see [`Evictor::prefetch`]); fold the result into `black_box`.
    #[inline]
    pub fn prefetch(&self, id: u32) -> u64 {
        self.size.get(id as usize).copied().unwrap_or(0) ^ self.evictor.prefetch(id)
    }

    /// [`access_with`](Self::access_with) without an eviction callback.
    #[inline]
    pub fn access(&mut self, id: u32, size: u64, now: SimTime, next_access: Option<u64>) -> bool {
        self.access_with(id, size, now, next_access, |_| {})
    }

    fn remove(&mut self, v: u32) {
        self.used -= self.size[v as usize];
        self.size[v as usize] = ABSENT;
        self.evictor.on_remove(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lru::Lru;

    /// Requested and missed bytes are summed past 2^64: one miss and four
    /// hits of 2^62 − 1 bytes is a byte miss ratio of 0.2 (the `u64` sums
    /// wrapped to a ratio near 1).
    #[test]
    fn byte_counts_past_u64_stay_exact() {
        let size = (1u64 << 62) - 1;
        let mut c = SizedCache::new(Bytes(1 << 62), Box::new(Lru::new()));
        for t in 0..5 {
            c.access(7, size, SimTime::from_secs(t), None);
        }
        let s = c.stats();
        assert_eq!((s.requests, s.misses), (5, 1));
        assert_eq!(s.bytes, 5 * u128::from(size));
        assert_eq!(s.miss_bytes, u128::from(size));
        assert_eq!(s.byte_miss_ratio(), 0.2);
    }
}
