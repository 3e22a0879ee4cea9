//! A cache hint for data a model will read soon.
//!
//! With a million models, the per-model arrays of a simulation (model
//! facts, copies, alias tables) are far larger than the CPU's caches, and a
//! request's first touch of each is a miss to main memory. Those misses are
//! known one arrival ahead: the next arrival's model is drawn when the
//! current one is handled, several events before it is needed. Issuing a
//! prefetch then overlaps the miss with that work.
//!
//! A hint only: it never changes a result, and on targets without one it
//! does nothing.

/// Asks the CPU to bring `slice[i]` into its caches; does nothing if `i` is
/// out of bounds or the target has no prefetch instruction.
#[inline(always)]
pub fn prefetch<T>(slice: &[T], i: usize) {
    if let Some(x) = slice.get(i) {
        prefetch_ref(x);
    }
}

/// Asks the CPU to bring the cache line holding the start of `x` into its
/// caches (a field of a struct: the line that field is on). Taking the
/// reference reads nothing.
#[inline(always)]
pub fn prefetch_ref<T>(x: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: SSE, the feature `_mm_prefetch` needs, is part of the
        // x86-64 baseline; a prefetch reads nothing into the program and
        // cannot fault, and `x` is a valid reference anyway.
        unsafe { _mm_prefetch::<_MM_HINT_T0>((x as *const T).cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_hint_changes_nothing_and_ignores_bad_indices() {
        let v = vec![1u64, 2, 3];
        super::prefetch(&v, 1);
        super::prefetch(&v, 3);
        super::prefetch::<u64>(&[], 0);
        super::prefetch_ref(&v[2]);
        assert_eq!(v, [1, 2, 3]);
    }
}
