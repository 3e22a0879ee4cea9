//! The conformance harness every eviction policy must pass, whatever its
//! rule: run over random traces of variable-size objects with random pins,
//! external removals and advancing time, it checks the `Evictor` contract
//! and the cache's invariants:
//!
//! * a proposed victim (or expired object) is cached and not pinned;
//! * the cache never exceeds its capacity;
//! * an object larger than the cache is never inserted;
//! * `len()` always equals the number of cached objects;
//! * the same seed gives the same hits and misses.

use mmesim_core::{AccessCtx, Bytes, Evictor, ObjectMeta};
use mmesim_engine::SimTime;
use mmesim_eviction::EvictionPolicy;
use proptest::prelude::*;

/// Every policy, with default and with other parameters.
fn policies() -> Vec<EvictionPolicy> {
    let mut v = EvictionPolicy::all();
    v.push(EvictionPolicy::S3Fifo { small_ratio: 0.4 });
    v.push(EvictionPolicy::LruK { k: 1 });
    v.push(EvictionPolicy::LruK { k: 3 });
    v.push(EvictionPolicy::Ttl { ttl_s: 2.0 });
    v.push(EvictionPolicy::Belady { size_aware: true });
    v
}

#[derive(Clone, Debug)]
enum Op {
    /// Request object `id` (whose size is `size_of(id)`); time advances by
    /// `dt_ms`.
    Get { id: u32, dt_ms: u64 },
    /// Pin (or unpin, if pinned) the `k`-th cached object.
    TogglePin { k: usize },
    /// Remove the `k`-th cached unpinned object from outside (a failure).
    Drop { k: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0u32..40, 0u64..500).prop_map(|(id, dt_ms)| Op::Get { id, dt_ms }),
        1 => (0usize..64).prop_map(|k| Op::TogglePin { k }),
        1 => (0usize..64).prop_map(|k| Op::Drop { k }),
    ]
}

/// Object sizes: 1 to 40 bytes, fixed per object for a given salt.
fn size_of(id: u32, salt: u64) -> u64 {
    1 + (id as u64 * 7919 + salt) % 40
}

/// Runs `ops` through `policy` with a cache of `capacity` bytes, checking
/// every invariant; returns the hit/miss sequence.
fn run(policy: &EvictionPolicy, ops: &[Op], capacity: u64, seed: u64, unit: bool) -> Vec<bool> {
    let name = policy.name();
    let mut ev: Box<dyn Evictor> = policy.build(Bytes(capacity), seed);
    // Future of every Get: logical index of the next Get of the same id.
    let gets: Vec<u32> = ops.iter().filter_map(|o| if let Op::Get { id, .. } = o { Some(*id) } else { None }).collect();
    let mut next = vec![None; gets.len()];
    let mut seen = std::collections::BTreeMap::new();
    for (i, &id) in gets.iter().enumerate().rev() {
        next[i] = seen.insert(id, i as u64);
    }
    let n = 40;
    let mut cached = vec![false; n];
    let mut pinned = vec![false; n];
    let mut size = vec![0u64; n];
    let mut used = 0u64;
    let mut now = SimTime::ZERO;
    let mut vtime = 0u64;
    let mut out = Vec::new();
    let list = |cached: &[bool]| -> Vec<u32> { (0..n as u32).filter(|&i| cached[i as usize]).collect() };
    for op in ops {
        match *op {
            Op::TogglePin { k } => {
                let l = list(&cached);
                if !l.is_empty() {
                    let x = l[k % l.len()] as usize;
                    pinned[x] = !pinned[x];
                    if !pinned[x] {
                        ev.on_unpin(x as u32);
                    }
                }
            }
            Op::Drop { k } => {
                let l: Vec<u32> = list(&cached).into_iter().filter(|&i| !pinned[i as usize]).collect();
                if !l.is_empty() {
                    let x = l[k % l.len()];
                    ev.on_remove(x);
                    cached[x as usize] = false;
                    used -= size[x as usize];
                }
            }
            Op::Get { id, dt_ms } => {
                let sz = if unit { 1 } else { size_of(id, seed) };
                now += mmesim_engine::SimDuration::from_millis(dt_ms);
                let ctx = AccessCtx { now, vtime, next_access: next[vtime as usize] };
                vtime += 1;
                let pins = pinned.clone();
                let is_pinned = move |x: u32| pins[x as usize];
                while let Some(v) = ev.expired(now, &is_pinned) {
                    assert!(cached[v as usize] && !pinned[v as usize], "{name}: expired {v} is absent or pinned");
                    ev.on_remove(v);
                    cached[v as usize] = false;
                    used -= size[v as usize];
                }
                let i = id as usize;
                if cached[i] {
                    ev.on_access(id, ctx);
                    out.push(true);
                } else {
                    out.push(false);
                    if sz <= capacity {
                        while capacity - used < sz {
                            let Some(v) = ev.victim(&is_pinned) else { break };
                            assert!(cached[v as usize], "{name}: victim {v} is not cached");
                            assert!(!pinned[v as usize], "{name}: victim {v} is pinned");
                            ev.on_remove(v);
                            cached[v as usize] = false;
                            used -= size[v as usize];
                        }
                        if capacity - used >= sz {
                            ev.on_insert(id, ObjectMeta { size: Bytes(sz), reload_cost: 1.0 + (id % 3) as f64 }, ctx);
                            cached[i] = true;
                            size[i] = sz;
                            used += sz;
                        } else {
                            // Every remaining object is pinned: the caller's
                            // choice not to insert; the evictor must agree.
                            assert!(
                                list(&cached).iter().all(|&x| pinned[x as usize]),
                                "{name}: no victim proposed while unpinned objects remain"
                            );
                        }
                    }
                }
            }
        }
        assert!(used <= capacity, "{name}: {used} bytes cached in {capacity}");
        assert_eq!(ev.len(), list(&cached).len(), "{name}: len() disagrees with the cache");
    }
    out
}

/// The same requests through `SizedCache` (no pins): never over capacity,
/// an object larger than the cache never cached, hits and misses counted.
fn run_sized(policy: &EvictionPolicy, ops: &[Op], capacity: u64, seed: u64) {
    let mut c = mmesim_eviction::SizedCache::new(Bytes(capacity), policy.build(Bytes(capacity), seed));
    let mut now = SimTime::ZERO;
    let (mut gets, mut too_large) = (0, 0);
    for op in ops {
        if let Op::Get { id, dt_ms } = *op {
            now += mmesim_engine::SimDuration::from_millis(dt_ms);
            let sz = size_of(id, seed);
            let hit = c.access(id, sz, now, None);
            gets += 1;
            if sz > capacity {
                too_large += 1;
                assert!(!hit && !c.contains(id), "{}: object of {sz} B cached in {capacity} B", policy.name());
            }
            assert!(c.used() <= capacity, "{}: over capacity", policy.name());
        }
    }
    assert_eq!(c.stats().requests, gets);
    assert_eq!(c.stats().too_large, too_large);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn sized_cache_never_over_capacity(ops in proptest::collection::vec(op(), 1..400), capacity in 1u64..120, seed in any::<u64>()) {
        for p in policies().iter().filter(|p| !p.is_offline()) {
            run_sized(p, &ops, capacity, seed);
        }
    }

    #[test]
    fn every_policy_keeps_the_contract(ops in proptest::collection::vec(op(), 1..400), capacity in 1u64..120, seed in any::<u64>()) {
        for p in policies() {
            let a = run(&p, &ops, capacity, seed, false);
            let b = run(&p, &ops, capacity, seed, false);
            prop_assert_eq!(a, b, "{}: same seed, different results", p.name());
        }
    }

    /// With unit sizes, Belady's farthest-next-use is optimal among demand
    /// policies: no online policy misses less.
    #[test]
    fn belady_is_never_beaten_on_unit_sizes(ids in proptest::collection::vec(0u32..30, 1..600), capacity in 1u64..20) {
        let ops: Vec<Op> = ids.iter().map(|&id| Op::Get { id, dt_ms: 1 }).collect();
        let misses = |p: &EvictionPolicy| run(p, &ops, capacity, 7, true).iter().filter(|h| !**h).count();
        let opt = misses(&EvictionPolicy::Belady { size_aware: false });
        for p in policies().iter().filter(|p| !p.is_offline()) {
            prop_assert!(opt <= misses(p), "{} misses {} < Belady's {}", p.name(), misses(p), opt);
        }
    }
}
