//! Helpers shared by the policies' unit tests.

use std::panic::{catch_unwind, AssertUnwindSafe};

use mmesim_core::{AccessCtx, Bytes, Evictor, ObjectMeta};
use mmesim_engine::SimTime;

/// A context at time zero, logical time 0, no known future.
pub(crate) fn ctx() -> AccessCtx {
    at(0)
}

/// A context at time zero, logical time `vtime`, no known future.
pub(crate) fn at(vtime: u64) -> AccessCtx {
    AccessCtx { now: SimTime::ZERO, vtime, next_access: None }
}

/// A unit object (1 byte, reload cost 1).
pub(crate) fn meta() -> ObjectMeta {
    sized(1)
}

/// An object of `size` bytes, reload cost 1.
pub(crate) fn sized(size: u64) -> ObjectMeta {
    costed(size, 1.0)
}

/// An object of `size` bytes and reload cost `cost`.
pub(crate) fn costed(size: u64, cost: f64) -> ObjectMeta {
    ObjectMeta { size: Bytes(size), reload_cost: cost }
}

/// The contract under a random protocol with pinning (unpins reported),
/// proposals not acted on and removals of objects never proposed: a proposal is cached and
/// unpinned, `None` only when everything cached is pinned; `len` follows
/// the cache contents. 20000 steps over ids 0..24 from a fixed seed.
pub(crate) fn check_random_protocol(ev: &mut dyn Evictor) {
    let mut present = [false; 24];
    let mut x: u64 = 4242;
    let mut rnd = |n: u64| {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (x >> 33) % n
    };
    // Pins as last reported to `victim`: an object pinned then and not
    // now is reported unpinned first (the protocol's `on_unpin`).
    let mut last_mask = 0u64;
    for step in 0..20000u64 {
        let id = rnd(24) as u32;
        let ctx = at(step);
        match rnd(4) {
            0 | 1 if !present[id as usize] => {
                ev.on_insert(id, sized(1 + rnd(4)), ctx);
                present[id as usize] = true;
            }
            0 | 1 => ev.on_access(id, ctx),
            2 if present[id as usize] => {
                ev.on_remove(id);
                present[id as usize] = false;
            }
            _ => {
                let mask = if rnd(8) == 0 { u64::MAX } else { rnd(1 << 24) | rnd(1 << 24) };
                let pinned = |v: u32| mask & (1 << v) != 0;
                for v in 0..24u32 {
                    if present[v as usize] && last_mask & (1 << v) != 0 && !pinned(v) {
                        ev.on_unpin(v);
                    }
                }
                last_mask = mask;
                match ev.victim(&pinned) {
                    Some(v) => {
                        assert!(present[v as usize] && !pinned(v), "proposed {v}");
                        if mask % 3 != 0 {
                            ev.on_remove(v);
                            present[v as usize] = false;
                        }
                    }
                    None => assert!((0..24u32).all(|v| !present[v as usize] || pinned(v))),
                }
            }
        }
        assert_eq!(ev.len(), present.iter().filter(|&&p| p).count());
    }
}

/// Asserts that `f` panics with a message containing `expected`.
pub(crate) fn assert_panics(expected: &str, f: impl FnOnce()) {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err(expected);
    let msg = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("<non-string panic>");
    assert!(msg.contains(expected), "panicked with {msg:?}, expected {expected:?}");
}

/// Asserts the three protocol-violation panics of the evictors `new` makes,
/// each on a fresh one: inserting `dup` twice, `access`ing `absent` never
/// inserted, and removing `removed` twice (after inserting it once).
/// `access` is the policy's wording ("access to" or "access of").
pub(crate) fn assert_protocol_panics<E: Evictor>(
    new: impl Fn() -> E,
    meta: ObjectMeta,
    access: &str,
    [dup, absent, removed]: [u32; 3],
) {
    let name = new().name().to_string();
    assert_panics(&format!("BUG: {name}: object {dup} inserted twice"), || {
        let mut ev = new();
        ev.on_insert(dup, meta, ctx());
        ev.on_insert(dup, meta, ctx());
    });
    assert_panics(&format!("BUG: {name}: {access} absent object {absent}"), || {
        new().on_access(absent, ctx());
    });
    assert_panics(&format!("BUG: {name}: removal of absent object {removed}"), || {
        let mut ev = new();
        ev.on_insert(removed, meta, ctx());
        ev.on_remove(removed);
        ev.on_remove(removed);
    });
}
